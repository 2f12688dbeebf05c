package io.strait.tcp;

import static io.strait.tcp.TcpState.*;

/**
 * ICMP errors for a connection (RFC 9293 §3.9.2.2, RFC 1122 §4.2.3.9), after the checks RFC 5927 gives against
 * forged ones, and path MTU discovery on "fragmentation needed" (RFC 1191 §6.4, RFC 9293 §3.7.2).
 *
 * <h2>Reading list</h2>
 * RFC 792 (ICMP), RFC 1122 §4.2.3.9 (hard and soft errors), RFC 1191 (PMTUD), RFC 5927 (ICMP attacks against TCP),
 * RFC 5461 (TCP's reaction to soft errors), RFC 9293 §3.7.2 and §3.9.2.2; Linux {@code tcp_v4_err},
 * {@code tcp_v4_mtu_reduced}, {@code tcp_simple_retransmit}.
 *
 * <p>Every argument comes from the wire (the quoted header of an ICMP message anybody can forge): the
 * four-tuple must name a connection, the quoted sequence number must lie in its flight, and the MTU is bounded
 * before it can change anything. Static-bound methods over the {@link Tcb}; nothing allocated. Engine thread only.
 */
final class IcmpErrors {
    /** RFC 792: destination unreachable, time exceeded. */
    static final int TYPE_DEST_UNREACHABLE = 3;
    static final int TYPE_TIME_EXCEEDED = 11;
    /** RFC 792 / RFC 1122 §4.2.3.9: destination unreachable codes. */
    static final int CODE_PROTOCOL_UNREACHABLE = 2;
    static final int CODE_PORT_UNREACHABLE = 3;
    static final int CODE_FRAGMENTATION_NEEDED = 4;
    /** IPv4 and TCP headers without options (RFC 791 §3.1, RFC 9293 §3.1): MSS = MTU - 40 (RFC 9293 §3.7.1). */
    static final int IP_TCP_HEADERS = 40;
    /**
     * Deviation, as Linux ({@code ip_rt_min_pmtu} = 552): a reported MTU below this is raised to it. RFC 1191 §3
     * allows down to 68 (RFC 791's minimum), but a forged ICMP could then make every segment tiny (RFC 5927 §7,
     * the blind performance-degrading attack).
     */
    static final int MIN_PMTU = 552;
    /** RFC 791 §3.1: a total length is 16 bits; a larger "MTU" is garbage. */
    static final int MAX_MTU = 65535;

    private final TcpCounters c;
    private final SentSegments log;
    private final WorkQueue work;
    private final TcbPool pool;

    IcmpErrors(final TcpCounters c, final SentSegments log, final WorkQueue work, final TcbPool pool) {
        this.c = c;
        this.log = log;
        this.work = work;
        this.pool = pool;
    }

    /**
     * An ICMP error quoting a segment of connection {@code t}, whose quoted sequence number is {@code seq}.
     * {@code type}, {@code code} and {@code nextHopMtu} are as received (the MTU 0 when none was given).
     */
    void onError(final Tcb t, final int type, final int code, final int nextHopMtu, final int seq,
        final long nowNs) {
        // RFC 5927 §4.1: act only on an error quoting a sequence number in flight, SND.UNA =< SEG.SEQ < SND.NXT
        // (SND.NXT of the RFC is SND.MAX here: the highest sent, which a retransmission timeout does not rewind).
        // A blind attacker must then guess a 32-bit number inside the flight. A connection with nothing in flight
        // (LISTEN has no TCB; TIME-WAIT and FIN-WAIT-2 have SND.UNA = SND.MAX) takes no ICMP at all.
        if (Seq.lt(seq, t.sndUna) || !Seq.lt(seq, t.sndMax)) {
            c.icmpDropOutOfWindow.incrementRelease();
            return;
        }
        if (type == TYPE_DEST_UNREACHABLE && code == CODE_FRAGMENTATION_NEEDED) {
            pathMtu(t, nextHopMtu);
            return;
        }
        if (t.state == SYN_SENT && type == TYPE_DEST_UNREACHABLE
            && (code == CODE_PROTOCOL_UNREACHABLE || code == CODE_PORT_UNREACHABLE)) {
            // RFC 1122 §4.2.3.9 (SHLD-26): protocol and port unreachable are hard errors and abort the
            // connection. RFC 5927 §5.2 and RFC 5461 §4, as Linux: only while it is being opened; in a synchronized
            // state they are soft (below), so a forged ICMP cannot reset an established connection.
            c.icmpConnectAborts.incrementRelease();
            pool.close(t, CloseReason.REFUSED);
            return;
        }
        // RFC 1122 §4.2.3.9 (MUST-56): every other unreachable, and time exceeded, is a soft error: never an
        // abort. RFC 9293 §3.9.2.2 (SHLD-25): it is recorded for the application (TcpEngine.softError) and counted.
        // Deviation from Linux, which aborts a connect on any of them in SYN-SENT: RFC 5461 §3 shows that loses
        // connections a transient routing error would not have; the connect times out on its own if the path
        // stays broken.
        t.softError = type << 8 | code;
        c.icmpSoftErrors.incrementRelease();
    }

    /**
     * RFC 1191 §6.4: "fragmentation needed and DF set" quoting a segment in flight: the path MTU is lower than what
     * the connection sends. The send MSS drops to MTU - 40 (the options still come off it, {@link
     * Output#maxSegment}); it is never raised by an ICMP, never below {@link #MIN_PMTU} - 40, never below
     * {@link Input#MIN_MSS}. The segments in flight that no longer fit are marked lost and resent in the new size by
     * the next poll, without a congestion window reduction (as Linux {@code tcp_simple_retransmit}: the network
     * did not signal congestion, it refused the size).
     */
    private void pathMtu(final Tcb t, final int nextHopMtu) {
        if (!Output.canSendData(t.state)) {
            // A SYN or SYN-ACK is at most 60 bytes of headers and options: a "fragmentation needed" for it is
            // forged or absurd (and the MSS is negotiated afresh when the handshake completes).
            c.pmtuIgnored.incrementRelease();
            return;
        }
        if (nextHopMtu <= 0 || nextHopMtu > MAX_MTU) {
            // RFC 1191 §5: a router that gives no MTU (0) leaves the host to guess from the plateau table; the
            // dataplane does that from the quoted length, so what still arrives here as 0 (or above 16 bits) names
            // no size at all.
            c.pmtuIgnored.incrementRelease();
            return;
        }
        final int mtu = Math.max(nextHopMtu, MIN_PMTU);
        final int mss = Math.max(mtu - IP_TCP_HEADERS, Input.MIN_MSS);
        // RFC 4821 (MtuProbing): a packetization-layer search in progress never goes above what a router reported;
        // a probe larger than that was refused, and is resent below in the current size, as any segment too big.
        final boolean probeRefused = t.mtupProbeMss > mss;
        MtuProbing.onPathMtuReduced(t, mss);
        if (mss >= t.sndMss && !probeRefused) {
            // RFC 1191 §6.3: a path MTU is raised only by the host's own probing, never by an ICMP message.
            c.pmtuIgnored.incrementRelease();
            return;
        }
        if (mss < t.sndMss) {
            t.sndMss = mss;
            c.pmtuReductions.incrementRelease();
        }
        final int maxSeg = Output.maxSegment(t);
        boolean marked = false;
        for (int i = 0; i < t.segCount; i++) {
            final int a = log.at(t, i);
            // As Linux tcp_simple_retransmit: a segment larger than the new size was (or will be) dropped.
            if (log.end(a) - log.start(a) > maxSeg && log.markLost(t, a)) {
                marked = true;
            }
        }
        if (marked) {
            // As Linux (tcp_simple_retransmit enters CA_Loss with ssthresh and cwnd as they are, and no undo): no
            // fast recovery may start over these marks until everything now in flight is acknowledged.
            MtuProbing.resendWithoutReduction(t);
        }
        if (t.cwnd < t.sndMss) {
            t.cwnd = t.sndMss; // cannot happen (cwnd >= the old MSS); kept so no value from the wire breaks it
        }
        work.add(t);
    }
}
