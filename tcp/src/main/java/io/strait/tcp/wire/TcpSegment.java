package io.strait.tcp.wire;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

import static io.strait.tcp.wire.TcpHeader.*;

/**
 * A reusable parsed view of one received TCP segment: header fields and the options the engine uses. Re-pointed
 * at each segment by {@link #parse}; never allocated per segment. Not thread-safe.
 */
public final class TcpSegment {
    public static final int OK = 0;
    public static final int ERR_TOO_SHORT = 1;
    public static final int ERR_BAD_OFFSET = 2;
    public static final int ERR_BAD_OPTION = 3;

    public DirectBuffer buffer;
    public int offset;
    public int length;
    public int srcPort;
    public int dstPort;
    public int seq;
    public int ack;
    public int flags;
    public int window;
    public int headerLength;
    public int payloadOffset;
    public int payloadLength;

    /** Options: -1 when absent. */
    public int mss;
    public int wscale;
    public boolean sackPermitted;
    public boolean hasTimestamps;
    public int tsVal;
    public int tsEcr;
    public int sackCount;
    public final int[] sackLeft = new int[MAX_SACK_BLOCKS];
    public final int[] sackRight = new int[MAX_SACK_BLOCKS];

    /**
     * Parses the header at buffer[offset, offset+length). Validates the data offset once (RFC 9293 §3.1) and the
     * option lengths.
     *
     * @return {@link #OK} or an error code naming the drop reason
     */
    public int parse(final DirectBuffer buffer, final int offset, final int length) {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        if (length < MIN_LENGTH) {
            return ERR_TOO_SHORT;
        }
        final int hl = ((buffer.getByte(offset + DATA_OFFSET_OFFSET) & 0xF0) >>> 4) * 4;
        if (hl < MIN_LENGTH || hl > length) {
            return ERR_BAD_OFFSET;
        }
        srcPort = buffer.getShort(offset + SRC_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        dstPort = buffer.getShort(offset + DST_PORT_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        seq = buffer.getInt(offset + SEQ_OFFSET, ByteOrder.BIG_ENDIAN);
        ack = buffer.getInt(offset + ACK_OFFSET, ByteOrder.BIG_ENDIAN);
        flags = buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
        window = buffer.getShort(offset + WINDOW_OFFSET, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        headerLength = hl;
        payloadOffset = offset + hl;
        payloadLength = length - hl;
        mss = -1;
        wscale = -1;
        sackPermitted = false;
        hasTimestamps = false;
        sackCount = 0;
        return hl == MIN_LENGTH ? OK : parseOptions(buffer, offset + MIN_LENGTH, offset + hl);
    }

    private int parseOptions(final DirectBuffer buffer, int i, final int end) {
        // RFC 9293 §3.2: options are kind, or kind + length (length counts kind and length bytes).
        while (i < end) {
            final int kind = buffer.getByte(i) & 0xFF;
            if (kind == OPT_EOL) {
                break;
            }
            if (kind == OPT_NOP) {
                i++;
                continue;
            }
            if (i + 1 >= end) {
                return ERR_BAD_OPTION;
            }
            final int len = buffer.getByte(i + 1) & 0xFF;
            if (len < 2 || i + len > end) {
                return ERR_BAD_OPTION;
            }
            switch (kind) {
                case OPT_MSS -> {
                    if (len == OPT_MSS_LENGTH) {
                        mss = buffer.getShort(i + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
                    }
                }
                case OPT_WSCALE -> {
                    if (len == OPT_WSCALE_LENGTH) {
                        wscale = buffer.getByte(i + 2) & 0xFF;
                    }
                }
                case OPT_SACK_PERMITTED -> sackPermitted = len == OPT_SACK_PERMITTED_LENGTH;
                case OPT_TIMESTAMPS -> {
                    if (len == OPT_TIMESTAMPS_LENGTH) {
                        hasTimestamps = true;
                        tsVal = buffer.getInt(i + 2, ByteOrder.BIG_ENDIAN);
                        tsEcr = buffer.getInt(i + 6, ByteOrder.BIG_ENDIAN);
                    }
                }
                case OPT_SACK -> {
                    int n = (len - 2) / 8;
                    if (n > MAX_SACK_BLOCKS) {
                        n = MAX_SACK_BLOCKS;
                    }
                    for (int b = 0; b < n; b++) {
                        sackLeft[b] = buffer.getInt(i + 2 + 8 * b, ByteOrder.BIG_ENDIAN);
                        sackRight[b] = buffer.getInt(i + 6 + 8 * b, ByteOrder.BIG_ENDIAN);
                    }
                    sackCount = n;
                }
                default -> {
                    // RFC 9293 §3.2: unknown options are ignored (skipped by their length).
                }
            }
            i += len;
        }
        return OK;
    }

    /** Sequence space the segment occupies: data plus one each for SYN and FIN (RFC 9293 §3.4 SEG.LEN). */
    public int segLen() {
        return payloadLength + ((flags & SYN) != 0 ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0);
    }

    public boolean has(final int flag) {
        return (flags & flag) != 0;
    }
}
