package io.strait.tcp;

import io.strait.tcp.wire.TcpSegment;

import static io.strait.tcp.TcpState.*;

/**
 * Connection state changes that are not a single segment's business: becoming ESTABLISHED (and onOpen), queueing
 * our FIN (RFC 9293 §3.10.4 CLOSE), taking the peer's FIN (§3.10.7.4 eighth), TIME_WAIT (§3.10.7.4, RFC 6191)
 * and the app's handle dying in it.
 */
final class Lifecycle {
    /** RFC 6298 §5.7: the RTO when data transmission begins after the SYN or SYN-ACK was retransmitted. */
    static final long RTO_AFTER_SYN_LOSS_NS = 3_000_000_000L;

    private final TcpConfig cfg;
    private final TcpCounters c;
    private final CongestionControl cc;
    private final TcbPool pool;
    private final Listeners listeners;
    private final Timers timers;
    private final WorkQueue work;

    Lifecycle(final TcpConfig cfg, final TcpCounters c, final CongestionControl cc, final TcbPool pool,
        final Listeners listeners, final WorkQueue work) {
        this.cfg = cfg;
        this.c = c;
        this.cc = cc;
        this.pool = pool;
        this.listeners = listeners;
        this.timers = pool.timers();
        this.work = work;
    }

    void establish(final Tcb t, final long nowNs) {
        listeners.leaveBacklog(t);
        t.closeDeadlineNs = Long.MAX_VALUE;
        cc.init(t, cfg.initialWindowSegments);
        if (t.retransmits > 0) {
            // RFC 5681 §3.1 (and RFC 6298 §5.7): after a lost SYN or SYN-ACK the initial window is one segment.
            t.cwnd = t.sndMss;
            if (!t.rttValid) {
                // RFC 6298 §5.7: the timer expired awaiting the ACK of a SYN (or SYN-ACK) and no RTT was measured:
                // "the RTO MUST be re-initialized to 3 seconds when data transmission begins" (as Linux
                // tcp_init_metrics, TCP_TIMEOUT_FALLBACK).
                t.rtoNs = Math.min(RTO_AFTER_SYN_LOSS_NS, cfg.rtoMaxNs);
            }
        }
        t.retransmits = 0;
        pool.setState(t, ESTABLISHED);
        if (t.keepalive) {
            t.keepaliveDeadlineNs = nowNs + cfg.keepaliveIdleNs;
        }
        if (t.passive) {
            c.passiveOpens.incrementRelease();
        }
        if (t.finQueued) {
            pool.setState(t, FIN_WAIT_1);
        }
        t.opened = true;
        if (t.passive) {
            t.appAttached = true;
        }
        if (t.appAttached) {
            final long h = t.handle();
            try {
                t.handler.onOpen(h);
            } catch (final Throwable e) {
                pool.handlerFailed(t, h, e);
            }
        }
    }

    void queueFin(final Tcb t) {
        t.finQueued = true;
        switch (t.state) {
            case ESTABLISHED -> pool.setState(t, FIN_WAIT_1);
            case CLOSE_WAIT -> pool.setState(t, LAST_ACK);
            default -> {
                // SYN-SENT / SYN-RECEIVED: the FIN is queued until ESTABLISHED (RFC 9293 §3.10.4).
            }
        }
        work.add(t);
    }

    static boolean finAcked(final Tcb t) {
        return t.finQueued && Seq.gt(t.sndUna, t.dataEnd());
    }

    /** RFC 9293 §3.10.7.4 eighth: FIN in order. */
    void processFin(final Tcb t, final long nowNs) {
        t.rcvNxt += 1; // "advance RCV.NXT over the FIN"
        t.peerFin = true;
        t.rcvFinPending = false;
        t.ackNow = true;
        switch (t.state) {
            case SYN_RECEIVED, ESTABLISHED -> pool.setState(t, CLOSE_WAIT);
            case FIN_WAIT_1 -> {
                if (finAcked(t)) {
                    enterTimeWait(t, nowNs);
                } else {
                    pool.setState(t, CLOSING); // simultaneous close
                }
            }
            case FIN_WAIT_2 -> enterTimeWait(t, nowNs);
            case TIME_WAIT -> t.closeDeadlineNs = nowNs + cfg.timeWaitNs();
            default -> {
            }
        }
        work.add(t);
        notifyPeerFin(t);
    }

    void notifyPeerFin(final Tcb t) {
        if (t.peerFin && !t.peerFinNotified && t.rcvLen == 0 && t.appAttached && !t.orphan) {
            t.peerFinNotified = true;
            final long h = t.handle();
            try {
                t.handler.onPeerFin(h);
            } catch (final Throwable e) {
                pool.handlerFailed(t, h, e);
            }
        }
    }

    /** RFC 9293 §3.10.7.4: TIME-WAIT for 2 MSL; the app's handle dies here (onClose NORMAL). */
    void enterTimeWait(final Tcb t, final long nowNs) {
        pool.setState(t, TIME_WAIT);
        t.rtxDeadlineNs = t.persistDeadlineNs = t.keepaliveDeadlineNs = t.delAckDeadlineNs = Long.MAX_VALUE;
        t.reoDeadlineNs = Long.MAX_VALUE;
        t.closeDeadlineNs = nowNs + cfg.timeWaitNs();
        t.rcvFinPending = false;
        work.add(t);
        timers.arm(t);
        pool.timeWaitEntered(t);
        detachInTimeWait(t);
    }

    /**
     * In TIME_WAIT the app's handle dies (onPeerFin, then onClose NORMAL) once it consumed every received byte;
     * until then the TCB keeps offering the rest of the receive buffer.
     */
    void detachInTimeWait(final Tcb t) {
        if (t.state == TIME_WAIT && t.appAttached && t.rcvLen == 0) {
            notifyPeerFin(t);
            if (t.state == TIME_WAIT && t.appAttached) {
                t.appAttached = false;
                try {
                    t.handler.onClose(t.handle(), CloseReason.NORMAL);
                } catch (final Throwable e) {
                    pool.contained(e); // counted; TIME_WAIT itself goes on
                }
            }
        }
    }

    /** RFC 6191 §2: a SYN may reopen a TIME-WAIT four-tuple if its timestamp (or sequence) is newer. */
    static boolean timeWaitReopen(final Tcb t, final TcpSegment s) {
        if (t.tsOn && s.hasTimestamps) {
            return Seq.gt(s.tsVal, t.tsRecent);
        }
        if (!t.tsOn && !s.hasTimestamps) {
            return Seq.gt(s.seq, t.rcvNxt); // RFC 1122 §4.2.2.13
        }
        return false;
    }
}
