package io.strait.bench.tcp;

import io.strait.tcp.TcpConfig;
import org.agrona.DeadlineTimerWheel;
import org.agrona.collections.Long2LongHashMap;
import org.openjdk.jmh.annotations.*;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The engine's timer wheel: Agrona's {@link DeadlineTimerWheel} built as {@code TcpEngine} builds it (nanoseconds,
 * tick {@code TcpConfig.timerTickNs} = 2^20 ns, 512 ticks, 16 slots per tick to start), holding 100k live timers,
 * one per connection as the engine keeps them. Deadlines are RTO-like: now + uniform [200 ms (rtoMin), 1 s
 * (rtoInitial)], so they wrap the 537 ms wheel. Setup runs the expiry loop for a few wheel turns, so slot
 * occupancy and the wheel's per-tick allocation are in their steady state before measuring.
 *
 * <p>{@code slotMap=true} adds what {@code TcpEngine.armTimer / onTimerExpiry} do around the wheel: the
 * {@code Long2LongHashMap} from timer id to connection slot (put on schedule, remove on cancel and on expiry).
 * <ul>
 *   <li>{@code schedule}: schedule a timer into the 100k, then cancel that same timer (a hot line) to keep the
 *       population constant. The wheel's cost is the scan of the tick's slots for a free one.</li>
 *   <li>{@code cancelAndReschedule}: cancel a live connection's timer (a cold line) and schedule its new deadline,
 *       as {@code armTimer} does when a deadline moves earlier. Cancel alone is about this minus {@code schedule}.</li>
 *   <li>{@code scheduleAndExpire}: per timer, an expiry by {@code poll} (the clock advancing tick by tick, the
 *       engine's poll loop, 256 expiries per op = maxTimersPerPoll) and the re-arm the handler does.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class TimerWheelBenchmark {
    static final int TIMERS = 100_000;
    static final int EXPIRIES = 256;
    static final long TICK_NS = TcpConfig.builder().build().timerTickNs;
    static final long LIFETIME_MIN_NS = 200_000_000L;
    static final long LIFETIME_MAX_NS = 1_000_000_000L;
    static final int RANDOMS = 1 << 16;

    @Param({"false", "true"})
    boolean slotMap;

    DeadlineTimerWheel wheel;
    Long2LongHashMap timerSlots;
    /** Per connection slot, its timer's id (as {@code Tcb.timerId}). */
    long[] timerIds;
    /** Precomputed lifetimes and slot choices, so the benchmark draws no random numbers. */
    long[] lifetimes;
    int[] slots;
    int r;
    int expired;
    long nowNs = 1_000_000_000L;
    final DeadlineTimerWheel.TimerHandler rearm = this::onTimerExpiry;
    final DeadlineTimerWheel.TimerHandler rearmTracked = this::onTimerExpiryTracked;

    @Setup
    public void setup() {
        wheel = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, 0, TICK_NS, 512, 16);
        wheel.resetStartTime(nowNs);
        timerSlots = new Long2LongHashMap(TIMERS * 2, 0.65f, -1L);
        timerIds = new long[TIMERS];
        lifetimes = new long[RANDOMS];
        slots = new int[RANDOMS];
        final SplittableRandom random = new SplittableRandom(11);
        for (int k = 0; k < RANDOMS; k++) {
            lifetimes[k] = random.nextLong(LIFETIME_MIN_NS, LIFETIME_MAX_NS);
            slots[k] = random.nextInt(TIMERS);
        }
        for (int s = 0; s < TIMERS; s++) {
            timerIds[s] = wheel.scheduleTimer(nowNs + lifetimes[r++ & (RANDOMS - 1)]);
            timerSlots.put(timerIds[s], s);
        }
        // Three wheel turns of expiries and re-arms (every connection's timer fires about twice): the steady state.
        final long endNs = nowNs + 3 * 512 * TICK_NS;
        while (nowNs < endNs) {
            expired = 0;
            pollTick(rearmTracked);
            nowNs += TICK_NS;
        }
        if (wheel.timerCount() != TIMERS || timerSlots.size() != TIMERS) {
            throw new IllegalStateException("population " + wheel.timerCount() + " / " + timerSlots.size());
        }
    }

    @Benchmark
    public long schedule() {
        final long id = wheel.scheduleTimer(nowNs + lifetimes[r++ & (RANDOMS - 1)]);
        if (slotMap) {
            timerSlots.put(id, 0);
            timerSlots.remove(id);
        }
        wheel.cancelTimer(id);
        return id;
    }

    @Benchmark
    public long cancelAndReschedule() {
        final int k = r++ & (RANDOMS - 1);
        final int s = slots[k];
        final long old = timerIds[s];
        wheel.cancelTimer(old);
        final long id = wheel.scheduleTimer(nowNs + lifetimes[k]);
        timerIds[s] = id;
        if (slotMap) {
            timerSlots.remove(old);
            timerSlots.put(id, s);
        }
        return id;
    }

    @Benchmark
    @OperationsPerInvocation(EXPIRIES)
    public int scheduleAndExpire() {
        expired = 0;
        final DeadlineTimerWheel.TimerHandler handler = slotMap ? rearmTracked : rearm;
        while (true) {
            pollTick(handler);
            if (expired == EXPIRIES) {
                return expired;
            }
            nowNs += TICK_NS;
        }
    }

    /** TcpEngine.poll's loop: poll while the wheel advances, so the tick holding nowNs is examined too. */
    private void pollTick(final DeadlineTimerWheel.TimerHandler handler) {
        long tickBefore;
        do {
            tickBefore = wheel.currentTickTime();
            wheel.poll(nowNs, handler, EXPIRIES - expired);
        }
        while (expired < EXPIRIES && wheel.currentTickTime() != tickBefore);
    }

    private boolean onTimerExpiry(final TimeUnit unit, final long nowNs, final long timerId) {
        expired++;
        wheel.scheduleTimer(nowNs + lifetimes[r++ & (RANDOMS - 1)]);
        return true;
    }

    private boolean onTimerExpiryTracked(final TimeUnit unit, final long nowNs, final long timerId) {
        expired++;
        final int s = (int) timerSlots.remove(timerId);
        final long id = wheel.scheduleTimer(nowNs + lifetimes[r++ & (RANDOMS - 1)]);
        timerIds[s] = id;
        timerSlots.put(id, s);
        return true;
    }
}
