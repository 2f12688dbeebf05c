package io.strait.tcp;

import io.strait.tcp.wire.TcpSegment;

import static io.strait.tcp.wire.TcpHeader.DEFAULT_MSS;
import static io.strait.tcp.wire.TcpHeader.MAX_WSCALE;

/**
 * SYN cookies (RFC 4987 §3.6, Linux-style encoding): when the backlog or the pool is full, the SYN-ACK's ISN
 * carries a keyed hash of the four-tuple and the peer's ISN, and the ACK that completes the handshake recreates
 * the connection. ISN = generation (1 bit) | MSS index (3 bits) | 28 bits of SipHash(secret[gen], ...). With
 * timestamps the low 6 bits of TSval carry window scale (4 bits, 0xF = none) and SACK (bit 4).
 */
final class SynCookies {
    /** MSS table (3-bit index), as Linux's msstab plus common tunnel sizes. */
    static final int[] MSS = {536, 1220, 1300, 1360, 1400, 1440, 1452, 1460};
    static final int WS_NONE = 0xF;

    private final TcpConfig cfg;
    private final TcpCounters c;
    private final EntropySource entropy;
    private final Secrets secrets;
    private final SegmentWriter writer;
    private final long[] k0 = new long[2];
    private final long[] k1 = new long[2];
    private int gen;
    private long rotateAtNs = Long.MIN_VALUE;
    private long activeUntilNs = Long.MIN_VALUE;

    SynCookies(final TcpConfig cfg, final TcpCounters c, final EntropySource entropy, final Secrets secrets,
        final SegmentWriter writer) {
        this.cfg = cfg;
        this.c = c;
        this.entropy = entropy;
        this.secrets = secrets;
        this.writer = writer;
        k0[0] = entropy.nextLong();
        k1[0] = entropy.nextLong();
        k0[1] = entropy.nextLong();
        k1[1] = entropy.nextLong();
    }

    /** ACKs are checked against cookies while one could still be valid. */
    boolean active(final long nowNs) {
        return cfg.synCookies && nowNs <= activeUntilNs;
    }

    private void rotate(final long nowNs) {
        if (rotateAtNs == Long.MIN_VALUE) {
            rotateAtNs = nowNs + cfg.cookieSecretRotationNs;
            return;
        }
        if (nowNs >= rotateAtNs) {
            // Two generations are accepted: the current and the previous one. A long pause retires both.
            final boolean both = nowNs >= rotateAtNs + cfg.cookieSecretRotationNs;
            gen ^= 1;
            k0[gen] = entropy.nextLong();
            k1[gen] = entropy.nextLong();
            if (both) {
                k0[gen ^ 1] = entropy.nextLong();
                k1[gen ^ 1] = entropy.nextLong();
            }
            rotateAtNs = nowNs + cfg.cookieSecretRotationNs;
        }
    }

    int cookie(final int g, final int mssIdx, final int localIp, final int localPort, final int remoteIp,
        final int remotePort, final int peerIsn) {
        final long h = SipHash.hash(k0[g], k1[g], ConnectionTable.addrKey(localIp, remoteIp),
            ((long) ConnectionTable.portKey(localPort, remotePort) << 32) | (peerIsn & 0xFFFF_FFFFL));
        return (g << 31) | (mssIdx << 28) | ((int) h & 0x0FFF_FFFF);
    }

    /** Answers a SYN with a cookie SYN-ACK; no state is kept. */
    void sendSynAck(final TcpSegment s, final int srcIp, final int dstIp, final long nowNs, final SegmentSink out) {
        rotate(nowNs);
        final int peerMss = s.mss > 0 ? s.mss : DEFAULT_MSS;
        int mssIdx = 0;
        for (int i = MSS.length - 1; i >= 0; i--) {
            if (MSS[i] <= peerMss) {
                mssIdx = i;
                break;
            }
        }
        final int iss = cookie(gen, mssIdx, dstIp, s.dstPort, srcIp, s.srcPort, s.seq);
        final boolean ts = cfg.timestamps && s.hasTimestamps;
        final boolean ws = cfg.windowScale && s.wscale >= 0;
        final boolean sack = cfg.sack && s.sackPermitted;
        // Without timestamps there is nowhere to keep window scale and SACK: they are off (as Linux). Bit 5 (ECN in
        // Linux) stays 0 since this engine does not negotiate ECN.
        final int bits = (ws ? Math.min(s.wscale, MAX_WSCALE) : WS_NONE) | (sack ? 0x10 : 0);
        final int clock = (int) (nowNs / Timestamps.TICK_NS) + secrets.tsOffset(dstIp, s.dstPort, srcIp, s.srcPort);
        int tsVal = (clock & ~0x3F) | bits;
        if (Seq.gt(tsVal, clock)) {
            tsVal -= 64; // never a TSval from the future: later segments would fail the peer's PAWS (as Linux)
        }
        if (writer.sendCookieSynAck(out, dstIp, srcIp, s.dstPort, s.srcPort, iss, s.seq + 1, ts, ws, sack, tsVal,
            s.tsVal)) {
            c.synCookiesSent.incrementRelease();
        }
        // Checked while one could still be valid (2 periods), plus one to count late ones.
        activeUntilNs = nowNs + 3 * cfg.cookieSecretRotationNs;
    }

    /**
     * Checks the ACK completing a cookie handshake.
     *
     * @return the MSS the cookie encodes, or -1 when it is not a valid cookie
     */
    int validate(final TcpSegment s, final int srcIp, final int dstIp, final long nowNs) {
        rotate(nowNs);
        final int iss = s.ack - 1;
        final int g = iss >>> 31;
        final int mssIdx = (iss >>> 28) & 7;
        if (cookie(g, mssIdx, dstIp, s.dstPort, srcIp, s.srcPort, s.seq - 1) != iss) {
            return -1;
        }
        return MSS[mssIdx];
    }
}
