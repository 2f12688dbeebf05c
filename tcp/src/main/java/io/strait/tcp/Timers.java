package io.strait.tcp;

import org.agrona.DeadlineTimerWheel;
import org.agrona.collections.Long2LongHashMap;

import java.util.concurrent.TimeUnit;

/**
 * One wheel timer per TCB at the earliest of its deadlines (retransmission or probe, RACK reorder, delayed ACK,
 * persist, keepalive, close), over Agrona's {@link DeadlineTimerWheel}; lazy: a timer that fires early just re-arms.
 * Also answers "when is the next deadline" without scanning the wheel on every call.
 */
final class Timers {
    private final DeadlineTimerWheel wheel;
    private final Long2LongHashMap timerSlots;
    private final Tcb[] tcbs;
    private final DeadlineTimerWheel.TimerHandler handler = this::onExpiry;
    private final DeadlineTimerWheel.TimerConsumer scanner = this::scan;
    private final int[] fired;
    private int firedCount;
    private boolean started;
    private long scannedMinNs;
    private long cachedNextNs = Long.MAX_VALUE;
    private boolean cacheValid;

    Timers(final Tcb[] tcbs, final long tickNs) {
        this.tcbs = tcbs;
        wheel = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, 0, tickNs, 512, 16);
        timerSlots = new Long2LongHashMap(Math.max(64, tcbs.length * 2), 0.65f, -1L);
        fired = new int[tcbs.length];
    }

    void start(final long nowNs) {
        if (!started) {
            started = true;
            wheel.resetStartTime(nowNs);
        }
    }

    long count() {
        return wheel.timerCount();
    }

    /** The earliest deadline of a TCB's timers. */
    static long earliest(final Tcb t) {
        return Math.min(Math.min(Math.min(t.rtxDeadlineNs, t.delAckDeadlineNs), Math.min(t.persistDeadlineNs,
            Math.min(t.keepaliveDeadlineNs, t.closeDeadlineNs))), t.reoDeadlineNs);
    }

    /** Keeps the TCB's wheel timer at its earliest deadline. */
    void arm(final Tcb t) {
        final long d = t.state == TcpState.CLOSED ? Long.MAX_VALUE : earliest(t);
        if (t.timerId != DeadlineTimerWheel.NULL_DEADLINE) {
            if (d != Long.MAX_VALUE && t.timerDeadlineNs <= d) {
                return;
            }
            cancel(t);
        }
        if (d == Long.MAX_VALUE || t.fired) {
            return; // a fired TCB re-arms after its timers ran
        }
        t.timerId = wheel.scheduleTimer(d);
        t.timerDeadlineNs = d;
        if (cacheValid && d < cachedNextNs) {
            cachedNextNs = d;
        }
        timerSlots.put(t.timerId, t.slot);
    }

    void cancel(final Tcb t) {
        if (t.timerId != DeadlineTimerWheel.NULL_DEADLINE) {
            wheel.cancelTimer(t.timerId);
            timerSlots.remove(t.timerId);
            t.timerId = DeadlineTimerWheel.NULL_DEADLINE;
            t.timerDeadlineNs = Long.MAX_VALUE;
        }
    }

    /**
     * Expires due timers (at most {@code limit}); the TCBs whose timer fired are then read with {@link #fired(int)}.
     *
     * @return how many TCBs fired
     */
    int poll(final long nowNs, final int limit) {
        int expired = 0;
        firedCount = 0;
        // DeadlineTimerWheel.poll handles one tick per call and advances after it: repeat while it advanced, so
        // the tick holding nowNs is also examined (a jump of the virtual clock crosses many ticks at once).
        long tickBefore;
        do {
            tickBefore = wheel.currentTickTime();
            expired += wheel.poll(nowNs, handler, limit - expired);
        }
        while (expired < limit && wheel.currentTickTime() != tickBefore);
        if (cacheValid && (expired > 0 || cachedNextNs <= nowNs)) {
            cacheValid = false;
        }
        return firedCount;
    }

    Tcb fired(final int i) {
        return tcbs[fired[i]];
    }

    private boolean onExpiry(final TimeUnit unit, final long nowNs, final long timerId) {
        final long s = timerSlots.remove(timerId);
        if (s >= 0) {
            final Tcb t = tcbs[(int) s];
            if (t.timerId == timerId) {
                t.timerId = DeadlineTimerWheel.NULL_DEADLINE;
                t.timerDeadlineNs = Long.MAX_VALUE;
                if (!t.fired) {
                    t.fired = true;
                    fired[firedCount++] = t.slot;
                }
            }
        }
        return true;
    }

    /** The earliest deadline on the wheel, {@link Long#MAX_VALUE} when none. */
    long nextDeadlineNs() {
        final long timers = wheel.timerCount();
        if (timers == 0) {
            return Long.MAX_VALUE;
        }
        if (cacheValid) {
            return cachedNextNs;
        }
        if (timers > 4096) {
            return wheel.currentTickTime(); // a bound, not a scan: busy engines poll every cycle anyway
        }
        // The wheel has no "earliest" query: scan once, then keep the minimum up to date on schedule; a cancelled
        // minimum only causes an early (empty) poll, after which the cache is rebuilt.
        scannedMinNs = Long.MAX_VALUE;
        wheel.forEach(scanner);
        cachedNextNs = scannedMinNs;
        cacheValid = true;
        return scannedMinNs;
    }

    private void scan(final long deadline, final long timerId) {
        if (deadline < scannedMinNs) {
            scannedMinNs = deadline;
        }
    }

    /** Deadlines within reach of the wheel's clock (tests: the wheel's view of "now"). */
    long currentTickTime() {
        return wheel.currentTickTime();
    }
}
