package io.strait.tcp;

import io.strait.tcp.wire.TcpSegment;

import static io.strait.tcp.TcpState.*;
import static io.strait.tcp.wire.TcpHeader.*;

/**
 * SEGMENT ARRIVES (RFC 9293 §3.10.7) in its numbered steps, per state: CLOSED (§3.10.7.1), LISTEN with SYN
 * cookies (§3.10.7.2, RFC 4987), SYN-SENT (§3.10.7.3), and SYN-RECEIVED and the synchronized states
 * (§3.10.7.4) with RFC 5961's defences and RFC 7323's PAWS, after a header-prediction fast path.
 */
final class Input {
    /** RFC 5961 §10: the challenge ACK budget is counted per second of nowNs. */
    static final long CHALLENGE_WINDOW_NS = 1_000_000_000L;
    /** Linux's TCP_MIN_MSS: the smallest sending MSS accepted from a peer. */
    static final int MIN_MSS = 88;

    private final TcpConfig cfg;
    private final TcpCounters c;
    private final TcbPool pool;
    private final Listeners listeners;
    private final SynCookies cookies;
    private final Secrets secrets;
    private final SegmentWriter writer;
    private final Recovery recovery;
    private final Reassembly reassembly;
    private final Lifecycle lifecycle;
    private final Output output;
    private final Timers timers;
    private final WorkQueue work;
    private long challengeWindowStartNs = Long.MIN_VALUE;
    private int challengeAcksInWindow;

    Input(final TcpConfig cfg, final TcpCounters c, final TcbPool pool, final Listeners listeners,
        final SynCookies cookies, final Secrets secrets, final SegmentWriter writer, final Recovery recovery,
        final Reassembly reassembly, final Lifecycle lifecycle, final Output output, final WorkQueue work) {
        this.cfg = cfg;
        this.c = c;
        this.pool = pool;
        this.listeners = listeners;
        this.cookies = cookies;
        this.secrets = secrets;
        this.writer = writer;
        this.recovery = recovery;
        this.reassembly = reassembly;
        this.lifecycle = lifecycle;
        this.output = output;
        this.timers = pool.timers();
        this.work = work;
    }

    /** RFC 9293 §3.10.7.1: the connection is CLOSED (no TCB, no listener). */
    void closedArrives(final TcpSegment s, final int srcIp, final int dstIp, final SegmentSink out) {
        c.dropNoListener.incrementRelease();
        if (s.has(RST)) {
            return; // "An incoming segment containing a RST is discarded."
        }
        if (!s.has(ACK)) {
            // "<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>"
            writer.sendRaw(out, dstIp, srcIp, s.dstPort, s.srcPort, 0, s.seq + s.segLen(), RST | ACK, 0);
        } else {
            // "<SEQ=SEG.ACK><CTL=RST>"
            writer.sendRaw(out, dstIp, srcIp, s.dstPort, s.srcPort, s.ack, 0, RST, 0);
        }
    }

    /** RFC 9293 §3.10.7.2: LISTEN state (plus RFC 4987 SYN cookies). */
    void listenArrives(final TcpHandler l, final TcpSegment s, final int srcIp, final int dstIp, final long nowNs,
        final SegmentSink out) {
        // first: check for a RST — "An incoming RST segment could not be valid ... ignore it."
        if (s.has(RST)) {
            c.dropInvalidState.incrementRelease();
            return;
        }
        // second: check for an ACK — "Any acknowledgment is bad if it arrives on a connection still in the
        // LISTEN state. An acceptable reset segment should be formed: <SEQ=SEG.ACK><CTL=RST>", unless it is the
        // ACK completing a SYN-cookie handshake.
        if (s.has(ACK)) {
            if (!s.has(SYN) && cookies.active(nowNs)) {
                if (cookieAccept(l, s, srcIp, dstIp, nowNs, out)) {
                    return;
                }
                c.synCookiesRejected.incrementRelease();
                c.dropCookieRejected.incrementRelease();
            }
            writer.sendRaw(out, dstIp, srcIp, s.dstPort, s.srcPort, s.ack, 0, RST, 0);
            return;
        }
        // third: check for a SYN.
        if (!s.has(SYN)) {
            c.dropInvalidState.incrementRelease(); // fourth: "other text or control ... drop the segment"
            return;
        }
        final boolean room = pool.ensureFree();
        if (listeners.backlog(s.dstPort) >= cfg.listenBacklog || !room) {
            if (cfg.synCookies) {
                cookies.sendSynAck(s, srcIp, dstIp, nowNs, out);
            } else {
                (!room ? c.dropNoTcb : c.dropBacklogFull).incrementRelease();
            }
            return;
        }
        final Tcb t = newTcb(l, dstIp, s.dstPort, srcIp, s.srcPort, true);
        listeners.enterBacklog(t);
        // "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ ... ISS should be selected" (RFC 6528).
        t.irs = s.seq;
        t.rcvNxt = s.seq + 1;
        t.rcvAdvEdge = t.rcvNxt;
        startSend(t, secrets.isn(t, nowNs));
        negotiateOptions(t, s, nowNs);
        // RFC 7323 §2.2: the window field of a SYN is never scaled.
        t.sndWnd = s.window;
        t.maxSndWnd = s.window;
        t.sndWl1 = s.seq;
        t.sndWl2 = s.ack;
        t.closeDeadlineNs = nowNs + cfg.synReceivedTimeoutNs;
        t.lastRecvNs = nowNs;
        pool.setState(t, SYN_RECEIVED);
        // Data on a SYN is not queued (Deviation, as Linux without TFO: the peer retransmits it).
        work.add(t);
        timers.arm(t);
    }

    /** A TCB for a new connection with the configured per-connection options. */
    Tcb newTcb(final TcpHandler h, final int localIp, final int localPort, final int remoteIp, final int remotePort,
        final boolean passive) {
        final Tcb t = pool.allocate(localIp, localPort, remoteIp, remotePort);
        t.handler = h;
        t.passive = passive;
        t.rtoNs = cfg.rtoInitialNs;
        t.nagle = cfg.nagle;
        t.keepalive = cfg.keepalive;
        t.tsOffset = secrets.tsOffset(localIp, localPort, remoteIp, remotePort);
        return t;
    }

    static void startSend(final Tcb t, final int iss) {
        t.iss = iss;
        t.sndUna = t.sndNxt = t.sndMax = iss;
        t.sndBufSeq = iss + 1;
        t.recover = iss;
        t.hsRoundEnd = iss;
        t.rtxHighEnd = iss;
    }

    /** Validates the ACK completing a cookie handshake and creates the ESTABLISHED TCB. */
    private boolean cookieAccept(final TcpHandler l, final TcpSegment s, final int srcIp, final int dstIp,
        final long nowNs, final SegmentSink out) {
        final int mss = cookies.validate(s, srcIp, dstIp, nowNs);
        if (mss < 0) {
            return false;
        }
        if (!pool.ensureFree()) {
            c.dropNoTcb.incrementRelease();
            return true; // valid cookie but no room: drop silently, the peer retransmits
        }
        c.synCookiesAccepted.incrementRelease();
        final Tcb t = newTcb(l, dstIp, s.dstPort, srcIp, s.srcPort, true);
        t.irs = s.seq - 1;
        t.rcvNxt = s.seq;
        t.rcvAdvEdge = t.rcvNxt + Math.min(t.rcvBufBytes, 65535);
        startSend(t, s.ack - 1);
        t.sndUna = t.sndNxt = t.sndMax = s.ack;
        t.sndMss = Math.min(mss, cfg.mss);
        if (cfg.timestamps && s.hasTimestamps) {
            t.tsOn = true;
            t.tsRecent = s.tsVal;
            t.tsRecentNs = nowNs;
            final int bits = s.tsEcr & 0x3F;
            if ((bits & 0xF) != SynCookies.WS_NONE && cfg.windowScale) {
                t.wsOn = true;
                t.sndWscale = bits & 0xF;
                t.rcvWscale = cfg.windowScaleShift;
            }
            t.sackOn = cfg.sack && (bits & 0x10) != 0;
        }
        t.sndWnd = s.window << t.sndWscale;
        t.maxSndWnd = t.sndWnd;
        t.sndWl1 = s.seq;
        t.sndWl2 = s.ack;
        t.lastRecvNs = nowNs;
        t.lastAckSent = t.rcvNxt;
        pool.setState(t, SYN_RECEIVED);
        final long h = t.handle();
        lifecycle.establish(t, nowNs);
        if (TcbPool.alive(t, h) && (s.payloadLength > 0 || s.has(FIN))) {
            segmentArrives(t, s, nowNs, out);
        } else if (TcbPool.alive(t, h)) {
            work.add(t);
            timers.arm(t);
        }
        return true;
    }

    /** Handshake options (RFC 9293 §3.7.1 MSS, RFC 7323 §2.2 / §3.2, RFC 2018 §2). */
    private void negotiateOptions(final Tcb t, final TcpSegment s, final long nowNs) {
        // RFC 9293 §3.7.1 takes the peer's MSS as given; Deviation, as Linux (TCP_MIN_MSS): it is floored at 88, so
        // options never leave a segment without room for data (a peer's MSS of 12 would make every segment empty).
        t.sndMss = Math.max(Math.min(s.mss > 0 ? s.mss : DEFAULT_MSS, cfg.mss), MIN_MSS);
        if (cfg.windowScale && s.wscale >= 0) {
            t.wsOn = true;
            t.sndWscale = Math.min(s.wscale, MAX_WSCALE); // RFC 7323 §2.3: a shift above 14 is treated as 14
            t.rcvWscale = cfg.windowScaleShift;
        } else {
            t.wsOn = false;
            t.sndWscale = 0;
            t.rcvWscale = 0;
        }
        t.tsOn = cfg.timestamps && s.hasTimestamps;
        if (t.tsOn) {
            t.tsRecent = s.tsVal;
            t.tsRecentNs = nowNs;
        }
        t.sackOn = cfg.sack && s.sackPermitted;
        t.lastAckSent = t.rcvNxt;
    }

    /** RFC 9293 §3.10.7.3: SYN-SENT. */
    void synSentArrives(final Tcb t, final TcpSegment s, final long nowNs, final SegmentSink out) {
        // first: check the ACK bit — unacceptable if SEG.ACK =< ISS or SEG.ACK > SND.NXT.
        final boolean hasAck = s.has(ACK);
        if (hasAck && (Seq.le(s.ack, t.iss) || Seq.gt(s.ack, t.sndMax))) {
            c.dropBadAck.incrementRelease();
            if (!s.has(RST)) {
                writer.sendRaw(out, t.localIp, t.remoteIp, t.localPort, t.remotePort, s.ack, 0, RST, 0);
            }
            return;
        }
        // second: check the RST bit (RFC 5961 §3.2: acceptable only with an acceptable ACK).
        if (s.has(RST)) {
            if (hasAck) {
                c.resetsIn.incrementRelease();
                pool.close(t, CloseReason.REFUSED); // "error: connection reset"
            } else {
                c.dropInvalidState.incrementRelease();
            }
            return;
        }
        // third: security (not applicable). fourth: check the SYN bit.
        if (!s.has(SYN)) {
            c.dropInvalidState.incrementRelease();
            return;
        }
        t.irs = s.seq;
        t.rcvNxt = s.seq + 1;
        negotiateOptions(t, s, nowNs);
        t.rcvAdvEdge = t.rcvNxt + Math.min(t.rcvBufBytes, 65535);
        t.sndWnd = s.window; // RFC 7323 §2.2: not scaled in a SYN
        t.maxSndWnd = s.window;
        t.sndWl1 = s.seq;
        t.sndWl2 = s.ack;
        if (hasAck) {
            // "If SND.UNA > ISS (our SYN has been ACKed), change the connection state to ESTABLISHED".
            recovery.handshakeRtt(t, s, s.ack, nowNs);
            t.sndUna = s.ack;
            t.rtxDeadlineNs = Long.MAX_VALUE;
            t.ackNow = true;
            work.add(t);
            lifecycle.establish(t, nowNs);
        } else {
            // Simultaneous open: "enter SYN-RECEIVED, form a SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT>".
            pool.setState(t, SYN_RECEIVED);
            t.sndNxt = t.iss;
            t.closeDeadlineNs = nowNs + cfg.synReceivedTimeoutNs;
            work.add(t);
        }
        timers.arm(t);
    }

    /** RFC 9293 §3.10.7.4: SYN-RECEIVED and the synchronized states; the fast path first. */
    void segmentArrives(final Tcb t, final TcpSegment s, final long nowNs, final SegmentSink out) {
        if (fastPath(t, s, nowNs)) {
            return;
        }
        final int st = t.state;
        final boolean rst = s.has(RST);
        int seq = s.seq;
        int payOff = s.payloadOffset;
        int payLen = s.payloadLength;
        boolean fin = s.has(FIN);
        boolean syn = s.has(SYN);
        int segLen = s.segLen();
        if (st == SYN_RECEIVED && syn && s.has(ACK) && seq == t.irs && !t.passive) {
            // Simultaneous open (RFC 9293 §3.5 Figure 8, line 7): the peer's SYN,ACK repeats its SYN; the SYN
            // is a duplicate and only the ACK is new.
            syn = false;
            seq++;
            segLen--;
        }

        // RFC 7323 §5.3 R1: PAWS, before the sequence number check.
        if (!rst && Timestamps.pawsReject(t, s, nowNs)) {
            c.dropPaws.incrementRelease();
            t.ackNow = true;
            work.add(t);
            return;
        }

        // first: check sequence number (the four acceptability cases of RFC 9293 §3.10.7.4).
        int wnd = t.rcvAdvEdge - t.rcvNxt;
        if (wnd < 0) {
            wnd = 0;
        }
        boolean acceptable;
        if (segLen == 0) {
            acceptable = wnd == 0 ? seq == t.rcvNxt : Seq.inWindow(seq, t.rcvNxt, t.rcvNxt + wnd);
        } else {
            acceptable = wnd > 0 && (Seq.inWindow(seq, t.rcvNxt, t.rcvNxt + wnd)
                || Seq.inWindow(seq + segLen - 1, t.rcvNxt, t.rcvNxt + wnd));
        }
        if (!acceptable && wnd == 0 && seq == t.rcvNxt) {
            // "special allowance should be made to accept valid ACKs, URGs, and RSTs": keep the control part.
            acceptable = true;
            payLen = 0;
            fin = false;
            t.ackNow = true;
        }
        if (!acceptable) {
            if (st == TIME_WAIT && fin && seq + segLen == t.rcvNxt) {
                // RFC 9293 §3.10.7.4 eighth, TIME-WAIT: a retransmitted FIN is acknowledged and restarts 2 MSL
                // (it fails the sequence test since RCV.NXT already covers it, as Linux tcp_timewait_state_process).
                t.closeDeadlineNs = nowNs + cfg.timeWaitNs();
                t.ackNow = true;
                work.add(t);
                timers.arm(t);
                return;
            }
            c.dropNotAcceptable.incrementRelease();
            if (!rst) {
                if (payLen > 0 && Seq.lt(seq, t.rcvNxt)) {
                    Reassembly.dsack(t, seq, seq + payLen); // RFC 2883 §4: a wholly duplicate segment
                }
                // "<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>" (in SYN-RECEIVED, re-send the SYN-ACK, as Linux).
                t.ackNow = true;
                work.add(t);
            }
            return;
        }
        // Trim to the window: bytes before RCV.NXT are duplicates, bytes past the right edge are dropped.
        int dataSeq = syn ? seq + 1 : seq;
        if (Seq.lt(dataSeq, t.rcvNxt)) {
            final int cut = Math.min(t.rcvNxt - dataSeq, payLen);
            if (cut > 0) {
                Reassembly.dsack(t, dataSeq, dataSeq + cut); // RFC 2883 §4: the duplicated part
            }
            payOff += cut;
            payLen -= cut;
            dataSeq += cut;
            t.ackNow = true;
        }
        if (payLen > 0 && Seq.gt(dataSeq + payLen, t.rcvNxt + wnd)) {
            payLen = Math.max(0, t.rcvNxt + wnd - dataSeq);
            fin = false;
            t.ackNow = true;
        }

        // second: check the RST bit (RFC 5961 §3.2).
        if (rst) {
            if (seq == t.rcvNxt) {
                c.resetsIn.incrementRelease();
                // RFC 9293 §3.10.7.4 second (MUST-11): SYN-RECEIVED from a passive OPEN returns to LISTEN (the TCB
                // goes, the application never saw it); from an active OPEN the user is told "connection refused".
                // Any other state: "connection reset".
                pool.close(t, st == SYN_RECEIVED ? CloseReason.REFUSED : CloseReason.RESET);
            } else {
                challengeAck(t, nowNs, out); // RFC 5961 §3.2: in window but not exact
            }
            return;
        }
        // third: security and precedence — not applicable (no IPsec compartments here).

        // fourth: check the SYN bit (RFC 5961 §4.2): any SYN in a synchronized state gets a challenge ACK.
        if (syn) {
            if (st == SYN_RECEIVED) {
                t.ackNow = true; // retransmitted SYN: re-send the SYN-ACK
                work.add(t);
            } else {
                challengeAck(t, nowNs, out);
            }
            return;
        }

        // fifth: check the ACK field.
        if (!s.has(ACK)) {
            c.dropBadAck.incrementRelease(); // "if the ACK bit is off, drop the segment and return"
            return;
        }
        final int ack = s.ack;
        if (st == SYN_RECEIVED) {
            // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state" else "<SEQ=SEG.ACK><CTL=RST>".
            if (!(Seq.gt(ack, t.sndUna) && Seq.le(ack, t.sndMax))) {
                c.dropBadAck.incrementRelease();
                writer.sendRaw(out, t.localIp, t.remoteIp, t.localPort, t.remotePort, ack, 0, RST, 0);
                return;
            }
            t.sndWnd = s.window << t.sndWscale;
            t.maxSndWnd = Math.max(t.maxSndWnd, t.sndWnd);
            t.sndWl1 = seq;
            t.sndWl2 = ack;
            Timestamps.updateRecent(t, s, seq, nowNs);
            final long h = t.handle();
            lifecycle.establish(t, nowNs);
            if (!TcbPool.alive(t, h)) {
                return;
            }
        }
        // RFC 5961 §5.2: acceptable iff (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT.
        if (Seq.gt(ack, t.sndMax)) {
            c.dropBadAck.incrementRelease();
            t.ackNow = true; // "If the ACK acks something not yet sent ... send an ACK, drop the segment"
            work.add(t);
            return;
        }
        if (Seq.lt(ack, t.sndUna - t.maxSndWnd)) {
            c.dropBadAck.incrementRelease();
            challengeAck(t, nowNs, out);
            return;
        }
        Timestamps.updateRecent(t, s, seq, nowNs); // RFC 7323 §4.3
        final int window = s.window << t.sndWscale;
        final boolean dupAck = ack == t.sndUna && payLen == 0 && !fin && window == t.sndWnd;
        final int priorUna = t.sndUna;
        if (Seq.gt(ack, t.sndUna) || t.flight() > 0) {
            recovery.onAck(t, s, ack, dupAck, nowNs);
        }
        if (Seq.gt(t.sndUna, priorUna)) {
            // RFC 6298 §5.2 / §5.3: stop the timer when all is acknowledged, else restart it.
            if (t.flight() == 0) {
                t.rtxDeadlineNs = Long.MAX_VALUE;
                t.tlpArmed = false;
            } else {
                output.armRetransmitTimer(t, nowNs);
            }
        }
        // "If SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK), set SND.WND <- SEG.WND".
        if (Seq.lt(t.sndWl1, seq) || (t.sndWl1 == seq && Seq.le(t.sndWl2, ack))) {
            t.sndWnd = window;
            t.sndWl1 = seq;
            t.sndWl2 = ack;
            if (window > t.maxSndWnd) {
                t.maxSndWnd = window;
            }
            if (window > 0) {
                t.persistBackoff = 0;
            }
        }
        switch (t.state) {
            case FIN_WAIT_1 -> {
                if (Lifecycle.finAcked(t)) {
                    pool.setState(t, FIN_WAIT_2); // "if the FIN segment is now acknowledged, enter FIN-WAIT-2"
                    if (t.orphan) {
                        t.closeDeadlineNs = nowNs + cfg.finWait2TimeoutNs;
                    }
                }
            }
            case CLOSING -> {
                if (Lifecycle.finAcked(t)) {
                    lifecycle.enterTimeWait(t, nowNs); // "if the ACK acknowledges our FIN, enter TIME-WAIT"
                    return;
                }
            }
            case LAST_ACK -> {
                if (Lifecycle.finAcked(t)) {
                    pool.close(t, CloseReason.PEER_FIN); // "If our FIN is now acknowledged, delete the TCB"
                    return;
                }
            }
            default -> {
            }
        }

        // sixth: check the URG bit — Deviation, as most stacks: urgent data is delivered inline, pointer ignored.

        // seventh: process the segment text.
        if (payLen > 0) {
            final int cs = t.state;
            if (cs == ESTABLISHED || cs == FIN_WAIT_1 || cs == FIN_WAIT_2) {
                final long h = t.handle();
                reassembly.receive(t, s.buffer, payOff, payLen, dataSeq, nowNs, out);
                if (!TcbPool.alive(t, h)) {
                    return;
                }
            } else {
                // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: "This should not occur ... Ignore the segment text."
                t.ackNow = true;
            }
        }

        // eighth: check the FIN bit.
        if (fin) {
            final int finSeq = dataSeq + payLen;
            if (finSeq == t.rcvNxt && !t.peerFin) {
                lifecycle.processFin(t, nowNs);
            } else if (Seq.gt(finSeq, t.rcvNxt)) {
                t.rcvFinPending = true; // out-of-order FIN, processed when RCV.NXT reaches it
                t.rcvFinSeq = finSeq;
            } else {
                t.ackNow = true; // retransmitted FIN
                if (t.state == TIME_WAIT) {
                    t.closeDeadlineNs = nowNs + cfg.timeWaitNs(); // "Restart the 2 MSL time-wait timeout"
                }
            }
        } else if (t.rcvFinPending && t.rcvFinSeq == t.rcvNxt && !t.peerFin) {
            lifecycle.processFin(t, nowNs);
        }
        if (t.state != CLOSED) {
            work.add(t);
            timers.arm(t);
        }
    }

    /**
     * Header prediction (as Linux tcp_rcv_established / Van Jacobson): ESTABLISHED, only ACK set, the next
     * expected sequence number, window unchanged, timestamps fresh, nothing SACKed, lost or reassembling, not in
     * recovery; an in-order data segment or a pure ACK advancing SND.UNA. Everything else takes the RFC path.
     */
    private boolean fastPath(final Tcb t, final TcpSegment s, final long nowNs) {
        if (t.state != ESTABLISHED || (s.flags & (SYN | FIN | RST | URG | ACK)) != ACK || s.seq != t.rcvNxt
            || t.inRecovery || t.inLoss || !t.ooo.isEmpty() || t.dupAcks != 0 || !t.sacked.isEmpty()
            || t.lostBytes != 0 || s.sackCount != 0 || (s.window << t.sndWscale) != t.sndWnd) {
            return false;
        }
        if (t.tsOn && (!s.hasTimestamps || Seq.lt(s.tsVal, t.tsRecent))) {
            return false;
        }
        final int ack = s.ack;
        final int len = s.payloadLength;
        if (Seq.lt(ack, t.sndUna) || Seq.gt(ack, t.sndMax) || len > t.rcvAdvEdge - t.rcvNxt) {
            return false;
        }
        if (ack == t.sndUna && len == 0) {
            return false; // possibly a duplicate ACK: slow path
        }
        Timestamps.updateRecent(t, s, s.seq, nowNs);
        t.sndWl1 = s.seq;
        t.sndWl2 = ack;
        if (ack != t.sndUna) {
            recovery.fastAck(t, s, ack, nowNs);
            if (t.flight() == 0) {
                t.rtxDeadlineNs = Long.MAX_VALUE;
                t.tlpArmed = false;
            } else {
                output.armRetransmitTimer(t, nowNs);
            }
        }
        if (len > 0) {
            final long h = t.handle();
            reassembly.receive(t, s.buffer, s.payloadOffset, len, s.seq, nowNs, null);
            if (!TcbPool.alive(t, h)) {
                return true;
            }
        }
        work.add(t);
        timers.arm(t);
        return true;
    }

    /** RFC 5961 §3.2 / §4.2 / §5.2 challenge ACK, rate limited globally per second (RFC 5961 §10). */
    void challengeAck(final Tcb t, final long nowNs, final SegmentSink out) {
        if (challengeWindowStartNs == Long.MIN_VALUE || nowNs - challengeWindowStartNs >= CHALLENGE_WINDOW_NS) {
            challengeWindowStartNs = nowNs;
            challengeAcksInWindow = 0;
        }
        if (challengeAcksInWindow >= cfg.challengeAckLimitPerSecond) {
            c.challengeAcksRateLimited.incrementRelease();
            return;
        }
        challengeAcksInWindow++;
        c.challengeAcks.incrementRelease();
        writer.emit(t, out, t.sndMax, 0, ACK, nowNs);
        timers.arm(t);
    }
}
