package io.strait.tcp.wire;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TX checksum offload: the partial sum the engine leaves in the field, completed the way a port does it (sum the
 * segment from the TCP header on, field included, fold, complement), gives the checksum the engine would have
 * written itself, for any length, odd ones included, and any addresses.
 */
class ChecksumOffloadTest {
    @Test
    void aPortCompletingThePartialSumWritesTheFullChecksum() {
        final Random random = new Random(11);
        for (int i = 0; i < 2000; i++) {
            final int length = 20 + random.nextInt(1460);
            final int src = random.nextInt();
            final int dst = random.nextInt();
            final UnsafeBuffer segment = new UnsafeBuffer(new byte[length]);
            for (int j = 0; j < length; j++) {
                segment.putByte(j, (byte) random.nextInt());
            }
            segment.putShort(16, (short) 0);
            final int full = Checksum.tcp(src, dst, segment, 0, length);
            segment.putShort(16, (short) Checksum.tcpPseudoHeaderPartial(src, dst, length), ByteOrder.BIG_ENDIAN);
            final int completed = ~Checksum.fold(Checksum.add(0, segment, 0, length)) & 0xFFFF;
            assertEquals(full, completed, "length " + length);
            segment.putShort(16, (short) completed, ByteOrder.BIG_ENDIAN);
            assertTrue(Checksum.verifyTcp(src, dst, segment, 0, length), "the receiver verifies it");
        }
    }
}
