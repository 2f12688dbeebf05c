package io.strait.tcp;

import static io.strait.tcp.wire.TcpHeader.ACK;

/**
 * Packetization-layer path MTU discovery (RFC 4821, the search of RFC 8899 §5.3) for a path that drops packets
 * above some size and filters the ICMP "fragmentation needed" that {@link IcmpErrors} would act on (a PMTUD black
 * hole, RFC 2923 §2.1): full-size segments vanish, only the retransmission timer notices, and without this the
 * connection times out at R2. As Linux with {@code net.ipv4.tcp_mtu_probing = 1} ({@code tcp_mtu_probing} on the
 * timeout path, {@code tcp_mtu_probe}, {@code tcp_mtup_probe_success}, {@code tcp_mtup_probe_failed}):
 * <ol>
 *   <li>black hole: from the {@code mtuBlackholeRtos}-th retransmission timeout in a row of a segment larger than a
 *       lower size would send, the send MSS falls to search_low: the base (RFC 4821 §7.2, 1024) at first, halved at
 *       each further timeout down to {@link #FLOOR_MSS}; the flight goes out again in the smaller size;</li>
 *   <li>search: one probe at a time, a segment of new data of the size halfway between search_low and
 *       search_high; acknowledged, it raises the MSS (§7.6.1); lost alone, it lowers search_high without any
 *       congestion response (§7.6.2, §7.6.3); lost with other segments it proves nothing (§7.6.4) and the losses
 *       are congestion;</li>
 *   <li>a finished search is started again after {@code mtuProbeIntervalNs} (Linux {@code tcp_probe_interval}),
 *       up to the MSS the connection had before the black hole.</li>
 * </ol>
 * The bounds are in MSS units (as {@link Tcb#sndMss}: IP MTU - 40, options excluded); a probe carries
 * {@code size - options} bytes, so its datagram is exactly {@code size + 40} bytes. Nothing is allocated; one
 * instance per engine, methods over the {@link Tcb}; engine thread only.
 */
final class MtuProbing {
    /**
     * The lowest MSS a black hole lowers to: {@link IcmpErrors#MIN_PMTU} - 40 = 512, the floor an ICMP can set
     * (RFC 5927 §7, as Linux's ip_rt_min_pmtu). Deviation from RFC 4821 §7.2, which allows down to 68 - 40.
     */
    static final int FLOOR_MSS = IcmpErrors.MIN_PMTU - IcmpErrors.IP_TCP_HEADERS;
    /**
     * As Linux (tcp_probe_threshold, 8 bytes): a range narrower than this is closed by probing search_high itself,
     * so the search ends on an exact size instead of stopping within 8 bytes of it.
     */
    static final int NARROW_BYTES = 8;
    /**
     * RFC 4821 §7.4: full segments of data queued behind a probe, so that its loss is detected from the ACKs of
     * what follows it (duplicate ACKs, SACK, RACK) rather than by a timeout; as Linux (reordering + 1).
     */
    static final int FOLLOWERS = RackTlp.DUP_THRESH + 1;
    /** As Linux (tcp_mtu_probe): no probe while cwnd is below 11 segments, where a failed probe costs most. */
    static final int MIN_CWND_SEGMENTS = 11;

    private final TcpConfig cfg;
    private final TcpCounters c;
    private final SegmentWriter writer;
    private final SentSegments log;

    MtuProbing(final TcpConfig cfg, final TcpCounters c, final SegmentWriter writer, final SentSegments log) {
        this.cfg = cfg;
        this.c = c;
        this.writer = writer;
        this.log = log;
    }

    /**
     * The retransmission timer expired (after {@link Recovery#onRetransmissionTimeout} marked the flight lost).
     * A probe in flight failed (RFC 4821 §7.6.3). RFC 4821 §7.7 (full-stop timeout) and Linux's black-hole
     * detection: from the configured count of timeouts in a row the MSS falls to search_low, provided the segment
     * at SND.UNA is larger than what the new size sends (a small segment that times out is not refused for its
     * size). The lost flight then goes out in the new size (Output.retransmitLost cuts records to it).
     */
    void onRetransmissionTimeout(final Tcb t, final long nowNs) {
        if (t.mtupProbeMss != 0) {
            probeFailed(t, nowNs);
        }
        if (!cfg.mtuProbing || t.retransmits < cfg.mtuBlackholeRtos || t.sndWnd == 0 || t.segCount == 0
            || !Output.canSendData(t.state)) {
            return; // with a zero window the timeouts are window probes (RFC 9293 §3.8.6.1), not a size refused
        }
        // RFC 4821 §7.2: search_low starts at the base; as Linux, each further timeout halves it (capped by the
        // base), never below the floor. Deviation: a connection whose MSS is already at or below the target is
        // left alone (Linux would halve a 1000-byte MSS on the timeout after enabling probing).
        final int target = t.mtupOn ? Math.min(t.mtupLow >> 1, cfg.mtuProbeBaseMss) : cfg.mtuProbeBaseMss;
        final int mss = Math.max(Math.max(target, FLOOR_MSS), Input.MIN_MSS);
        final int head = log.at(t, 0);
        if (mss >= t.sndMss || log.end(head) - log.start(head) <= Math.max(mss - SegmentWriter.optionBytes(t), 1)) {
            return;
        }
        if (!t.mtupOn) {
            t.mtupOn = true;
            t.mtupMax = t.sndMss;
            t.mtupHigh = t.sndMss; // as Linux: the search may come back up to where it was (an outage is no limit)
        }
        t.mtupLow = mss;
        t.sndMss = mss;
        t.mtupStampNs = nowNs;
        c.pmtuBlackholes.incrementRelease();
    }

    /**
     * RFC 4821 §7.3-§7.5: sends one probe, a segment of new data of the next search size at SND.NXT, when the
     * search is open (or {@code mtuProbeIntervalNs} has passed since it closed), no probe is in flight, nothing is
     * being recovered (§7.4: probing only in the congestion-avoidance or slow-start phase), cwnd holds at least
     * {@link #MIN_CWND_SEGMENTS} segments and has room for the probe, and the peer's window and the send queue hold
     * the probe and {@link #FOLLOWERS} full segments after it.
     *
     * @return true when a probe went out (it is new data: SND.NXT moved)
     */
    boolean maybeProbe(final Tcb t, final int dataEnd, final long nowNs, final SegmentSink out) {
        if (t.mtupProbeMss != 0 || t.inRecovery || t.inLoss || t.lostBytes > 0) {
            return false;
        }
        final int size = nextProbe(t, nowNs);
        if (size <= t.sndMss) {
            return false;
        }
        final int maxSeg = Output.maxSegment(t);
        final int len = size - SegmentWriter.optionBytes(t);
        final int needed = len + FOLLOWERS * maxSeg;
        if (dataEnd - t.sndNxt < needed || t.sndUna + t.sndWnd - t.sndNxt < needed
            || t.cwnd < MIN_CWND_SEGMENTS * t.sndMss || t.cwnd - SackScoreboard.pipe(t) < len) {
            return false;
        }
        final int seq = t.sndNxt;
        if (!writer.emit(t, out, seq, len, ACK, nowNs)) {
            return false;
        }
        log.append(t, seq, seq + len, false, nowNs);
        Prr.onSent(t, len);
        t.sndNxt = t.sndMax = seq + len;
        t.mtupProbeMss = size;
        t.mtupProbeSeq = seq;
        t.mtupProbeEnd = seq + len;
        c.pmtuProbes.incrementRelease();
        return true;
    }

    /**
     * RFC 4821 §7.3 (binary search; RFC 8899 §5.3.1): the size to probe next, or 0 when there is none now. A
     * closed search (search_high = search_low) opens again up to the MSS before the black hole once the interval
     * has passed (as Linux's tcp_mtu_check_reprobe).
     */
    private int nextProbe(final Tcb t, final long nowNs) {
        if (!t.mtupOn) {
            return 0;
        }
        if (t.mtupHigh <= t.mtupLow) {
            if (nowNs - t.mtupStampNs < cfg.mtuProbeIntervalNs || t.mtupLow >= t.mtupMax) {
                return 0;
            }
            t.mtupHigh = t.mtupMax;
            t.mtupStampNs = nowNs;
        }
        return t.mtupHigh - t.mtupLow < NARROW_BYTES ? t.mtupHigh : (t.mtupLow + t.mtupHigh + 1) >>> 1;
    }

    /**
     * A cumulative ACK at {@code ack}, before the transmit record drops what it covers (Recovery.cumulativeAck).
     * RFC 4821 §7.6.1: the probe acknowledged as sent proves its size: search_low and the MSS rise to it (cwnd is
     * in bytes here, so, unlike Linux, it needs no rescaling). A probe that had to be sent again (in smaller
     * pieces, after a loss mark or a tail loss probe) proves nothing but that it was lost: a failure (§7.6.2).
     */
    void onCumulativeAck(final Tcb t, final int ack, final long nowNs) {
        if (t.mtupProbeMss == 0 || Seq.lt(ack, t.mtupProbeEnd)) {
            return;
        }
        if ((probeFlags(t) & SentSegments.RETRANSMITTED) != 0) {
            probeFailed(t, nowNs);
            return;
        }
        t.mtupLow = t.mtupProbeMss;
        t.sndMss = t.mtupProbeMss;
        t.mtupProbeMss = 0;
        c.pmtuProbeSuccesses.incrementRelease();
        if (t.mtupLow >= t.mtupMax) {
            t.mtupOn = false; // back at the MSS the connection had: nothing left to search for
        } else if (t.mtupHigh <= t.mtupLow) {
            t.mtupStampNs = nowNs;
        }
    }

    /**
     * Loss detection marked segments lost while no recovery runs (Recovery.startRecoveryIfLost). RFC 4821 §7.6.2,
     * as Linux (tcp_mtup_probe_failed with tcp_simple_retransmit): when the probe is the only lost segment, the path
     * refused its size: search_high drops below it, and the probe is resent in the current size without a
     * congestion response. §7.6.4: the probe lost together with other segments is inconclusive (the range stays)
     * and the losses are congestion.
     *
     * @return true when the loss was the probe's alone (no recovery must start)
     */
    boolean onLoss(final Tcb t, final long nowNs) {
        if (t.mtupProbeMss == 0) {
            return false;
        }
        final int f = probeFlags(t);
        if ((f & SentSegments.LOST) == 0) {
            return false; // something else was lost: congestion; the probe is still out
        }
        if (t.lostBytes > t.mtupProbeEnd - t.mtupProbeSeq) {
            t.mtupProbeMss = 0; // §7.6.4: inconclusive
            return false;
        }
        probeFailed(t, nowNs);
        resendWithoutReduction(t);
        return true;
    }

    /**
     * An ICMP "fragmentation needed" lowered the send MSS to {@code mss} (RFC 1191 §6.4): the search never goes
     * above it again (RFC 1191 §6.3: only the host's own probing may raise it, and this one stops at what the
     * router said). A probe larger than it failed; IcmpErrors marks its record lost with the others above the new
     * size.
     */
    static void onPathMtuReduced(final Tcb t, final int mss) {
        if (!t.mtupOn) {
            return;
        }
        t.mtupMax = Math.min(t.mtupMax, mss);
        t.mtupHigh = Math.min(t.mtupHigh, mss);
        t.mtupLow = Math.min(t.mtupLow, mss);
        if (t.mtupProbeMss > mss) {
            t.mtupProbeMss = 0;
        }
        if (t.mtupLow >= t.mtupMax) {
            t.mtupOn = false;
        }
    }

    /**
     * What segments marked lost for their size (not congestion) need, as Linux's tcp_simple_retransmit: RTO
     * recovery is entered with cwnd and ssthresh as they are and no undo, so no fast recovery starts over the
     * marks until everything now in flight is acknowledged; Output resends them in the current size.
     */
    static void resendWithoutReduction(final Tcb t) {
        if (!t.inRecovery && !t.inLoss) {
            t.inLoss = true;
            t.recover = t.sndMax;
            t.undoPossible = false;
        }
    }

    private void probeFailed(final Tcb t, final long nowNs) {
        t.mtupHigh = Math.max(t.mtupProbeMss - 1, t.mtupLow);
        t.mtupProbeMss = 0;
        c.pmtuProbeFailures.incrementRelease();
        if (t.mtupHigh <= t.mtupLow) {
            t.mtupStampNs = nowNs;
        }
    }

    /** The flags of the transmit records over the probe's range, or-ed (0 when none is left). */
    private int probeFlags(final Tcb t) {
        int f = 0;
        for (int i = 0; i < t.segCount; i++) {
            final int a = log.at(t, i);
            if (Seq.ge(log.start(a), t.mtupProbeEnd)) {
                break;
            }
            if (Seq.gt(log.end(a), t.mtupProbeSeq)) {
                f |= log.flags(a);
            }
        }
        return f;
    }
}
