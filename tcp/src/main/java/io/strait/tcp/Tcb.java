package io.strait.tcp;


/**
 * Transmission Control Block (RFC 9293 §3.3.1): the state of one connection. Pooled and recycled by the engine;
 * fields use the RFC's names. Sequence numbers are ints compared only through {@link Seq}.
 */
final class Tcb {
    /** Out-of-order ranges the receiver keeps (a wide window at high loss has many holes; Linux bounds by memory). */
    static final int MAX_OOO_RANGES = 64;
    static final int MAX_SACK_RANGES = 64;

    final int slot;
    int generation;
    int state = TcpState.CLOSED;
    int localIp;
    int remoteIp;
    int localPort;
    int remotePort;
    TcpHandler handler;
    /** Created by a passive open; in SYN_RECEIVED it counts against the listener's backlog. */
    boolean passive;
    boolean inBacklog;
    /** onOpen may be delivered / the app holds the handle (until onClose). */
    boolean appAttached;
    boolean opened;
    /** close() was called: no more data to the app (orphan, as Linux). */
    boolean orphan;
    /** shutdownOutput()/close(): a FIN follows the queued data. */
    boolean finQueued;
    boolean peerFin;
    boolean peerFinNotified;

    // Send sequence variables (RFC 9293 §3.3.1, Figure 4).
    int iss;
    int sndUna;
    int sndNxt;
    /** Highest sequence sent; SND.NXT before a go-back-N rewind after RTO. */
    int sndMax;
    int sndWnd;
    int sndWl1;
    int sndWl2;
    int maxSndWnd;
    int sndWscale;
    int rcvWscale;
    int sndMss;
    boolean tsOn;
    boolean sackOn;
    boolean wsOn;
    boolean forceSend;
    /** The last soft ICMP error for this connection (RFC 1122 §4.2.3.9): type << 8 | code; 0 = none. */
    int softError;

    // RFC 4821 packetization-layer path MTU discovery (MtuProbing), in MSS units (as sndMss): on after a black
    // hole was suspected; search_low (passes), search_high (may pass), the MSS before the black hole (the ceiling),
    // the probe in flight (size 0 = none) and when the search last finished (reprobes wait an interval after it).
    boolean mtupOn;
    int mtupLow;
    int mtupHigh;
    int mtupMax;
    int mtupProbeMss;
    int mtupProbeSeq;
    int mtupProbeEnd;
    long mtupStampNs;

    // Receive sequence variables (RFC 9293 §3.3.1, Figure 5).
    int irs;
    int rcvNxt;
    int rcvWnd;
    /** RCV.NXT + RCV.WND as last advertised; never moved left (RFC 9293 §3.8.6). */
    int rcvAdvEdge;

    // Off-heap rings in the engine's slab: a small chunk of its own, and large chunks borrowed while the
    // bandwidth-delay product needs them (-1 = none). Capacities are per connection (buffer autotuning).
    int chunk = -1;
    int sndLarge = -1;
    int rcvLarge = -1;
    int sndCap;
    int rcvCap;
    int segCap;
    /**
     * Bytes the send ring accepts and the receive window offers at most: the ring's capacity, or less under the
     * app's per-connection cap (SO_SNDBUF / SO_RCVBUF, {@code sndBufLimit} / {@code rcvBufLimit}, 0 = none).
     */
    int sndBufBytes;
    int rcvBufBytes;
    int sndBufLimit;
    int rcvBufLimit;
    int sndBase;
    int sndBufSeq;
    int sndHead;
    int sndLen;
    int rcvBase;
    int rcvHead;
    int rcvLen;
    /**
     * Receive autotuning's measurement (as Linux's rcvq_space): bytes since {@code rcvSpaceSeq} within one smoothed
     * RTT ending at {@code rcvSpaceEndNs}; {@code rcvSpaceOpen} once a measurement has started.
     */
    boolean rcvSpaceOpen;
    int rcvSpaceSeq;
    long rcvSpaceEndNs;

    // Out-of-order ranges beyond RCV.NXT, data kept in the receive ring at its position.
    final RangeSet ooo = new RangeSet(MAX_OOO_RANGES);
    /** RFC 2883: a duplicate segment arrived; the next ACK reports [dsackL, dsackR) first. */
    boolean dsackPending;
    int dsackL;
    int dsackR;
    boolean rcvFinPending;
    int rcvFinSeq;

    // RFC 7323 timestamps.
    int tsRecent;
    long tsRecentNs;
    int lastAckSent;
    int tsOffset;

    // RFC 6298 RTT estimation.
    long srttNs;
    long rttvarNs;
    long rtoNs;
    boolean rttValid;
    boolean rttTiming;
    int rttSeq;
    long rttStartNs;
    int retransmits;
    /** TSval at the last RTO: older TSecr echoes give no RTT sample. */
    int rtoTsFloor;
    boolean rtoTsFloorSet;

    // Congestion control (RFC 5681, 6582, 6675, 9438).
    /** RFC 7661 / Linux's is_cwnd_limited: the window was the limit during this round (cwnd may grow). */
    boolean cwndLimited;
    long lastSendNs;
    int cwnd;
    int ssthresh;
    int dupAcks;
    boolean inRecovery;
    int recover;
    /** RTO recovery (Linux's TCP_CA_Loss): every outstanding segment was marked lost, resent in slow start. */
    boolean inLoss;
    /** NewReno without SACK: the lost segment at SND.UNA goes out once regardless of cwnd (RFC 6582 §3.2). */
    boolean rtxAtUna;
    int bytesAckedCa;
    long cubicEpochNs;
    double cubicWmaxSeg;
    double cubicLastWmaxSeg;
    double cubicK;
    double cubicWEstSeg;

    // RFC 6937 Proportional Rate Reduction.
    long prrDelivered;
    long prrOut;
    int recoverFs;

    // Undo of spurious reductions (RFC 3708 D-SACK, RFC 3522 Eifel with timestamps, as Linux).
    int priorCwnd;
    int priorSsthresh;
    int undoRetrans;
    /** SND.UNA when the reduction began (Linux's undo_marker). */
    int undoMarker;
    int retransStampTs;
    boolean retransStampSet;
    boolean undoPossible;

    // Delivery rate (draft-cheng-iccrg-delivery-rate-estimation): bytes delivered (ACKed or SACKed) so far, when
    // the last delivery happened, the send time of the segment that started the current interval, and the
    // delivered count until which samples are application-limited (0 = not).
    long deliveredBytes;
    long deliveredTimeNs;
    long firstTxNs;
    long appLimitedUntil;

    // BBR (as Linux tcp_bbr.c, v1): mode, bottleneck bandwidth filter (max per round over BBR_BW_ROUNDS rounds),
    // minimum RTT with its stamp, round counting, full-bandwidth detection, gain cycling, PROBE_RTT.
    int bbrMode;
    final long[] bbrBw = new long[Bbr.BW_ROUNDS];
    long bbrRound;
    long bbrNextRoundDelivered;
    boolean bbrRoundStart;
    long bbrMinRttNs;
    long bbrMinRttStampNs;
    long bbrFullBw;
    int bbrFullBwCount;
    boolean bbrFullBwReached;
    int bbrCycleIdx;
    long bbrCycleStampNs;
    long bbrProbeRttDoneNs;
    boolean bbrProbeRttRoundDone;
    int bbrPriorCwnd;
    boolean bbrConservation;
    long bbrConservationEndDelivered;

    // RFC 9406 HyStart++ (rounds end when SND.UNA passes hsRoundEnd).
    int hsRoundEnd;
    long hsLastRoundMinRttNs;
    long hsCurRoundMinRttNs;
    int hsSamples;
    boolean hsCss;
    long hsCssBaselineNs;
    int hsCssRounds;

    // RFC 8985 RACK: the most recently sent segment delivered, its RTT, reordering state, the reorder timer.
    boolean rackValid;
    long rackXmitNs;
    int rackEndSeq;
    long rackRttNs;
    int rackFack;
    boolean reorderingSeen;
    int reoWndMult;
    int reoWndPersist;
    boolean dsackRoundActive;
    int dsackRoundSeq;
    long minRttNs;
    long minRttStampNs;
    long reoDeadlineNs = Long.MAX_VALUE;
    /** Bytes of segments marked lost and not yet sent again (Linux's lost_out less retrans_out). */
    int lostBytes;
    /**
     * Bytes of segments marked SACKed (Linux's sacked_out, in bytes): the scoreboard's count, kept from the
     * per-segment marks so that a range the bounded {@link #sacked} set had to forget is still counted.
     */
    int sackedBytes;
    /** The last D-SACK block received. */
    int dsackInL;
    int dsackInR;

    // The per-segment transmit record (SentSegments): a ring in the slab chunk.
    int segBase;
    int segHead;
    int segCount;
    /** Above this sequence no record was ever retransmitted, so their send times rise with sequence. */
    int rtxHighEnd;

    // RFC 8985 §7 Tail Loss Probe: tlpArmed = rtxDeadlineNs holds the PTO, not the RTO; tlpOut = a probe is out
    // (one per episode); tlpSeq = where that probe started.
    boolean tlpArmed;
    boolean tlpOut;
    int tlpSeq;
    boolean tlpRetransmit;

    // SACK scoreboard (RFC 6675 §3), merged ranges of SACKed sequence space above SND.UNA.
    final RangeSet sacked = new RangeSet(MAX_SACK_RANGES);

    // ACK policy.
    boolean ackNow;
    int unackedBytes;

    // Timers: one wheel timer per TCB at the earliest of these deadlines (Long.MAX_VALUE = off).
    long rtxDeadlineNs = Long.MAX_VALUE;
    long delAckDeadlineNs = Long.MAX_VALUE;
    long persistDeadlineNs = Long.MAX_VALUE;
    long keepaliveDeadlineNs = Long.MAX_VALUE;
    /** SYN_RECEIVED expiry, FIN_WAIT_2 timeout or TIME_WAIT end. */
    long closeDeadlineNs = Long.MAX_VALUE;
    int persistBackoff;
    int keepaliveProbes;
    /** Per-connection options (from TcpConfig at allocation, changed with TcpEngine.setNagle / setKeepalive). */
    boolean nagle;
    boolean keepalive;
    long lastRecvNs;

    // Engine bookkeeping.
    boolean dirty;
    boolean delivered;
    boolean wantWritable;
    boolean fired;

    Tcb(final int slot) {
        this.slot = slot;
        reset();
    }

    long handle() {
        return ((long) generation << 32) | (slot & 0xFFFF_FFFFL);
    }

    int flight() {
        return sndNxt - sndUna;
    }

    int dataEnd() {
        return sndBufSeq + sndLen;
    }

    void reset() {
        state = TcpState.CLOSED;
        handler = null;
        passive = inBacklog = appAttached = opened = orphan = finQueued = peerFin = peerFinNotified = false;
        iss = sndUna = sndNxt = sndMax = sndWnd = sndWl1 = sndWl2 = maxSndWnd = sndWscale = rcvWscale = 0;
        sndMss = 0;
        tsOn = sackOn = wsOn = forceSend = false;
        softError = 0;
        mtupOn = false;
        mtupLow = mtupHigh = mtupMax = mtupProbeMss = mtupProbeSeq = mtupProbeEnd = 0;
        mtupStampNs = 0;
        irs = rcvNxt = rcvWnd = rcvAdvEdge = 0;
        chunk = -1;
        sndLarge = rcvLarge = -1;
        sndCap = rcvCap = segCap = 0;
        sndBufBytes = rcvBufBytes = sndBufLimit = rcvBufLimit = 0;
        sndBase = sndBufSeq = sndHead = sndLen = rcvBase = rcvHead = rcvLen = 0;
        rcvSpaceOpen = false;
        rcvSpaceSeq = 0;
        rcvSpaceEndNs = 0;
        ooo.clear();
        dsackPending = false;
        dsackL = dsackR = 0;
        rcvFinPending = false;
        rcvFinSeq = 0;
        tsRecent = lastAckSent = tsOffset = 0;
        tsRecentNs = 0;
        srttNs = rttvarNs = rtoNs = 0;
        rttValid = rttTiming = false;
        rttSeq = 0;
        rttStartNs = 0;
        retransmits = 0;
        rtoTsFloor = 0;
        rtoTsFloorSet = false;
        cwnd = ssthresh = dupAcks = recover = bytesAckedCa = 0;
        cwndLimited = false;
        lastSendNs = 0;
        inRecovery = inLoss = rtxAtUna = false;
        prrDelivered = prrOut = 0;
        recoverFs = 0;
        priorCwnd = priorSsthresh = undoRetrans = retransStampTs = undoMarker = 0;
        retransStampSet = undoPossible = false;
        deliveredBytes = deliveredTimeNs = firstTxNs = appLimitedUntil = 0;
        bbrMode = 0;
        java.util.Arrays.fill(bbrBw, 0);
        bbrRound = bbrNextRoundDelivered = bbrFullBw = bbrConservationEndDelivered = 0;
        bbrRoundStart = bbrFullBwReached = bbrProbeRttRoundDone = bbrConservation = false;
        bbrMinRttNs = Long.MAX_VALUE;
        bbrMinRttStampNs = bbrCycleStampNs = bbrProbeRttDoneNs = 0;
        bbrFullBwCount = bbrCycleIdx = bbrPriorCwnd = 0;
        hsRoundEnd = hsSamples = hsCssRounds = 0;
        hsLastRoundMinRttNs = hsCurRoundMinRttNs = Long.MAX_VALUE;
        hsCss = false;
        hsCssBaselineNs = 0;
        rackValid = reorderingSeen = dsackRoundActive = false;
        rackXmitNs = rackRttNs = 0;
        rackEndSeq = rackFack = dsackRoundSeq = 0;
        reoWndMult = 1;
        reoWndPersist = 0;
        minRttNs = Long.MAX_VALUE;
        minRttStampNs = 0;
        reoDeadlineNs = Long.MAX_VALUE;
        lostBytes = sackedBytes = dsackInL = dsackInR = 0;
        segBase = segHead = segCount = rtxHighEnd = 0;
        tlpArmed = tlpOut = tlpRetransmit = false;
        tlpSeq = 0;
        cubicEpochNs = 0;
        cubicWmaxSeg = cubicLastWmaxSeg = cubicK = cubicWEstSeg = 0;
        sacked.clear();
        ackNow = false;
        unackedBytes = 0;
        rtxDeadlineNs = delAckDeadlineNs = persistDeadlineNs = keepaliveDeadlineNs = closeDeadlineNs = Long.MAX_VALUE;
        persistBackoff = keepaliveProbes = 0;
        lastRecvNs = 0;
        delivered = wantWritable = false;
        // dirty and fired stay: the slot may still sit in the engine's queues, which skip CLOSED TCBs.
    }
}
