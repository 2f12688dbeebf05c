package io.strait.tcp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.strait.tcp.SentSegments.*;
import static org.junit.jupiter.api.Assertions.*;

/** {@link SentSegments}: the per-segment transmit record RACK reads (RFC 8985 §6.1). */
class SentSegmentsTest {
    static final int CAPACITY = 4;
    /** The ring sits at a non-zero offset in the slab, as it does after the connection's two byte rings. */
    static final int BASE = 96;

    final UnsafeBuffer slab = new UnsafeBuffer(ByteBuffer.allocateDirect(BASE + CAPACITY * RECORD_BYTES + 64));
    final SentSegments log = new SentSegments(slab);
    final Tcb t = new Tcb(0);

    {
        t.segCap = CAPACITY;
    }

    SentSegmentsTest() {
        t.segBase = BASE;
    }

    @Test
    @DisplayName("RFC 8985 §6.1: each segment sent keeps [start, end), its send time and its flags, in sequence order")
    void appendRecords() {
        log.append(t, 1000, 2000, false, 10);
        log.append(t, 2000, 3000, false, 20);
        log.append(t, 3000, 3001, true, 30);
        assertEquals(3, t.segCount);
        assertRecord(0, 1000, 2000, 0, 10);
        assertRecord(1, 2000, 3000, 0, 20);
        assertRecord(2, 3000, 3001, FIN, 30);
        assertEquals(BASE, log.at(t, 0));
        assertEquals(BASE + 2 * RECORD_BYTES, log.at(t, 2));
    }

    @Test
    @DisplayName("RFC 8985 §6.1: the record ring wraps in its slab chunk as the head is acknowledged")
    void ringWraps() {
        for (int i = 0; i < 4; i++) {
            log.append(t, 1000 * i, 1000 * (i + 1), false, i);
        }
        log.ackTo(t, 3000);
        assertEquals(1, t.segCount);
        assertEquals(3, t.segHead);
        log.append(t, 4000, 5000, false, 4);
        log.append(t, 5000, 6000, false, 5);
        assertEquals(3, t.segCount);
        assertEquals(BASE + 3 * RECORD_BYTES, log.at(t, 0));
        assertEquals(BASE, log.at(t, 1), "the second record wrapped to the ring's first slot");
        assertRecord(0, 3000, 4000, 0, 3);
        assertRecord(1, 4000, 5000, 0, 4);
        assertRecord(2, 5000, 6000, 0, 5);
        log.ackTo(t, 6000);
        assertEquals(0, t.segCount);
        assertEquals(0, t.segHead, "an empty ring restarts at its first slot");
    }

    @Test
    @DisplayName("RFC 9293 §3.4: records straddling 2^32 are acknowledged and trimmed modulo 2^32")
    void wrapAroundSequence() {
        log.append(t, 0xFFFFF800, 0xFFFFFC00, false, 1);
        log.append(t, 0xFFFFFC00, 0x0, false, 2);
        log.append(t, 0x0, 0x400, false, 3);
        assertTrue(log.markLost(t, log.at(t, 2)));
        assertEquals(0x400, t.lostBytes);
        log.ackTo(t, 0xFFFFFC00);
        assertEquals(2, t.segCount);
        log.ackTo(t, 0x200);
        assertEquals(1, t.segCount);
        assertRecord(0, 0x200, 0x400, LOST, 3);
        assertEquals(0x200, t.lostBytes, "the lost part acknowledged is no longer lost");
        log.ackTo(t, 0x400);
        assertEquals(0, t.segCount);
        assertEquals(0, t.lostBytes);
    }

    @Test
    @DisplayName("RFC 8985 §6.1: a full ring grows the newest record, which takes the later send time and the FIN")
    void fullGrowsNewest() {
        for (int i = 0; i < CAPACITY; i++) {
            log.append(t, 1000 * i, 1000 * (i + 1), false, 10 * i);
        }
        log.markSacked(t, log.at(t, CAPACITY - 1));
        log.append(t, 4000, 4500, false, 100);
        log.append(t, 4500, 4501, true, 110);
        assertEquals(CAPACITY, t.segCount);
        assertRecord(CAPACITY - 1, 3000, 4501, FIN, 110);
    }

    @Test
    @DisplayName("RFC 8985 §6.1: lostBytes always equals the bytes of records marked LOST, when a full ring grows one")
    void fullGrowsLostNewestKeepsLostBytes() {
        for (int i = 0; i < CAPACITY; i++) {
            log.append(t, 1000 * i, 1000 * (i + 1), false, 10 * i);
        }
        assertTrue(log.markLost(t, log.at(t, CAPACITY - 1)));
        assertEquals(1000, t.lostBytes);
        log.append(t, 4000, 5000, false, 100);
        assertEquals(lostInRecords(), t.lostBytes, "lostBytes = bytes of records marked LOST");
    }

    @Test
    @DisplayName("RFC 8985 §6.1: a start below the last end (cannot happen) is merged into the newest record")
    void overlapMerges() {
        log.append(t, 1000, 2000, false, 10);
        log.append(t, 1500, 2500, false, 20);
        assertEquals(1, t.segCount);
        assertRecord(0, 1000, 2500, 0, 20);
    }

    @Test
    @DisplayName("RFC 8985 §6.2: lost marks count in lostBytes; a SACKed or already lost record is not marked again")
    void markLostAndSacked() {
        log.append(t, 0, 1000, false, 1);
        log.append(t, 1000, 1500, false, 2);
        log.append(t, 1500, 3000, false, 3);
        final int a0 = log.at(t, 0);
        final int a1 = log.at(t, 1);
        final int a2 = log.at(t, 2);
        log.markSacked(t, a1);
        assertFalse(log.markLost(t, a1), "SACKed");
        assertTrue(log.markLost(t, a0));
        assertFalse(log.markLost(t, a0), "already lost");
        assertTrue(log.markLost(t, a2));
        assertEquals(2500, t.lostBytes);
        log.markSacked(t, a2); // a late SACK: no longer lost
        assertEquals(SACKED, log.flags(a2));
        assertEquals(1000, t.lostBytes);
        assertEquals(lostInRecords(), t.lostBytes);
    }

    @Test
    @DisplayName("RFC 8985 §6.1 / RFC 6298 §3 (Karn): a resend clears LOST, sets RETRANSMITTED and the new send time")
    void retransmitted() {
        log.append(t, 0, 1000, false, 1);
        log.append(t, 1000, 2000, false, 2);
        final int a = log.at(t, 0);
        log.markLost(t, a);
        log.retransmitted(t, a, 50);
        assertEquals(RETRANSMITTED, log.flags(a));
        assertEquals(50, log.xmitNs(a));
        assertEquals(0, t.lostBytes);
        assertTrue(log.markLost(t, a), "a lost retransmission (RFC 8985 §6.2) can be marked again");
        assertEquals(RETRANSMITTED | LOST, log.flags(a));
        assertEquals(1000, t.lostBytes);
        // A record never marked lost (a probe of the tail, RFC 8985 §7.3) leaves lostBytes alone.
        log.retransmitted(t, log.at(t, 1), 60);
        assertEquals(1000, t.lostBytes);
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.4 fifth: the cumulative ACK drops records below it and trims the one it splits")
    void ackToTrims() {
        log.append(t, 0, 1000, false, 1);
        log.append(t, 1000, 2000, false, 2);
        log.append(t, 2000, 3000, false, 3);
        log.markLost(t, log.at(t, 0));
        log.markLost(t, log.at(t, 1));
        assertEquals(2000, t.lostBytes);
        log.ackTo(t, 0);
        assertEquals(3, t.segCount);
        log.ackTo(t, 1400);
        assertEquals(2, t.segCount);
        assertRecord(0, 1400, 2000, LOST, 2);
        assertEquals(600, t.lostBytes);
        assertEquals(lostInRecords(), t.lostBytes);
    }

    @Test
    @DisplayName("RFC 2018 §8: reneging clears SACKED and LOST; an undone timeout clears LOST only")
    void clearMarks() {
        log.append(t, 0, 1000, false, 1);
        log.append(t, 1000, 2000, false, 2);
        log.append(t, 2000, 3000, false, 3);
        log.markSacked(t, log.at(t, 1));
        log.markLost(t, log.at(t, 0));
        log.retransmitted(t, log.at(t, 2), 9);
        log.markLost(t, log.at(t, 2));
        log.clearLost(t);
        assertEquals(0, t.lostBytes);
        assertEquals(0, log.flags(log.at(t, 0)));
        assertEquals(SACKED, log.flags(log.at(t, 1)));
        assertEquals(RETRANSMITTED, log.flags(log.at(t, 2)));
        log.markLost(t, log.at(t, 0));
        log.clearMarks(t);
        assertEquals(0, t.lostBytes);
        assertEquals(0, log.flags(log.at(t, 0)));
        assertEquals(0, log.flags(log.at(t, 1)));
        assertEquals(RETRANSMITTED, log.flags(log.at(t, 2)), "Karn's mark stays");
        log.reset(t);
        assertEquals(0, t.segCount);
        assertEquals(0, t.segHead);
    }

    @Test
    @DisplayName("RFC 8985 §6.1: at least one record per 512 bytes of send buffer, at least 64")
    void capacityFor() {
        assertEquals(64, SentSegments.capacityFor(0));
        assertEquals(64, SentSegments.capacityFor(28 * 1024));
        assertEquals(64 * 1024 / 512 + 8, SentSegments.capacityFor(64 * 1024));
        assertEquals(CAPACITY, t.segCap);
    }

    private int lostInRecords() {
        int sum = 0;
        for (int i = 0; i < t.segCount; i++) {
            final int a = log.at(t, i);
            if ((log.flags(a) & LOST) != 0) {
                sum += log.end(a) - log.start(a);
            }
        }
        return sum;
    }

    private void assertRecord(final int i, final int start, final int end, final int flags, final long xmitNs) {
        final int a = log.at(t, i);
        assertEquals(Integer.toUnsignedString(start), Integer.toUnsignedString(log.start(a)), "start of " + i);
        assertEquals(Integer.toUnsignedString(end), Integer.toUnsignedString(log.end(a)), "end of " + i);
        assertEquals(flags, log.flags(a), "flags of " + i);
        assertEquals(xmitNs, log.xmitNs(a), "xmitNs of " + i);
    }
}
