package io.strait.tcp.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Fuzz target (issue 10): {@link TcpSegment#parse} on arbitrary bytes. Under plain {@code mvn test} it runs the seeds
 * and regression inputs in {@code src/test/resources/io/strait/tcp/wire/TcpSegmentFuzzTestInputs/parse/}; with
 * {@code JAZZER_FUZZ=1} it fuzzes (see the README's fuzzing section).
 *
 * <p>Input: byte 0 is a lead-in (0..15 bytes of other memory before the segment, as a segment sits after its IPv4
 * header in a frame), the rest is the segment. The buffer ends exactly where the segment ends, so a read past it
 * throws (Agrona's bounds checks). Checked: no exception; the result is one of the codes; on OK the header length is
 * 20..60, a multiple of 4, within the segment, and the payload offset and length cover exactly the rest; MSS and
 * window scale within their field widths; at most four SACK blocks, each read from within the options; and the
 * parse reads nothing outside the TCP header: flipping every byte before the segment and after its header (the
 * payload) leaves every parsed field as it was.
 */
class TcpSegmentFuzzTest {
    private final TcpSegment seg = new TcpSegment();
    private final TcpSegment again = new TcpSegment();

    @FuzzTest(maxDuration = "2m")
    void parse(final byte[] input) {
        if (input.length == 0) {
            parseOne(new byte[0], 0, 0);
            return;
        }
        final int leadIn = input[0] & 0xF;
        final int length = input.length - 1;
        final byte[] memory = new byte[leadIn + length];
        Arrays.fill(memory, 0, leadIn, (byte) 0x5A);
        System.arraycopy(input, 1, memory, leadIn, length);
        parseOne(memory, leadIn, length);
    }

    private void parseOne(final byte[] memory, final int offset, final int length) {
        final UnsafeBuffer buffer = new UnsafeBuffer(memory);
        final int r = seg.parse(buffer, offset, length);
        assertTrue(r == TcpSegment.OK || r == TcpSegment.ERR_TOO_SHORT || r == TcpSegment.ERR_BAD_OFFSET
            || r == TcpSegment.ERR_BAD_OPTION, "result " + r);
        if (length < TcpHeader.MIN_LENGTH) {
            assertEquals(TcpSegment.ERR_TOO_SHORT, r, "a segment shorter than 20 bytes");
            return;
        }
        final int dataOffset = ((memory[offset + 12] & 0xF0) >>> 4) * 4;
        if (dataOffset < 20 || dataOffset > length) {
            assertEquals(TcpSegment.ERR_BAD_OFFSET, r, "data offset " + dataOffset + " in a segment of " + length);
            return;
        }
        if (r != TcpSegment.OK) {
            assertEquals(TcpSegment.ERR_BAD_OPTION, r);
            return;
        }
        assertTrue(seg.headerLength >= 20 && seg.headerLength <= 60 && seg.headerLength % 4 == 0,
            "header length " + seg.headerLength);
        assertEquals(dataOffset, seg.headerLength);
        assertEquals(offset + seg.headerLength, seg.payloadOffset, "payload offset");
        assertEquals(length - seg.headerLength, seg.payloadLength, "payload length");
        assertTrue(seg.payloadLength >= 0 && seg.payloadOffset + seg.payloadLength == offset + length);
        assertTrue(seg.srcPort >= 0 && seg.srcPort <= 0xFFFF && seg.dstPort >= 0 && seg.dstPort <= 0xFFFF);
        assertTrue(seg.flags >= 0 && seg.flags <= 0xFF && seg.window >= 0 && seg.window <= 0xFFFF);
        assertTrue(seg.mss >= -1 && seg.mss <= 0xFFFF, "mss " + seg.mss);
        assertTrue(seg.wscale >= -1 && seg.wscale <= 0xFF, "wscale " + seg.wscale);
        assertTrue(seg.sackCount >= 0 && seg.sackCount <= TcpHeader.MAX_SACK_BLOCKS, "sack count " + seg.sackCount);
        // Each SACK block is two 32-bit words that lie inside the options (after kind and length).
        final int optionsStart = offset + TcpHeader.MIN_LENGTH;
        final int optionsEnd = offset + seg.headerLength;
        for (int b = 0; b < seg.sackCount; b++) {
            boolean found = false;
            for (int p = optionsStart + 2; p + 8 <= optionsEnd && !found; p++) {
                found = buffer.getInt(p, ByteOrder.BIG_ENDIAN) == seg.sackLeft[b]
                    && buffer.getInt(p + 4, ByteOrder.BIG_ENDIAN) == seg.sackRight[b];
            }
            assertTrue(found, "SACK block " + b + " is not in the options");
        }
        // Nothing outside [offset, offset + headerLength) may change what was parsed.
        final byte[] flipped = memory.clone();
        for (int i = 0; i < flipped.length; i++) {
            if (i < offset || i >= offset + seg.headerLength) {
                flipped[i] = (byte) ~flipped[i];
            }
        }
        assertEquals(TcpSegment.OK, again.parse(new UnsafeBuffer(flipped), offset, length));
        assertEquals(describe(seg), describe(again), "the parse read bytes outside the TCP header");
    }

    private static String describe(final TcpSegment s) {
        final StringBuilder b = new StringBuilder().append(s.srcPort).append(' ').append(s.dstPort).append(' ')
            .append(s.seq).append(' ').append(s.ack).append(' ').append(s.flags).append(' ').append(s.window)
            .append(' ').append(s.headerLength).append(' ').append(s.payloadOffset).append(' ')
            .append(s.payloadLength).append(" mss=").append(s.mss).append(" ws=").append(s.wscale)
            .append(" sackOk=").append(s.sackPermitted).append(" ts=").append(s.hasTimestamps);
        if (s.hasTimestamps) {
            b.append(' ').append(s.tsVal).append(' ').append(s.tsEcr);
        }
        b.append(" sack=").append(s.sackCount);
        for (int i = 0; i < s.sackCount; i++) {
            b.append(' ').append(s.sackLeft[i]).append('-').append(s.sackRight[i]);
        }
        return b.toString();
    }
}
