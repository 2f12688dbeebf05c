package io.strait.tcp.sim;

import io.strait.tcp.wire.Checksum;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

import static io.strait.tcp.wire.TcpHeader.*;

/**
 * Builds one TCP segment (header, options, payload, valid checksum) for scripted tests, fluently:
 * {@code new SegmentBuilder().ports(40000, 80).seq(x).ack(y).flags(SYN).mss(1460).build(srcIp, dstIp)}.
 * The result lives in {@link #buffer()} at offset 0 with {@link #length()} bytes; reusable after {@link #reset()}.
 */
public final class SegmentBuilder {
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[65536]);
    private int srcPort;
    private int dstPort;
    private int seq;
    private int ack;
    private int flags;
    private int window = 65535;
    private int mss = -1;
    private int wscale = -1;
    private boolean sackPermitted;
    private boolean timestamps;
    private int tsVal;
    private int tsEcr;
    private final int[] sackL = new int[4];
    private final int[] sackR = new int[4];
    private int sackCount;
    private byte[] payload = new byte[0];
    private int dataOffsetOverride = -1;
    private int length;

    public SegmentBuilder reset() {
        flags = 0;
        window = 65535;
        mss = wscale = -1;
        sackPermitted = timestamps = false;
        sackCount = 0;
        payload = new byte[0];
        dataOffsetOverride = -1;
        seq = ack = 0;
        return this;
    }

    public SegmentBuilder ports(final int src, final int dst) { srcPort = src; dstPort = dst; return this; }
    public SegmentBuilder seq(final int v) { seq = v; return this; }
    public SegmentBuilder ack(final int v) { ack = v; return this; }
    public SegmentBuilder flags(final int v) { flags = v; return this; }
    public SegmentBuilder window(final int v) { window = v; return this; }
    public SegmentBuilder mss(final int v) { mss = v; return this; }
    public SegmentBuilder wscale(final int v) { wscale = v; return this; }
    public SegmentBuilder sackPermitted() { sackPermitted = true; return this; }
    public SegmentBuilder timestamps(final int val, final int ecr) {
        timestamps = true;
        tsVal = val;
        tsEcr = ecr;
        return this;
    }
    public SegmentBuilder sack(final int left, final int right) {
        sackL[sackCount] = left;
        sackR[sackCount++] = right;
        return this;
    }
    public SegmentBuilder payload(final byte[] v) { payload = v; return this; }
    /** Forces a (possibly invalid) data offset in 32-bit words, for malformed-input tests. */
    public SegmentBuilder dataOffsetWords(final int v) { dataOffsetOverride = v; return this; }

    /** Writes the segment with a checksum over the IPv4 pseudo-header of srcIp -> dstIp. */
    public SegmentBuilder build(final int srcIp, final int dstIp) {
        final UnsafeBuffer b = buffer;
        int p = MIN_LENGTH;
        if (mss >= 0) {
            b.putByte(p, (byte) OPT_MSS);
            b.putByte(p + 1, (byte) 4);
            b.putShort(p + 2, (short) mss, ByteOrder.BIG_ENDIAN);
            p += 4;
        }
        if (wscale >= 0) {
            b.putByte(p, (byte) OPT_NOP);
            b.putByte(p + 1, (byte) OPT_WSCALE);
            b.putByte(p + 2, (byte) 3);
            b.putByte(p + 3, (byte) wscale);
            p += 4;
        }
        if (sackPermitted) {
            b.putByte(p, (byte) OPT_NOP);
            b.putByte(p + 1, (byte) OPT_NOP);
            b.putByte(p + 2, (byte) OPT_SACK_PERMITTED);
            b.putByte(p + 3, (byte) 2);
            p += 4;
        }
        if (timestamps) {
            b.putByte(p, (byte) OPT_NOP);
            b.putByte(p + 1, (byte) OPT_NOP);
            b.putByte(p + 2, (byte) OPT_TIMESTAMPS);
            b.putByte(p + 3, (byte) 10);
            b.putInt(p + 4, tsVal, ByteOrder.BIG_ENDIAN);
            b.putInt(p + 8, tsEcr, ByteOrder.BIG_ENDIAN);
            p += 12;
        }
        if (sackCount > 0) {
            b.putByte(p, (byte) OPT_NOP);
            b.putByte(p + 1, (byte) OPT_NOP);
            b.putByte(p + 2, (byte) OPT_SACK);
            b.putByte(p + 3, (byte) (2 + 8 * sackCount));
            p += 4;
            for (int i = 0; i < sackCount; i++) {
                b.putInt(p, sackL[i], ByteOrder.BIG_ENDIAN);
                b.putInt(p + 4, sackR[i], ByteOrder.BIG_ENDIAN);
                p += 8;
            }
        }
        final int hl = p;
        b.putShort(SRC_PORT_OFFSET, (short) srcPort, ByteOrder.BIG_ENDIAN);
        b.putShort(DST_PORT_OFFSET, (short) dstPort, ByteOrder.BIG_ENDIAN);
        b.putInt(SEQ_OFFSET, seq, ByteOrder.BIG_ENDIAN);
        b.putInt(ACK_OFFSET, ack, ByteOrder.BIG_ENDIAN);
        b.putByte(DATA_OFFSET_OFFSET, (byte) ((dataOffsetOverride >= 0 ? dataOffsetOverride : hl / 4) << 4));
        b.putByte(FLAGS_OFFSET, (byte) flags);
        b.putShort(WINDOW_OFFSET, (short) window, ByteOrder.BIG_ENDIAN);
        b.putShort(CHECKSUM_OFFSET, (short) 0);
        b.putShort(URGENT_OFFSET, (short) 0);
        b.putBytes(hl, payload);
        length = hl + payload.length;
        b.putShort(CHECKSUM_OFFSET, (short) Checksum.tcp(srcIp, dstIp, b, 0, length), ByteOrder.BIG_ENDIAN);
        return this;
    }

    public UnsafeBuffer buffer() {
        return buffer;
    }

    public int length() {
        return length;
    }
}
