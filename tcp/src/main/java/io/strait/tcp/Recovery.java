package io.strait.tcp;

import io.strait.tcp.wire.TcpSegment;

/**
 * What an acceptable ACK does to the sender (RFC 9293 §3.10.7.4 fifth, the send side): the SACK scoreboard, the
 * transmit record and RACK, RTT samples, loss detection, and the congestion state machine (as Linux's
 * tcp_fastretrans_alert): open, fast recovery with PRR (RFC 6675 §5, RFC 6937), RTO recovery (RFC 6298 §5,
 * RFC 8985 §6.3), and undo of spurious reductions (RFC 2883 D-SACK, RFC 3522 Eifel, as Linux). Congestion
 * control itself (NewReno, CUBIC, HyStart++) only moves cwnd and ssthresh.
 */
final class Recovery {
    private final TcpConfig cfg;
    private final TcpCounters c;
    private final CongestionControl cc;
    private final SentSegments log;
    private final RackTlp rack;
    /** Non-null when the congestion control sets cwnd from delivery-rate samples (BBR). */
    private final Bbr bbr;
    private final DeliveryRate rate;
    private final MtuProbing probing;
    /** The RTT sample of the ACK being processed (RACK's, from the transmit record), or -1. */
    private long ackRttNs;

    Recovery(final TcpConfig cfg, final TcpCounters c, final CongestionControl cc, final SentSegments log,
        final RackTlp rack, final MtuProbing probing) {
        this.cfg = cfg;
        this.probing = probing;
        this.c = c;
        this.cc = cc;
        this.log = log;
        this.rack = rack;
        this.bbr = cc instanceof Bbr b ? b : null;
        this.rate = new DeliveryRate(log);
    }

    /**
     * An acceptable ACK (SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.MAX, RFC 5961 §5.2) in a synchronized state.
     *
     * @param dupAck the ACK is a duplicate by RFC 5681 §2 (no data, no window change, SEG.ACK = SND.UNA)
     */
    void onAck(final Tcb t, final TcpSegment s, final int ack, final boolean dupAck, final long nowNs) {
        final int maxSeg = Output.maxSegment(t);
        final boolean wasCwndLimited = t.cwndLimited;
        final boolean wasInRecovery = t.inRecovery || t.inLoss;
        final int priorUna = t.sndUna;
        final int priorLost = t.lostBytes;
        rate.start();
        ackRttNs = -1;
        final int priorSacked = t.sackedBytes;
        int sackResult = 0;
        if (t.sackOn && s.sackCount > 0) {
            sackResult = SackScoreboard.update(t, s, ack);
            if ((sackResult & SackScoreboard.NEWLY_SACKED) != 0) {
                markSacked(t, s, ack, sackResult, nowNs);
            }
        }
        final boolean dsackRetrans = (sackResult & SackScoreboard.DSACK) != 0 && t.undoRetrans > 0
            && dsackOfRetransmission(t, priorUna);
        if (Seq.gt(ack, t.sndUna)) {
            cumulativeAck(t, s, ack, nowNs);
        }
        if ((sackResult & SackScoreboard.DSACK) != 0) {
            c.dsacksIn.incrementRelease();
            rack.onDsack(t);
            if (dsackRetrans) {
                t.undoRetrans--; // RFC 3708 §2: one retransmission proved unnecessary
            }
        }
        final int acked = t.sndUna - priorUna;
        int delivered = acked + (t.sackedBytes - priorSacked);

        // Loss detection: RACK with SACK (RFC 8985 §6.2), DupThresh without (RFC 5681 §3.2, RFC 6582).
        if (t.sackOn) {
            if (!t.sacked.isEmpty() || t.inRecovery || t.inLoss) {
                rack.detectLoss(t, nowNs, maxSeg);
            } else {
                t.reoDeadlineNs = Long.MAX_VALUE;
            }
        } else if (dupAck && t.flight() > 0) {
            t.dupAcks++;
            if (t.inRecovery) {
                t.cwnd = Math.min(t.cwnd + t.sndMss, CongestionControl.MAX_CWND); // RFC 5681 §3.2 step 5
                delivered = 0;
            } else if (t.dupAcks == RackTlp.DUP_THRESH && !t.inLoss && Seq.ge(t.sndUna, t.recover)) {
                markHeadLost(t);
            }
        }
        if (acked > 0) {
            t.dupAcks = 0;
        }
        final int newlyLost = Math.max(t.lostBytes - priorLost, 0);

        if (t.tlpOut && Seq.gt(t.sndUna, t.tlpSeq)) {
            // RFC 8985 §7.4: the probe's episode ends; a retransmitted probe without a D-SACK repaired a real loss,
            // so the sender reduces its window once (as Linux tcp_process_tlp_ack).
            t.tlpOut = false;
            if (t.tlpRetransmit && (sackResult & SackScoreboard.DSACK) == 0 && !t.inRecovery && !t.inLoss
                && bbr == null) {
                cc.onEnterRecovery(t, nowNs);
                t.cwnd = Math.min(t.cwnd, t.ssthresh);
                c.tlpRecoveries.incrementRelease();
            }
            t.tlpRetransmit = false;
        }

        if (t.inLoss && acked > 0) {
            if (eifelSpurious(t, s)) {
                undo(t, true);
            } else if (Seq.ge(t.sndUna, t.recover)) {
                t.inLoss = false; // RFC 6582 §3.2 step 3 reading for RTO recovery: everything sent before it is ACKed
                RackTlp.onRecoveryExit(t);
            }
        }
        if (t.inRecovery) {
            if (Seq.ge(t.sndUna, t.recover)) {
                exitRecovery(t, s, nowNs);
            } else if (!t.sackOn) {
                if (acked > 0) {
                    // RFC 6582 §3.2 step 5: partial acknowledgment: resend the first unacknowledged segment,
                    // deflate cwnd by the amount acknowledged and add back one SMSS.
                    markHeadLost(t);
                    t.cwnd = Math.max(t.cwnd - acked + t.sndMss, t.sndMss);
                }
            } else if (bbr == null) {
                Prr.onAck(t, delivered, SackScoreboard.pipe(t), maxSeg);
            }
        }
        if (startRecoveryIfLost(t, delivered, maxSeg, nowNs)) {
            // entered fast recovery on this ACK
        } else if (acked > 0 && !t.inRecovery && isSynchronized(t) && bbr == null) {
            if (wasCwndLimited) {
                cc.onAck(t, acked, nowNs); // RFC 7661: grow only while the window was the limit
            }
        }
        if (bbr != null && isSynchronized(t)) {
            rate.finish(t, t.bbrMinRttNs);
            bbr.onRateSample(t, rate, Math.max(delivered, 0), newlyLost, ackRttNs, SackScoreboard.pipe(t),
                t.inRecovery || t.inLoss, wasInRecovery, nowNs);
        }
    }

    /**
     * RFC 3708 §2 (as Linux tcp_check_dsack and tcp_sacktag_one): does the D-SACK report a duplicate of a
     * retransmission? Below the prior SND.UNA the records are gone: anything since recovery began counts; above
     * it, a record it covers must have been retransmitted.
     */
    private boolean dsackOfRetransmission(final Tcb t, final int priorUna) {
        final int l = t.dsackInL;
        final int r = t.dsackInR;
        if (Seq.le(r, priorUna)) {
            return Seq.gt(r, t.undoMarker);
        }
        for (int i = 0; i < t.segCount; i++) {
            final int a = log.at(t, i);
            if (Seq.ge(log.start(a), r)) {
                break;
            }
            if (Seq.gt(log.end(a), l) && (log.flags(a) & SentSegments.RETRANSMITTED) != 0) {
                return true;
            }
        }
        return false;
    }

    private static boolean isSynchronized(final Tcb t) {
        return TcpState.isSynchronized(t.state);
    }

    /**
     * Records wholly inside the scoreboard become SACKED; each newly delivered one updates RACK (§6.2). A SACK's TSecr
     * says nothing of which transmission arrived: the receiver updates TS.Recent only from a segment at RCV.NXT (RFC
     * 7323 §4.3), so while the hole lasts every SACK echoes the TSval of the segment before it, older than any
     * retransmission. RFC 8985 §6.2 step 2's TSecr test would then skip every SACKed retransmission, and a lost
     * retransmission of the hole could only end in an RTO (seen at 20% loss: the hole's retransmission lost, the
     * eight sent after it SACKed, 0.4 + 0.8 s of RTO). As Linux's tcp_rack_advance, only the min_RTT test applies
     * to SACKed retransmissions; the TSecr test stays for cumulatively acknowledged ones, where it is meaningful.
     */
    private void markSacked(final Tcb t, final TcpSegment s, final int ack, final int update, final long nowNs) {
        // Only records overlapping a block this ACK recorded can have become covered (every record the scoreboard
        // covered before is marked already), so the walk is over those blocks' records, found by binary search,
        // not over the whole flight: with thousands of segments in flight and a SACK on every ACK, a walk from
        // SND.UNA cost O(flight) per ACK. Blocks are taken in sequence order, so RTT samples come in the order the
        // records were sent, as a walk from SND.UNA gives them.
        final int floor = SackScoreboard.floor(t, ack);
        int done = 0;
        while (true) {
            int b = -1;
            for (int j = 0; j < s.sackCount; j++) {
                if ((update & (SackScoreboard.NEW_BLOCK << j)) != 0 && (done & (1 << j)) == 0
                    && (b < 0 || Seq.lt(s.sackLeft[j], s.sackLeft[b]))) {
                    b = j;
                }
            }
            if (b < 0) {
                return;
            }
            done |= 1 << b;
            final int l = Seq.lt(s.sackLeft[b], floor) ? floor : s.sackLeft[b];
            markBlock(t, l, s.sackRight[b], nowNs);
        }
    }

    /**
     * Marks the records {@code [l, r)} (a block just recorded) makes wholly SACKed: those inside the block, and
     * those straddling its edges that the scoreboard range it merged into covers.
     */
    private void markBlock(final Tcb t, final int l, final int r, final long nowNs) {
        final RangeSet sb = t.sacked;
        int lo = l;
        int hi = r;
        for (int k = 0; k < sb.count() && Seq.le(sb.left(k), l); k++) {
            if (Seq.ge(sb.right(k), r)) {
                lo = sb.left(k);
                hi = sb.right(k);
                break;
            }
        }
        for (int i = log.firstEndingAfter(t, l); i < t.segCount; i++) {
            final int a = log.at(t, i);
            final int st = log.start(a);
            if (!Seq.lt(st, r)) {
                break;
            }
            if ((log.flags(a) & SentSegments.SACKED) == 0 && Seq.le(lo, st) && Seq.le(log.end(a), hi)) {
                log.markSacked(t, a);
                if (bbr != null) {
                    rate.onDelivered(t, a, nowNs);
                }
                final long rtt = rack.onDelivered(t, a, nowNs, Integer.MIN_VALUE);
                if (rtt >= 0) {
                    RttEstimator.minRtt(t, rtt, nowNs);
                    HyStart.onRtt(t, rtt);
                    ackRttNs = rtt;
                }
            }
        }
    }

    /** RFC 9293 §3.10.7.4 fifth: SND.UNA advances; the send buffer frees what is acknowledged. */
    void cumulativeAck(final Tcb t, final TcpSegment s, final int ack, final long nowNs) {
        long sampleNs = -1;
        boolean retransmittedAcked = false;
        if (t.segCount > 0) {
            final int echoTick = t.tsOn && s.hasTimestamps && s.tsEcr != 0 ? s.tsEcr - t.tsOffset : Integer.MIN_VALUE;
            for (int i = 0; i < t.segCount; i++) {
                final int a = log.at(t, i);
                if (Seq.ge(log.start(a), ack)) {
                    break;
                }
                retransmittedAcked |= (log.flags(a) & SentSegments.RETRANSMITTED) != 0;
                if ((log.flags(a) & SentSegments.SACKED) == 0 && Seq.le(log.end(a), ack)) {
                    if (bbr != null) {
                        rate.onDelivered(t, a, nowNs);
                    }
                    final long rtt = rack.onDelivered(t, a, nowNs, echoTick);
                    if (rtt >= 0) {
                        ackRttNs = rtt;
                        if (sampleNs < 0) {
                            sampleNs = rtt; // the oldest unambiguous segment, as Linux's seq_rtt (RFC 6298 §3)
                        }
                    }
                }
            }
            probing.onCumulativeAck(t, ack, nowNs); // RFC 4821 §7.6.1: before the probe's record goes
            log.ackTo(t, ack);
        }
        if (retransmittedAcked) {
            // RFC 6298 §3 (Karn), as Linux's FLAG_RETRANS_DATA_ACKED: an ACK that covers a retransmission may answer
            // it, and a segment it also covers may have waited behind the hole: no RTT sample from this ACK.
            sampleNs = -1;
        }
        if (sampleNs >= 0) {
            RttEstimator.sample(t, sampleNs, nowNs, cfg.timerTickNs, cfg.rtoMinNs, cfg.rtoMaxNs);
            HyStart.onRtt(t, sampleNs);
        } else if (t.segCount == 0 || !t.rttValid) {
            handshakeRtt(t, s, ack, nowNs);
        }
        int dataAcked = ack - t.sndBufSeq;
        if (dataAcked < 0) {
            dataAcked = 0;
        } else if (dataAcked > t.sndLen) {
            dataAcked = t.sndLen;
        }
        if (dataAcked > 0) {
            t.sndBufSeq += dataAcked;
            t.sndLen -= dataAcked;
            t.sndHead = t.sndLen == 0 ? 0 : (t.sndHead + dataAcked) % t.sndCap;
        }
        t.sndUna = ack;
        if (Seq.lt(t.sndNxt, ack)) {
            t.sndNxt = ack;
        }
        t.retransmits = 0;
        SackScoreboard.prune(t);
        if (t.segCount > 0 && !t.sacked.isEmpty()) {
            // An ACK inside a record trims it (SentSegments.ackTo); a record that straddled a SACK block's left
            // edge may now lie wholly inside it. Mark it, so every record the scoreboard covers stays marked.
            final int a = log.at(t, 0);
            if ((log.flags(a) & SentSegments.SACKED) == 0 && t.sacked.covers(log.start(a), log.end(a))) {
                log.markSacked(t, a);
            }
        }
        if (HyStart.onAck(t)) {
            t.cwndLimited = false; // a new round: it must show again that the window limits it
        }
        t.persistBackoff = 0;
    }

    /** Header prediction's ACK (ESTABLISHED, nothing SACKed, lost or in recovery): SND.UNA moves, cwnd grows. */
    void fastAck(final Tcb t, final TcpSegment s, final int ack, final long nowNs) {
        final boolean wasCwndLimited = t.cwndLimited;
        final int acked = ack - t.sndUna;
        rate.start();
        ackRttNs = -1;
        cumulativeAck(t, s, ack, nowNs);
        t.dupAcks = 0;
        if (t.tlpOut && Seq.gt(t.sndUna, t.tlpSeq)) {
            t.tlpOut = false;
            t.tlpRetransmit = false;
        }
        if (bbr != null) {
            rate.finish(t, t.bbrMinRttNs);
            bbr.onRateSample(t, rate, acked, 0, ackRttNs, SackScoreboard.pipe(t), false, false, nowNs);
        } else if (wasCwndLimited) {
            cc.onAck(t, acked, nowNs);
        }
    }

    /** RFC 6298 §3 / RFC 7323 §4.2: an RTT sample for what has no transmit record (SYN, SYN-ACK). */
    void handshakeRtt(final Tcb t, final TcpSegment s, final int ack, final long nowNs) {
        long rttNs = -1;
        if (t.tsOn && s.hasTimestamps && s.tsEcr != 0) {
            if (t.rtoTsFloorSet && Seq.lt(s.tsEcr, t.rtoTsFloor)) {
                return; // Karn applied to TSecr: an echo from before the last timeout spans the timeout
            }
            final int ticks = Timestamps.now(t, nowNs) - s.tsEcr;
            if (ticks >= 0) {
                rttNs = ticks * Timestamps.TICK_NS;
            }
        } else if (t.rttTiming && Seq.ge(ack, t.rttSeq)) {
            rttNs = nowNs - t.rttStartNs;
            t.rttTiming = false;
        }
        if (rttNs >= 0) {
            RttEstimator.sample(t, rttNs, nowNs, cfg.timerTickNs, cfg.rtoMinNs, cfg.rtoMaxNs);
        }
    }

    /** RFC 8985 §6.3: the reordering timer fired: mark what is now overdue, and start recovery if it is new. */
    void onReorderTimeout(final Tcb t, final long nowNs) {
        final int maxSeg = Output.maxSegment(t);
        rack.detectLoss(t, nowNs, maxSeg);
        startRecoveryIfLost(t, 0, maxSeg, nowNs);
    }

    /**
     * Fast recovery starts when something is marked lost outside recovery and beyond {@code recover} (RFC 6582 §3.2
     * step 2); PRR (RFC 6937) sets cwnd on this first ACK too, unless the congestion control sets it itself (BBR).
     *
     * @return true when recovery started
     */
    private boolean startRecoveryIfLost(final Tcb t, final int delivered, final int maxSeg, final long nowNs) {
        if (t.inRecovery || t.inLoss || t.lostBytes <= 0 || Seq.lt(t.sndUna, t.recover)) {
            return false;
        }
        if (probing.onLoss(t, nowNs)) {
            return false; // RFC 4821 §7.6.2: only the MTU probe was lost: its size, not congestion
        }
        enterRecovery(t, nowNs);
        if (t.sackOn && bbr == null) {
            Prr.onAck(t, delivered, SackScoreboard.pipe(t), maxSeg);
        }
        return true;
    }

    /** NewReno without SACK: the segment at SND.UNA is lost and goes out first (RFC 6582 §3.2 steps 2 and 5). */
    private void markHeadLost(final Tcb t) {
        if (t.segCount > 0) {
            log.markLost(t, log.at(t, 0));
            t.rtxAtUna = true;
        }
    }

    /** RFC 6675 §5 step 4 / RFC 6582 §3.2 step 2, with PRR (RFC 6937) for SACK connections. */
    void enterRecovery(final Tcb t, final long nowNs) {
        t.priorCwnd = t.cwnd;
        t.priorSsthresh = t.ssthresh;
        t.undoRetrans = 0;
        t.undoMarker = t.sndUna;
        t.retransStampSet = false;
        t.undoPossible = true;
        t.inRecovery = true;
        t.recover = t.sndMax;
        HyStart.onLoss(t);
        cc.onEnterRecovery(t, nowNs);
        Prr.start(t, SackScoreboard.pipe(t) + t.lostBytes);
        if (t.tlpArmed) {
            // The timer held the probe deadline (RFC 8985 §7.2: no probe in recovery): it becomes the RTO again,
            // or the PTO a few ms away would fire as a timeout in the middle of fast recovery.
            t.tlpArmed = false;
            t.rtxDeadlineNs = nowNs + t.rtoNs;
        }
        c.fastRetransmits.incrementRelease();
    }

    private void exitRecovery(final Tcb t, final TcpSegment s, final long nowNs) {
        t.inRecovery = false;
        t.rtxAtUna = false;
        t.dupAcks = 0;
        RackTlp.onRecoveryExit(t);
        if (t.undoPossible && (t.undoRetrans == 0 || eifelSpurious(t, s))) {
            undo(t, false); // every retransmission was D-SACKed, or the ACK echoes the original: spurious
            return;
        }
        if (bbr != null) {
            cc.onExitRecovery(t, nowNs); // BBR restores the cwnd it saved on the next rate sample
        } else if (t.sackOn) {
            t.cwnd = Math.max(t.ssthresh, t.sndMss); // RFC 6937 §3: cwnd = ssthresh at the end of recovery
        } else {
            cc.onExitRecovery(t, nowNs);
        }
    }

    /** RFC 3522 Eifel (as Linux tcp_packet_delayed): the ACK echoes a TSval older than the first retransmission. */
    private static boolean eifelSpurious(final Tcb t, final TcpSegment s) {
        return t.undoPossible && t.retransStampSet && t.tsOn && s.hasTimestamps && s.tsEcr != 0
            && Seq.lt(s.tsEcr, t.retransStampTs);
    }

    /** Undo a spurious window reduction (RFC 4015 response, as Linux tcp_undo_cwnd_reduction). */
    private void undo(final Tcb t, final boolean loss) {
        t.cwnd = Math.max(t.cwnd, t.priorCwnd);
        t.ssthresh = Math.max(t.ssthresh, t.priorSsthresh);
        t.undoPossible = false;
        c.undos.incrementRelease();
        if (loss) {
            t.inLoss = false;
            log.clearLost(t);
        }
    }

    /**
     * RFC 6298 §5.4-5.7 and RFC 9293 §3.8.3: retransmission timeout. Every outstanding segment not SACKed is marked
     * lost (RFC 8985 §6.3, as Linux tcp_enter_loss) and resent in slow start from a one-segment window.
     *
     * @return false when the connection gave up (R2, the caller closes it)
     */
    boolean onRetransmissionTimeout(final Tcb t, final long nowNs) {
        t.tlpArmed = false;
        t.tlpOut = false;
        c.rtoExpiries.incrementRelease();
        t.retransmits++;
        final boolean handshake = t.state == TcpState.SYN_SENT || t.state == TcpState.SYN_RECEIVED;
        if (!handshake && t.sndWnd == 0 && !t.orphan) {
            // RFC 1122 §4.2.2.17 / RFC 9293 §3.8.6.1 (MUST-35, MUST-36): the peer closed its window with data in
            // flight; the retransmissions are zero-window probes and the connection stays open while it answers
            // them. As Linux (tcp_retransmit_timer): give up only when nothing came back for the maximum RTO.
            if (nowNs - t.lastRecvNs > cfg.rtoMaxNs) {
                return false;
            }
        } else if (t.retransmits > (handshake ? cfg.maxSynRetransmits
            : t.orphan ? Math.min(cfg.orphanRetries, cfg.maxRetransmits) : cfg.maxRetransmits)) {
            // RFC 9293 §3.8.3: R2 reached. Deviation, as Linux (tcp_orphan_retries): a connection the application
            // closed gives up sooner, so a peer cannot hold orphans forever.
            return false;
        }
        t.rtoNs = Math.min(t.rtoNs * 2, cfg.rtoMaxNs); // RFC 6298 §5.5: back off the timer
        t.rttTiming = false; // RFC 6298 §3 (Karn)
        t.rtoTsFloor = Timestamps.now(t, nowNs);
        t.rtoTsFloorSet = true;
        if (handshake) {
            c.retransmits.incrementRelease();
            t.sndNxt = t.iss; // the SYN or SYN-ACK goes out again
            return true;
        }
        if (!t.inLoss) {
            t.priorCwnd = t.inRecovery ? t.priorCwnd : t.cwnd;
            t.priorSsthresh = t.inRecovery ? t.priorSsthresh : t.ssthresh;
            t.undoPossible = true;
            t.undoRetrans = 0;
            t.undoMarker = t.sndUna;
            t.retransStampSet = false;
        }
        if (t.retransmits == 1) {
            cc.onRto(t, nowNs);
        } else {
            t.cwnd = t.sndMss;
        }
        HyStart.onLoss(t);
        t.recover = t.sndMax; // RFC 6582 §4: after a timeout, recover = highest sequence sent
        t.inRecovery = false;
        t.inLoss = true;
        t.rtxAtUna = false;
        t.dupAcks = 0;
        t.reoDeadlineNs = Long.MAX_VALUE;
        // RFC 6675 §5.1 keeps the scoreboard across a timeout. Deviation (RFC 2018 §8 allows reneging): after three
        // timeouts in a row without progress the SACKed marks are dropped and everything is sent again.
        if (t.retransmits >= 3) {
            SackScoreboard.clear(t, log);
        }
        for (int i = 0; i < t.segCount; i++) {
            log.markLost(t, log.at(t, i));
        }
        probing.onRetransmissionTimeout(t, nowNs); // RFC 4821 §7.7: a black hole lowers the size of what is resent
        return true;
    }
}
