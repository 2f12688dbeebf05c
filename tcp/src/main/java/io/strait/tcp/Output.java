package io.strait.tcp;

import static io.strait.tcp.TcpState.*;
import static io.strait.tcp.wire.TcpHeader.*;

/**
 * What a connection sends now (RFC 9293 §3.8.6, RFC 5681, RFC 6675 §5, RFC 8985): first the segments marked lost,
 * within cwnd - pipe; then new data and the FIN under sender SWS avoidance and Nagle; then a pending ACK. Also
 * the probes that timers send: the tail loss probe (RFC 8985 §7.3), zero-window probes (RFC 9293 §3.8.6.1) and
 * keepalives (RFC 1122 §4.2.3.6).
 */
final class Output {
    private final TcpConfig cfg;
    private final TcpCounters c;
    private final SegmentWriter writer;
    private final SentSegments log;
    private final Timers timers;
    private final MtuProbing probing;

    Output(final TcpConfig cfg, final TcpCounters c, final SegmentWriter writer, final SentSegments log,
        final Timers timers, final MtuProbing probing) {
        this.cfg = cfg;
        this.probing = probing;
        this.c = c;
        this.writer = writer;
        this.log = log;
        this.timers = timers;
    }

    /**
     * Payload bytes per full segment right now: the SMSS less the options every segment carries (timestamps,
     * RFC 7323 §3, and SACK blocks while the receive queue has holes), so a datagram never exceeds the MTU.
     */
    static int maxSegment(final Tcb t) {
        return Math.max(t.sndMss - SegmentWriter.optionBytes(t), 1);
    }

    static boolean canSendData(final int state) {
        return state == ESTABLISHED || state == CLOSE_WAIT || state == FIN_WAIT_1 || state == CLOSING
            || state == LAST_ACK;
    }

    void output(final Tcb t, final long nowNs, final SegmentSink out) {
        final int st = t.state;
        if (st == SYN_SENT || st == SYN_RECEIVED) {
            handshake(t, st, nowNs, out);
            timers.arm(t);
            return;
        }
        if (st == TIME_WAIT || !canSendData(st)) {
            if (t.ackNow) {
                writer.emit(t, out, t.sndMax, 0, ACK, nowNs);
            }
            timers.arm(t);
            return;
        }
        boolean sent = false;
        if (t.lostBytes > 0) {
            sent = retransmitLost(t, nowNs, out);
        }
        final int dataEnd = t.dataEnd();
        if (t.flight() == 0 && t.lastSendNs != 0 && nowNs - t.lastSendNs > t.rtoNs && Seq.lt(t.sndNxt, dataEnd)) {
            // RFC 5681 §4.1: after an idle period longer than the RTO, restart from the initial window.
            t.cwnd = Math.min(t.cwnd, CongestionControl.initialWindow(t.sndMss, cfg.initialWindowSegments));
        }
        // RFC 4821 §7.5: a path MTU probe goes ahead of the data queued behind it (as Linux tcp_write_xmit).
        final boolean probed = t.mtupOn && probing.maybeProbe(t, dataEnd, nowNs, out);
        final boolean sentNew = sendNew(t, dataEnd, nowNs, out) || probed;
        t.forceSend = false;
        if (t.ackNow) {
            writer.emit(t, out, t.sndMax, 0, ACK, nowNs);
        }
        if (sent || sentNew) {
            t.lastSendNs = nowNs;
        }
        // RFC 6298 §5.1: start the timer when data is outstanding.
        if (t.flight() > 0) {
            // RFC 8985 §7.2: the PTO restarts after new data is sent; an RTO already running is left alone.
            if (t.rtxDeadlineNs == Long.MAX_VALUE
                || (sentNew && (t.tlpArmed || RackTlp.pto(t, maxSegment(t), cfg.tlpMinNs) >= 0))) {
                armRetransmitTimer(t, nowNs);
            } else if (t.inRecovery && (sent || !t.tlpArmed) && cfg.tailLossProbe) {
                // Fast recovery's tail (RackTlp.recoveryTail): the probe, PTO after the last retransmission, when
                // it is due before the RTO.
                final long pto = RackTlp.pto(t, maxSegment(t), cfg.tlpMinNs);
                if (pto >= 0 && nowNs + pto < t.rtxDeadlineNs) {
                    t.tlpArmed = true;
                    t.rtxDeadlineNs = nowNs + pto;
                }
            }
            t.persistDeadlineNs = Long.MAX_VALUE;
        } else if (dataEnd - t.sndNxt > 0 && t.persistDeadlineNs == Long.MAX_VALUE) {
            // Nothing in flight yet data waits: zero window or SWS hold — the persist / override timer.
            t.persistDeadlineNs = nowNs + persistIntervalNs(t);
        }
        if (t.unackedBytes > 0 && t.delAckDeadlineNs == Long.MAX_VALUE) {
            t.delAckDeadlineNs = nowNs + cfg.delayedAckNs;
        }
        timers.arm(t);
    }

    private void handshake(final Tcb t, final int st, final long nowNs, final SegmentSink out) {
        if (t.sndNxt == t.iss || (st == SYN_RECEIVED && t.ackNow)) {
            if (t.retransmits == 0 && !t.tsOn && t.sndMax == t.iss) {
                t.rttTiming = true;
                t.rttSeq = t.iss + 1;
                t.rttStartNs = nowNs;
            }
            if (writer.emit(t, out, t.iss, 0, st == SYN_SENT ? SYN : SYN | ACK, nowNs)) {
                t.sndNxt = t.iss + 1;
                if (Seq.lt(t.sndMax, t.sndNxt)) {
                    t.sndMax = t.sndNxt;
                }
                t.rtxDeadlineNs = nowNs + t.rtoNs;
            }
        }
    }

    /**
     * RFC 6675 §5 NextSeg rule 1 with RACK's marks (RFC 8985 §6.2): resend the segments marked lost, oldest first,
     * while cwnd - pipe allows. Without SACK, the NewReno retransmission at SND.UNA goes out regardless of cwnd
     * (RFC 6582 §3.2 steps 2 and 5). A segment beyond the peer's window waits, except the one at SND.UNA.
     */
    private boolean retransmitLost(final Tcb t, final long nowNs, final SegmentSink out) {
        final int maxSeg = maxSegment(t);
        int pipe = SackScoreboard.pipe(t);
        boolean any = false;
        for (int i = 0; i < t.segCount && t.lostBytes > 0; i++) {
            final int a = log.at(t, i);
            if ((log.flags(a) & SentSegments.LOST) == 0) {
                continue;
            }
            final int start = log.start(a);
            final int end = log.end(a);
            final boolean head = start == t.sndUna;
            final boolean forced = head && t.rtxAtUna;
            if (!forced && t.cwnd - pipe < Math.min(end - start, maxSeg)) {
                t.cwndLimited = true; // RFC 7661: lost data waits for the window, which may grow
                break;
            }
            if (!head && !Seq.lt(start, t.sndUna + t.sndWnd)) {
                break;
            }
            final int sent = retransmitRange(t, out, start, end, maxSeg, nowNs);
            if (sent <= 0) {
                break;
            }
            if (forced) {
                t.rtxAtUna = false;
            }
            if (head) {
                // As Linux (tcp_xmit_retransmit_queue): the RTO restarts when SND.UNA's segment is resent, so the
                // timer measures that retransmission, not an older send (a probe's, or the last cumulative ACK's).
                t.rtxDeadlineNs = nowNs + t.rtoNs;
                t.tlpArmed = false;
            }
            log.retransmitted(t, a, nowNs);
            noteRetransmission(t, sent, nowNs);
            pipe += sent;
            any = true;
        }
        return any;
    }

    private void noteRetransmission(final Tcb t, final int bytes, final long nowNs) {
        c.retransmittedBytes.getAndAddRelease(bytes);
        if (t.inRecovery) {
            c.sackRetransmits.incrementRelease();
        }
        Prr.onSent(t, bytes);
        t.undoRetrans++;
        if (!t.retransStampSet) {
            t.retransStampSet = true;
            t.retransStampTs = Timestamps.now(t, nowNs);
        }
    }

    /** Sends {@code [start, end)} again in full segments (the FIN with the last if it was sent). */
    private int retransmitRange(final Tcb t, final SegmentSink out, final int start, final int end, final int maxSeg,
        final long nowNs) {
        int seq = start;
        int total = 0;
        while (Seq.lt(seq, end)) {
            final int n = retransmitAt(t, out, seq, Math.min(maxSeg, end - seq), nowNs);
            if (n <= 0) {
                break;
            }
            seq += n;
            total += n;
        }
        return total;
    }

    /** Re-sends up to {@code maxLen} bytes (and the FIN if it was sent and follows) from {@code seq}. */
    int retransmitAt(final Tcb t, final SegmentSink out, final int seq, final int maxLen, final long nowNs) {
        final int dataEnd = t.dataEnd();
        int len = Math.min(maxLen, dataEnd - seq);
        if (len < 0) {
            len = 0;
        }
        final boolean fin = t.finQueued && seq + len == dataEnd && Seq.gt(t.sndMax, dataEnd);
        if (len == 0 && !fin) {
            return 0;
        }
        // The flags the original carried: PSH on the last data segment (a bare FIN has none).
        final int flags = (fin ? FIN | ACK : ACK) | (len > 0 && seq + len == dataEnd ? PSH : 0);
        if (!writer.emit(t, out, seq, len, flags, nowNs)) {
            return 0;
        }
        c.retransmits.incrementRelease();
        return len + (fin ? 1 : 0);
    }

    /** New data and the FIN (RFC 9293 §3.8.6.2.1 sender SWS avoidance, Nagle per RFC 1122 §4.2.3.4). */
    private boolean sendNew(final Tcb t, final int dataEnd, final long nowNs, final SegmentSink out) {
        final int maxSeg = maxSegment(t);
        int pipe = SackScoreboard.pipe(t);
        boolean sentNew = false;
        while (true) {
            final int unsent = dataEnd - t.sndNxt;
            if (unsent <= 0) {
                if (t.finQueued && t.sndNxt == dataEnd) {
                    // Deviation, as Linux: a bare FIN is sent even into a zero window.
                    if (writer.emit(t, out, dataEnd, 0, FIN | ACK, nowNs)) {
                        log.append(t, dataEnd, dataEnd + 1, true, nowNs);
                        t.sndNxt = t.sndMax = dataEnd + 1;
                        sentNew = true;
                    }
                }
                break;
            }
            final int wndRoom = t.sndUna + t.sndWnd - t.sndNxt;
            final int cwRoom = t.cwnd - pipe;
            final int len = Math.min(Math.min(unsent, maxSeg), Math.min(wndRoom, cwRoom));
            if (cwRoom < Math.min(unsent, maxSeg)) {
                t.cwndLimited = true; // RFC 7661: the window, not the application, holds data back
            }
            if (len <= 0) {
                break;
            }
            if (len < maxSeg && !t.forceSend) {
                if (len < unsent) {
                    if (!(pipe == 0 && len >= t.maxSndWnd / 2)) {
                        break; // window- or cwnd-limited runt: wait for ACKs or the override timer
                    }
                } else if (t.nagle && t.flight() > 0) {
                    break; // RFC 1122 §4.2.3.4: Nagle holds a runt while data is unacknowledged
                }
            }
            final boolean fin = t.finQueued && t.sndNxt + len == dataEnd;
            final int seq = t.sndNxt;
            if (!writer.emit(t, out, seq, len, fin ? FIN | ACK | PSH : (len == unsent ? ACK | PSH : ACK), nowNs)) {
                break;
            }
            final int end = seq + len + (fin ? 1 : 0);
            log.append(t, seq, end, fin, nowNs);
            Prr.onSent(t, len);
            t.sndNxt = t.sndMax = end;
            sentNew = true;
            pipe += len;
            if (fin) {
                break;
            }
        }
        if (t.cwnd < t.ssthresh && 2 * pipe >= t.cwnd) {
            t.cwndLimited = true; // slow start: limited when at least half the window is in use (as Linux)
        }
        if (dataEnd == t.sndNxt && pipe < t.cwnd && t.lostBytes == 0) {
            // Nothing left to send and room in the window: delivery-rate samples until this flight is delivered
            // measure the application, not the path (draft-cheng-iccrg-delivery-rate-estimation §3.4, Linux's
            // tcp_rate_check_app_limited).
            t.appLimitedUntil = Math.max(t.deliveredBytes + pipe, 1);
        }
        return sentNew;
    }

    /**
     * RFC 6298 §5.1 / §5.3: (re)starts the retransmission timer; RFC 8985 §7.2: when a tail loss probe may be sent
     * the shorter PTO is armed instead.
     */
    void armRetransmitTimer(final Tcb t, final long nowNs) {
        final long pto = cfg.tailLossProbe ? RackTlp.pto(t, maxSegment(t), cfg.tlpMinNs) : -1;
        t.tlpArmed = pto >= 0;
        t.rtxDeadlineNs = nowNs + (pto >= 0 ? pto : t.rtoNs);
    }

    /**
     * RFC 8985 §7.3: the probe timeout fired with no ACK since: send one probe, new data if the receive window
     * allows, else the last segment sent again, so that a tail loss draws an ACK whose SACK blocks let RACK find
     * it. Then the RTO is armed (one probe per episode).
     */
    void onProbeTimeout(final Tcb t, final long nowNs, final SegmentSink out) {
        t.tlpArmed = false;
        if (t.flight() == 0 || !canSendData(t.state)) {
            return;
        }
        final int maxSeg = maxSegment(t);
        final int dataEnd = t.dataEnd();
        final int unsent = dataEnd - t.sndNxt;
        final int wndRoom = t.sndUna + t.sndWnd - t.sndNxt;
        int seq = -1;
        int sent = 0;
        if (unsent > 0 && wndRoom > 0) {
            seq = t.sndNxt;
            final int len = Math.min(unsent, Math.min(maxSeg, wndRoom));
            final boolean fin = t.finQueued && seq + len == dataEnd;
            if (writer.emit(t, out, seq, len, fin ? FIN | ACK | PSH : ACK | PSH, nowNs)) {
                final int end = seq + len + (fin ? 1 : 0);
                log.append(t, seq, end, fin, nowNs);
                t.sndNxt = t.sndMax = end;
                sent = len;
                t.tlpRetransmit = false;
            }
        } else if (t.segCount > 0) {
            // The last segment sent, or, when the receiver already SACKed it, the highest one it lacks: resending
            // a SACKed segment draws only a D-SACK, which shows RACK nothing.
            int i = t.segCount - 1;
            while (i > 0 && (log.flags(log.at(t, i)) & SentSegments.SACKED) != 0) {
                i--;
            }
            final int a = log.at(t, i);
            seq = log.start(a);
            sent = retransmitRange(t, out, seq, log.end(a), maxSeg, nowNs);
            if (sent > 0) {
                log.retransmitted(t, a, nowNs);
                c.retransmittedBytes.getAndAddRelease(sent);
                t.tlpRetransmit = true;
            }
        }
        if (sent > 0) {
            c.tlpProbes.incrementRelease();
            t.tlpOut = true;
            t.tlpSeq = seq;
            t.lastSendNs = nowNs;
        }
        t.rtxDeadlineNs = nowNs + t.rtoNs; // RFC 8985 §7.3: "arm the RTO timer"
    }

    /**
     * RFC 9293 §3.8.6.1: zero-window probing; also the SWS override timer (§3.8.6.2.1).
     *
     * @return false when an orphan ran out of probes (the caller closes it)
     */
    boolean onPersist(final Tcb t, final long nowNs, final SegmentSink out, final WorkQueue work) {
        if (!canSendData(t.state)) {
            return true;
        }
        final int unsent = t.dataEnd() - t.sndNxt;
        if (unsent <= 0 || t.flight() > 0) {
            t.persistBackoff = 0;
            return true;
        }
        if (t.sndWnd == 0) {
            if (t.orphan && t.persistBackoff >= cfg.orphanRetries) {
                // Deviation, as Linux (tcp_probe_timer, tcp_orphan_retries): an orphan facing a window that never
                // opens is given up, so a peer cannot pin TCBs; a live application's connection probes on.
                return false;
            }
            // Deviation, as Linux: the probe carries no data (SEG.SEQ = SND.UNA - 1) and elicits an ACK with the
            // current window; it never times the connection out while the peer answers.
            writer.emit(t, out, t.sndUna - 1, 0, ACK, nowNs);
            c.persistProbes.incrementRelease();
            t.persistBackoff = Math.min(t.persistBackoff + 1, 30);
            t.persistDeadlineNs = nowNs + persistIntervalNs(t);
        } else {
            t.forceSend = true;
            work.add(t);
        }
        return true;
    }

    /** RFC 6298 §5.5 backoff for the persist timer, without overflow: min(RTO · 2^backoff, RTO max). */
    private long persistIntervalNs(final Tcb t) {
        final int shift = Math.min(t.persistBackoff, 30);
        final long max = cfg.rtoMaxNs;
        return t.rtoNs > (max >> shift) ? max : Math.min(t.rtoNs << shift, max);
    }

    /** RFC 1122 §4.2.3.6 keepalive. @return false when the connection timed out (the caller closes it) */
    boolean onKeepalive(final Tcb t, final long nowNs, final SegmentSink out) {
        if (!t.keepalive || !isSynchronized(t.state) || t.state == TIME_WAIT) {
            return true;
        }
        if (t.sndMax != t.sndUna) {
            // RFC 9293 §3.8.4 (MUST-26): keep-alives only when no sent data is outstanding; the retransmission or
            // persist timer watches the connection meanwhile. Checked again one idle time later.
            t.keepaliveDeadlineNs = nowNs + cfg.keepaliveIdleNs;
            return true;
        }
        final long idleEnd = t.lastRecvNs + cfg.keepaliveIdleNs + (long) t.keepaliveProbes * cfg.keepaliveIntervalNs;
        if (nowNs < idleEnd) {
            t.keepaliveDeadlineNs = idleEnd;
            return true;
        }
        if (t.keepaliveProbes >= cfg.keepaliveCount) {
            // As Linux (tcp_keepalive_timer): a reset on giving up, so that a peer whose ACKs were lost but which is
            // still there learns that its end is gone.
            writer.emit(t, out, t.sndNxt, 0, RST | ACK, nowNs);
            return false;
        }
        // RFC 1122 §4.2.3.6: a probe with SEG.SEQ = SND.NXT - 1 and no data elicits an ACK.
        writer.emit(t, out, t.sndUna - 1, 0, ACK, nowNs);
        c.keepaliveProbes.incrementRelease();
        t.keepaliveProbes++;
        t.keepaliveDeadlineNs = nowNs + cfg.keepaliveIntervalNs;
        return true;
    }
}
