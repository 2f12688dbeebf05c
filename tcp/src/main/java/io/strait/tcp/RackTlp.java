package io.strait.tcp;

/**
 * RFC 8985 RACK-TLP: time-based loss detection over the per-segment transmit record ({@link SentSegments}), and
 * the tail loss probe's timeout. A segment is lost when a segment sent after it has been delivered (ACKed or
 * SACKed) and more than RACK.rtt + reo_wnd has passed since it was sent; this finds every lost segment, lost
 * retransmissions included, not only the first hole. One instance per engine; methods take the {@link Tcb}.
 */
final class RackTlp {
    /** RFC 5681 §3.2 DupThresh (RFC 8985 §6.2 step 4 uses it to drop reo_wnd to zero). */
    static final int DUP_THRESH = 3;
    /** RFC 8985 §6.2 step 4: reo_wnd_persist, the recoveries a grown reo_wnd lasts. */
    static final int REO_WND_PERSIST = 16;
    /** reo_wnd_mult is capped so reo_wnd stays a fraction of SRTT anyway (RFC 8985 §6.2: at most SRTT). */
    static final int REO_WND_MULT_MAX = 64;
    /** RFC 8985 §7.2: WCDelAckT, the worst-case delayed-ACK time a single-segment flight may wait for. */
    static final long WC_DEL_ACK_NS = 200_000_000L;

    private final SentSegments log;
    private final TcpCounters c;

    RackTlp(final SentSegments log, final TcpCounters counters) {
        this.log = log;
        this.c = counters;
    }

    /** RFC 8985 §6.2: did (t1, seq1) go out after (t2, seq2)? Ties in time are broken by sequence. */
    static boolean sentAfter(final long t1, final int seq1, final long t2, final int seq2) {
        return t1 > t2 || (t1 == t2 && Seq.gt(seq1, seq2));
    }

    /**
     * RFC 8985 §6.2 steps 1-3 for one newly ACKed or SACKed record: RACK.rtt, RACK.xmit_ts / end_seq, and the
     * reordering test.
     *
     * @param echoTick the ACK's TSecr less the connection's timestamp offset (ms ticks) for a cumulatively
     *                 acknowledged record, or {@code Integer.MIN_VALUE}: none, or a SACKed record, whose ACK's TSecr
     *                 is stale while the hole lasts (RFC 7323 §4.3; see Recovery.markSacked)
     * @return the RTT sample in ns, or -1 when it was ambiguous and skipped
     */
    long onDelivered(final Tcb t, final int a, final long nowNs, final int echoTick) {
        final long xmitNs = log.xmitNs(a);
        final int end = log.end(a);
        final int flags = log.flags(a);
        final boolean retransmitted = (flags & SentSegments.RETRANSMITTED) != 0;
        // Step 3: a segment below the highest delivered one that was never retransmitted arrived out of order.
        if (t.rackValid && Seq.lt(end, t.rackFack)) {
            if (!retransmitted) {
                t.reorderingSeen = true;
            }
        } else {
            t.rackFack = end;
        }
        final long rttNs = nowNs - xmitNs;
        if (retransmitted) {
            // Step 2: "if the segment was retransmitted and either the ACK's TSecr is before its xmit_ts or
            // rtt < RACK.min_RTT, the ACK may be for the original transmission: skip".
            if (echoTick != Integer.MIN_VALUE && Seq.lt(echoTick, (int) (xmitNs / Timestamps.TICK_NS))) {
                return -1;
            }
            if (t.minRttNs != Long.MAX_VALUE && rttNs < t.minRttNs) {
                return -1;
            }
        }
        t.rackRttNs = rttNs;
        if (!t.rackValid || sentAfter(xmitNs, end, t.rackXmitNs, t.rackEndSeq)) {
            t.rackXmitNs = xmitNs;
            t.rackEndSeq = end;
            t.rackValid = true;
        }
        return retransmitted ? -1 : rttNs;
    }

    /** RFC 8985 §6.2 step 4, on a D-SACK: grow reo_wnd once per round trip. */
    void onDsack(final Tcb t) {
        if (t.dsackRoundActive && Seq.ge(t.sndUna, t.dsackRoundSeq)) {
            t.dsackRoundActive = false;
        }
        if (!t.dsackRoundActive) {
            t.dsackRoundActive = true;
            t.dsackRoundSeq = t.sndMax;
            t.reoWndMult = Math.min(t.reoWndMult + 1, REO_WND_MULT_MAX);
            t.reoWndPersist = REO_WND_PERSIST;
            t.reorderingSeen = true;
        }
    }

    /** RFC 8985 §6.2 step 4: leaving loss recovery ages a grown reo_wnd. */
    static void onRecoveryExit(final Tcb t) {
        if (t.reoWndPersist > 0 && --t.reoWndPersist == 0) {
            t.reoWndMult = 1;
        }
    }

    /** RFC 8985 §6.2 step 4: the reordering window. */
    static long reoWnd(final Tcb t, final int maxSeg) {
        if (!t.reorderingSeen && (t.inRecovery || t.inLoss || t.sackedBytes >= DUP_THRESH * maxSeg)) {
            return 0;
        }
        final long minRtt = t.minRttNs != Long.MAX_VALUE ? t.minRttNs : t.srttNs;
        return Math.min((minRtt >> 2) * t.reoWndMult, t.srttNs);
    }

    /**
     * RFC 8985 §6.2 step 5: marks lost every outstanding segment sent before RACK.xmit_ts whose time is up, and
     * sets the reorder timer to the largest remaining time of those still within the window (§6.2, as Linux).
     *
     * @return bytes newly marked lost
     */
    int detectLoss(final Tcb t, final long nowNs, final int maxSeg) {
        t.reoDeadlineNs = Long.MAX_VALUE;
        if (!t.rackValid || t.segCount == 0) {
            return 0;
        }
        final long reoWnd = reoWnd(t, maxSeg);
        long timeout = 0;
        int lost = 0;
        for (int i = 0; i < t.segCount; i++) {
            final int a = log.at(t, i);
            if ((log.flags(a) & (SentSegments.SACKED | SentSegments.LOST)) != 0) {
                continue;
            }
            final long xmitNs = log.xmitNs(a);
            if (!sentAfter(t.rackXmitNs, t.rackEndSeq, xmitNs, log.end(a))) {
                if (Seq.ge(log.start(a), t.rtxHighEnd)) {
                    break; // never retransmitted from here on: every later record went out later still
                }
                continue;
            }
            final long remaining = xmitNs + t.rackRttNs + reoWnd - nowNs;
            if (remaining <= 0) {
                if (log.markLost(t, a)) {
                    lost += log.end(a) - log.start(a);
                    if ((log.flags(a) & SentSegments.RETRANSMITTED) != 0) {
                        c.lostRetransmits.incrementRelease();
                    }
                }
            } else if (remaining > timeout) {
                timeout = remaining;
            }
        }
        if (timeout > 0) {
            t.reoDeadlineNs = nowNs + timeout; // RFC 8985 §6.3: the reordering timer
        }
        if (lost > 0) {
            c.rackLost.getAndAddRelease(lost);
        }
        return lost;
    }

    /**
     * RFC 8985 §7.2: the probe timeout, or -1 when no probe may be sent (SACK off, no RTT yet, RTO recovery, in fast
     * recovery but for its tail ({@link #recoveryTail}), a probe already out this episode, after an RTO). PTO =
     * 2·SRTT plus, as Linux, the floor {@code tlpMinNs} (WCDelAckT instead when one segment is in flight); at most the
     * RTO (§7.2: the probe then goes at the RTO's time).
     */
    static long pto(final Tcb t, final int maxSeg, final long tlpMinNs) {
        if (!t.sackOn || !t.rttValid || t.inLoss || t.tlpOut || t.retransmits != 0
            || (t.inRecovery && !recoveryTail(t))) {
            return -1;
        }
        final long pto = 2 * t.srttNs + (t.flight() <= maxSeg ? WC_DEL_ACK_NS : tlpMinNs);
        return Math.min(pto, t.rtoNs); // "If the RTO formula yields an earlier time, then use that time" (Linux)
    }

    /**
     * Deviation from RFC 8985 §7.2 (and Linux, whose probe waits for the Open state): fast recovery's tail may be
     * probed. Once every segment marked lost has been resent and RACK has no reordering timer pending, a lost
     * retransmission can only be found through a later-sent segment being delivered (§6.2 step 5); when nothing
     * was sent after it (the last hole of a transfer, or a window-limited sender), no such segment exists and only
     * the RTO (200 ms at least) repairs it, a stall measured at 5% loss in about one 50 MB download in eight. One
     * probe per episode, PTO after the last send in recovery, resending the highest segment the receiver lacks
     * (§7.3): delivered, it either fills the hole or lets RACK mark the older retransmissions lost; spurious, it
     * costs one duplicate segment and draws a D-SACK.
     */
    static boolean recoveryTail(final Tcb t) {
        return t.lostBytes == 0 && t.reoDeadlineNs == Long.MAX_VALUE;
    }
}
