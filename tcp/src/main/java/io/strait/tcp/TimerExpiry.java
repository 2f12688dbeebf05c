package io.strait.tcp;

import static io.strait.tcp.TcpState.*;

/**
 * What a TCB's timers do when they fire (one wheel entry per TCB, {@link Timers}, holds the earliest of its
 * deadlines): the close deadline (SYN_RECEIVED and FIN_WAIT_2 give up, TIME_WAIT ends, RFC 9293 §3.10.8), RACK's
 * reorder timer (RFC 8985 §6.3), the retransmission timer or the tail loss probe (RFC 6298, RFC 8985 §7), the
 * persist timer (RFC 9293 §3.8.6.1), keepalive (RFC 1122 §4.2.3.6) and the delayed ACK (RFC 9293 §3.8.6.3).
 * A connection whose retries run out closes with {@link CloseReason#TIMEOUT}, counted as {@code timeouts}.
 */
final class TimerExpiry {
    private final TcpCounters c;
    private final TcbPool pool;
    private final Recovery recovery;
    private final Output output;
    private final Timers timers;
    private final WorkQueue work;

    TimerExpiry(final TcpCounters c, final TcbPool pool, final Recovery recovery, final Output output,
        final Timers timers, final WorkQueue work) {
        this.c = c;
        this.pool = pool;
        this.recovery = recovery;
        this.output = output;
        this.timers = timers;
        this.work = work;
    }

    /** Runs every deadline of {@code t} that is due at {@code nowNs}, then re-arms its wheel entry. */
    void expire(final Tcb t, final long nowNs, final SegmentSink out) {
        if (t.state == CLOSED) {
            return;
        }
        if (t.closeDeadlineNs <= nowNs) {
            t.closeDeadlineNs = Long.MAX_VALUE;
            switch (t.state) {
                case SYN_RECEIVED, FIN_WAIT_2 -> {
                    // FIN_WAIT_2: Deviation, as Linux (tcp_fin_timeout): an orphan does not wait forever.
                    c.timeouts.incrementRelease();
                    pool.close(t, CloseReason.TIMEOUT);
                    return;
                }
                case TIME_WAIT -> {
                    pool.close(t, CloseReason.NORMAL); // RFC 9293 §3.10.8: time-wait timeout, delete the TCB
                    return;
                }
                default -> {
                }
            }
        }
        if (t.reoDeadlineNs <= nowNs) {
            t.reoDeadlineNs = Long.MAX_VALUE;
            c.reorderTimeouts.incrementRelease();
            recovery.onReorderTimeout(t, nowNs);
            work.add(t);
        }
        if (t.rtxDeadlineNs <= nowNs) {
            t.rtxDeadlineNs = Long.MAX_VALUE;
            if (t.tlpArmed) {
                output.onProbeTimeout(t, nowNs, out);
            } else if (t.flight() > 0 || Seq.lt(t.sndNxt, t.sndMax)) {
                if (!recovery.onRetransmissionTimeout(t, nowNs)) {
                    c.timeouts.incrementRelease();
                    pool.close(t, CloseReason.TIMEOUT);
                    return;
                }
                t.rtxDeadlineNs = nowNs + t.rtoNs; // RFC 6298 §5.6: restart the timer with the backed-off RTO
                work.add(t);
            }
        }
        if (t.persistDeadlineNs <= nowNs) {
            t.persistDeadlineNs = Long.MAX_VALUE;
            if (!output.onPersist(t, nowNs, out, work)) {
                c.timeouts.incrementRelease();
                pool.close(t, CloseReason.TIMEOUT);
                return;
            }
        }
        if (t.keepaliveDeadlineNs <= nowNs) {
            t.keepaliveDeadlineNs = Long.MAX_VALUE;
            if (!output.onKeepalive(t, nowNs, out)) {
                c.keepaliveTimeouts.incrementRelease();
                c.timeouts.incrementRelease();
                pool.close(t, CloseReason.TIMEOUT);
                return;
            }
        }
        if (t.delAckDeadlineNs <= nowNs) {
            t.delAckDeadlineNs = Long.MAX_VALUE;
            if (t.unackedBytes > 0) {
                t.ackNow = true;
                c.delayedAcks.incrementRelease();
                work.add(t);
            }
        }
        timers.arm(t);
    }
}
