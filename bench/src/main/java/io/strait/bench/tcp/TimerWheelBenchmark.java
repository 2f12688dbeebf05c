package io.strait.bench.tcp;

import io.strait.tcp.TcpConfig;
import io.strait.tcp.TimerWheel;
import org.agrona.DeadlineTimerWheel;
import org.agrona.collections.Long2LongHashMap;
import org.openjdk.jmh.annotations.*;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The engine's timer wheel ({@code impl=strait}: {@link TimerWheel}, one timer per connection slot, as
 * {@code Timers} builds it: tick {@code TcpConfig.timerTickNs} = 2^20 ns, 512 ticks) against what the engine used
 * before ({@code impl=agrona}: Agrona's {@link DeadlineTimerWheel}, 16 slots per tick to start, plus the
 * {@code Long2LongHashMap} from timer id to connection slot), holding {@code timers} live timers, one per connection.
 * Deadlines are RTO-like: now + uniform [200 ms (rtoMin), 1 s (rtoInitial)], so they wrap the 537 ms wheel. Setup
 * runs the expiry loop for a few wheel turns, so occupancy (and Agrona's per-tick allocation) are in their steady
 * state before measuring.
 * <ul>
 *   <li>{@code idlePoll}: a poll with nothing due, as on every duty cycle of a busy engine between two ticks.</li>
 *   <li>{@code cancelAndReschedule}: cancel a live connection's timer (a cold line) and schedule its new deadline,
 *       as {@code Timers.arm} does when a deadline moves earlier.</li>
 *   <li>{@code scheduleAndExpire}: per timer, an expiry by {@code poll} (the clock advancing tick by tick, 256
 *       expiries per op = maxTimersPerPoll) and the re-arm the engine does.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class TimerWheelBenchmark {
    static final int EXPIRIES = 256;
    static final long TICK_NS = TcpConfig.builder().build().timerTickNs;
    static final long LIFETIME_MIN_NS = 200_000_000L;
    static final long LIFETIME_MAX_NS = 1_000_000_000L;
    static final int RANDOMS = 1 << 16;

    @Param({"agrona", "strait"})
    String impl;

    @Param({"1", "100000"})
    int timers;

    DeadlineTimerWheel agrona;
    Long2LongHashMap timerSlots;
    /** Per connection slot, its Agrona timer's id (as the engine's {@code Tcb.timerId} was). */
    long[] timerIds;
    TimerWheel wheel;
    int[] fired;
    /** Precomputed lifetimes and slot choices, so the benchmark draws no random numbers. */
    long[] lifetimes;
    int[] slots;
    int r;
    int expired;
    long nowNs = 1_000_000_000L;
    final DeadlineTimerWheel.TimerHandler rearm = this::onAgronaExpiry;

    @Setup
    public void setup() {
        lifetimes = new long[RANDOMS];
        slots = new int[RANDOMS];
        final SplittableRandom random = new SplittableRandom(11);
        for (int k = 0; k < RANDOMS; k++) {
            lifetimes[k] = random.nextLong(LIFETIME_MIN_NS, LIFETIME_MAX_NS);
            slots[k] = random.nextInt(timers);
        }
        if (impl.equals("agrona")) {
            agrona = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, 0, TICK_NS, 512, 16);
            agrona.resetStartTime(nowNs);
            timerSlots = new Long2LongHashMap(Math.max(64, timers * 2), 0.65f, -1L);
            timerIds = new long[timers];
            for (int s = 0; s < timers; s++) {
                timerIds[s] = agrona.scheduleTimer(nowNs + lifetimes[r++ & (RANDOMS - 1)]);
                timerSlots.put(timerIds[s], s);
            }
        } else {
            wheel = new TimerWheel(timers, TICK_NS, 512);
            wheel.start(nowNs);
            fired = new int[timers];
            for (int s = 0; s < timers; s++) {
                wheel.schedule(s, nowNs + lifetimes[r++ & (RANDOMS - 1)]);
            }
        }
        // Three wheel turns of expiries and re-arms (every connection's timer fires about twice): the steady state.
        final long endNs = nowNs + 3 * 512 * TICK_NS;
        while (nowNs < endNs) {
            expired = 0;
            pollTick();
            nowNs += TICK_NS;
        }
        final long live = agrona != null ? agrona.timerCount() : wheel.count();
        if (live != timers || (timerSlots != null && timerSlots.size() != timers)) {
            throw new IllegalStateException("population " + live);
        }
        nowNs -= TICK_NS - 1; // back inside the tick the last poll reached: idle polls find nothing due
    }

    @Benchmark
    public int idlePoll() {
        return agrona != null ? agrona.poll(nowNs, rearm, EXPIRIES) : wheel.poll(nowNs, fired, EXPIRIES);
    }

    @Benchmark
    public long cancelAndReschedule() {
        final int k = r++ & (RANDOMS - 1);
        final int s = slots[k];
        if (agrona != null) {
            final long old = timerIds[s];
            agrona.cancelTimer(old);
            final long id = agrona.scheduleTimer(nowNs + lifetimes[k]);
            timerIds[s] = id;
            timerSlots.remove(old);
            timerSlots.put(id, s);
            return id;
        }
        wheel.cancel(s);
        wheel.schedule(s, nowNs + lifetimes[k]);
        return s;
    }

    @Benchmark
    @OperationsPerInvocation(EXPIRIES)
    public int scheduleAndExpire() {
        expired = 0;
        while (true) {
            pollTick();
            if (expired == EXPIRIES) {
                return expired;
            }
            nowNs += TICK_NS;
        }
    }

    /** The engine's poll: every timer due at nowNs (up to the limit), each re-armed. */
    private void pollTick() {
        if (agrona != null) {
            // Agrona's poll handles one tick per call and advances after it: repeat while it advanced.
            long tickBefore;
            do {
                tickBefore = agrona.currentTickTime();
                agrona.poll(nowNs, rearm, EXPIRIES - expired);
            }
            while (expired < EXPIRIES && agrona.currentTickTime() != tickBefore);
            return;
        }
        final int n = wheel.poll(nowNs, fired, EXPIRIES - expired);
        for (int i = 0; i < n; i++) {
            wheel.schedule(fired[i], nowNs + lifetimes[r++ & (RANDOMS - 1)]);
        }
        expired += n;
    }

    private boolean onAgronaExpiry(final TimeUnit unit, final long nowNs, final long timerId) {
        expired++;
        final int s = (int) timerSlots.remove(timerId);
        final long id = agrona.scheduleTimer(nowNs + lifetimes[r++ & (RANDOMS - 1)]);
        timerIds[s] = id;
        timerSlots.put(id, s);
        return true;
    }
}
