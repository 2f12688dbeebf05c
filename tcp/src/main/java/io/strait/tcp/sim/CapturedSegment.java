package io.strait.tcp.sim;

import io.strait.tcp.wire.TcpHeader;
import io.strait.tcp.wire.TcpSegment;
import org.agrona.DirectBuffer;

import java.util.Arrays;

/** An immutable copy of one segment an engine sent, for assertions in scripted tests. */
public record CapturedSegment(long timeNs, int srcIp, int dstIp, int srcPort, int dstPort, int seq, int ack,
    int flags, int window, int mss, int wscale, boolean sackPermitted, boolean timestamps, int tsVal, int tsEcr,
    int[] sackBlocks, byte[] payload, boolean checksumOk) {

    public static CapturedSegment of(final long timeNs, final int srcIp, final int dstIp, final DirectBuffer b,
        final int offset, final int length) {
        final TcpSegment s = new TcpSegment();
        if (s.parse(b, offset, length) != TcpSegment.OK) {
            throw new IllegalStateException("engine sent a malformed segment");
        }
        final int[] sack = new int[s.sackCount * 2];
        for (int i = 0; i < s.sackCount; i++) {
            sack[2 * i] = s.sackLeft[i];
            sack[2 * i + 1] = s.sackRight[i];
        }
        final byte[] payload = new byte[s.payloadLength];
        b.getBytes(s.payloadOffset, payload);
        return new CapturedSegment(timeNs, srcIp, dstIp, s.srcPort, s.dstPort, s.seq, s.ack, s.flags, s.window,
            s.mss, s.wscale, s.sackPermitted, s.hasTimestamps, s.tsVal, s.tsEcr, sack, payload,
            io.strait.tcp.wire.Checksum.verifyTcp(srcIp, dstIp, b, offset, length));
    }

    public boolean has(final int flag) {
        return (flags & flag) != 0;
    }

    /** Sequence space occupied (data + SYN + FIN). */
    public int segLen() {
        return payload.length + (has(TcpHeader.SYN) ? 1 : 0) + (has(TcpHeader.FIN) ? 1 : 0);
    }

    @Override
    public String toString() {
        return "[" + TcpHeader.flagsToString(flags) + "] " + srcPort + ">" + dstPort + " seq=" + Integer.toUnsignedString(seq)
            + " ack=" + Integer.toUnsignedString(ack) + " win=" + window + " len=" + payload.length
            + (mss >= 0 ? " mss=" + mss : "") + (wscale >= 0 ? " ws=" + wscale : "")
            + (sackPermitted ? " sackOK" : "") + (timestamps ? " ts=" + Integer.toUnsignedString(tsVal) + "/"
            + Integer.toUnsignedString(tsEcr) : "") + (sackBlocks.length > 0 ? " sack=" + Arrays.toString(sackBlocks) : "")
            + " @" + timeNs;
    }
}
