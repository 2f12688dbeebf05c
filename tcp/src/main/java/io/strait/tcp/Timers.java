package io.strait.tcp;

/**
 * One wheel timer per TCB at the earliest of its deadlines (retransmission or probe, RACK reorder, delayed ACK,
 * persist, keepalive, close), on a {@link TimerWheel} indexed by TCB slot; lazy: a timer that fires early just
 * re-arms. Also answers "when is the next deadline" without scanning the wheel on every call.
 */
final class Timers {
    static final int SPOKES = 512;

    private final TimerWheel wheel;
    private final Tcb[] tcbs;
    private final int[] fired;
    private int firedCount;
    private boolean started;
    private long cachedNextNs = Long.MAX_VALUE;
    private boolean cacheValid;

    Timers(final Tcb[] tcbs, final long tickNs) {
        this.tcbs = tcbs;
        wheel = new TimerWheel(tcbs.length, tickNs, SPOKES);
        fired = new int[tcbs.length];
    }

    void start(final long nowNs) {
        if (!started) {
            started = true;
            wheel.start(nowNs);
        }
    }

    long count() {
        return wheel.count();
    }

    /** The earliest deadline of a TCB's timers. */
    static long earliest(final Tcb t) {
        return Math.min(Math.min(Math.min(t.rtxDeadlineNs, t.delAckDeadlineNs), Math.min(t.persistDeadlineNs,
            Math.min(t.keepaliveDeadlineNs, t.closeDeadlineNs))), t.reoDeadlineNs);
    }

    /** Keeps the TCB's wheel timer at its earliest deadline. */
    void arm(final Tcb t) {
        final long d = t.state == TcpState.CLOSED ? Long.MAX_VALUE : earliest(t);
        final long scheduled = wheel.deadline(t.slot);
        if (scheduled != TimerWheel.NONE) {
            if (d != Long.MAX_VALUE && scheduled <= d) {
                return;
            }
            cancel(t);
        }
        if (d == Long.MAX_VALUE || t.fired) {
            return; // a fired TCB re-arms after its timers ran
        }
        wheel.schedule(t.slot, d);
        if (cacheValid && d < cachedNextNs) {
            cachedNextNs = d;
        }
    }

    void cancel(final Tcb t) {
        wheel.cancel(t.slot);
    }

    /**
     * Expires due timers (at most {@code limit}); the TCBs whose timer fired are then read with {@link #fired(int)}.
     *
     * @return how many TCBs fired
     */
    int poll(final long nowNs, final int limit) {
        final int n = wheel.poll(nowNs, fired, Math.min(limit, fired.length));
        firedCount = 0;
        for (int i = 0; i < n; i++) {
            final Tcb t = tcbs[fired[i]];
            if (!t.fired) {
                t.fired = true;
                fired[firedCount++] = t.slot;
            }
        }
        if (cacheValid && (n > 0 || cachedNextNs <= nowNs)) {
            cacheValid = false;
        }
        return firedCount;
    }

    Tcb fired(final int i) {
        return tcbs[fired[i]];
    }

    /** The earliest deadline on the wheel (or a little before it, after cancels), {@link Long#MAX_VALUE} when none. */
    long nextDeadlineNs() {
        if (wheel.count() == 0) {
            return Long.MAX_VALUE;
        }
        if (!cacheValid) {
            // The wheel's bound reads one long per spoke: once, then kept up to date on schedule. A cancelled minimum
            // only causes an early (empty) poll, after which the cache is rebuilt.
            cachedNextNs = wheel.earliestBound();
            cacheValid = true;
        }
        return cachedNextNs;
    }

    /** Deadlines within reach of the wheel's clock (tests: the wheel's view of "now"). */
    long currentTickTime() {
        return wheel.currentTickTime();
    }
}
