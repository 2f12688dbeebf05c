package io.strait.tcp;

import io.strait.tcp.wire.TcpSegment;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.strait.tcp.RangeSetTest.assertRanges;
import static io.strait.tcp.SackScoreboard.DSACK;
import static io.strait.tcp.SackScoreboard.NEWLY_SACKED;
import static org.junit.jupiter.api.Assertions.*;

/** {@link SackScoreboard}: SACK blocks in (RFC 2018, RFC 6675 §3), D-SACK recognised (RFC 2883 §4), pipe (§4). */
class SackScoreboardTest {
    static final int UNA = 10_000;
    /** {@link SackScoreboard#NEW_BLOCK} for blocks 0, 1, 2 of an ACK. */
    static final int B0 = SackScoreboard.NEW_BLOCK;
    static final int B1 = SackScoreboard.NEW_BLOCK << 1;
    static final int B2 = SackScoreboard.NEW_BLOCK << 2;

    final Tcb t = new Tcb(0);
    final TcpSegment s = new TcpSegment();

    SackScoreboardTest() {
        sender(UNA, UNA + 10_000);
    }

    private void sender(final int una, final int max) {
        t.sndUna = una;
        t.sndNxt = max;
        t.sndMax = max;
        t.maxSndWnd = 65535;
    }

    private TcpSegment blocks(final int... edges) {
        s.sackCount = edges.length / 2;
        for (int i = 0; i < s.sackCount; i++) {
            s.sackLeft[i] = edges[2 * i];
            s.sackRight[i] = edges[2 * i + 1];
        }
        return s;
    }

    @Test
    @DisplayName("RFC 6675 §3: blocks inside [SND.UNA, SND.MAX) are recorded; reporting them again adds nothing")
    void recordsBlocks() {
        assertEquals(NEWLY_SACKED | B0 | B1,
            SackScoreboard.update(t, blocks(UNA + 3000, UNA + 4000, UNA + 1000, UNA + 2000), UNA));
        assertRanges(t.sacked, UNA + 1000, UNA + 2000, UNA + 3000, UNA + 4000);
        assertEquals(2000, t.sacked.sum());
        assertEquals(0, SackScoreboard.update(t, blocks(UNA + 3000, UNA + 4000, UNA + 1000, UNA + 2000), UNA));
        assertEquals(NEWLY_SACKED | B0, SackScoreboard.update(t, blocks(UNA + 1000, UNA + 3000), UNA));
        assertRanges(t.sacked, UNA + 1000, UNA + 4000);
        assertEquals(3000, t.sacked.sum());
    }

    @Test
    @DisplayName("RFC 6675 §3, as Linux's tcp_is_sackblock_valid: blocks outside [SND.UNA, SND.MAX) or past SND.MAX are ignored, one straddling the ACK is clipped")
    void hostileBlocksIgnoredOrClipped() {
        final int max = t.sndMax;
        // First above SND.MAX (not a D-SACK: not below the ACK, not inside the second), then wholly below the ACK
        // (not first, so not a D-SACK either), then inverted.
        assertEquals(0, SackScoreboard.update(t, blocks(max, max + 1000, UNA - 3000, UNA - 2000,
            UNA + 4000, UNA + 3000), UNA));
        assertEquals(0, SackScoreboard.update(t, blocks(UNA + 700, UNA + 700), UNA), "empty");
        assertTrue(t.sacked.isEmpty());
        // Straddling SND.MAX: data never sent cannot have been received, the block is bogus and ignored.
        assertEquals(0, SackScoreboard.update(t, blocks(max - 500, max + 500), UNA));
        // Straddling the ACK: clipped.
        assertEquals(NEWLY_SACKED | B0 | B1,
            SackScoreboard.update(t, blocks(UNA + 200, UNA + 1200, UNA - 100, UNA + 100), UNA));
        assertRanges(t.sacked, UNA, UNA + 100, UNA + 200, UNA + 1200);
        assertEquals(1100, t.sacked.sum());
    }

    @Test
    @DisplayName("RFC 6675 §3 / RFC 9293 §3.4: blocks covering everything outside the window, or far above it, are ignored")
    void hugeBlocksIgnored() {
        final int max = t.sndMax;
        assertEquals(0, SackScoreboard.update(t, blocks(max + 1, UNA - 1), UNA), "all of sequence space but the window");
        assertEquals(0, SackScoreboard.update(t, blocks(max + 100, max + 0x7000_0000, max + 1, UNA - 1), UNA));
        assertEquals(0, SackScoreboard.update(t, blocks(UNA + 5000, UNA + 4999), UNA), "inverted by one byte");
        assertTrue(t.sacked.isEmpty());
        assertEquals(10_000, SackScoreboard.pipe(t));
    }

    @Test
    @DisplayName("RFC 2883 §4: a first block below the cumulative ACK is a D-SACK, reported and never recorded")
    void dsackBelowAck() {
        final int r = SackScoreboard.update(t, blocks(UNA - 1000, UNA, UNA + 2000, UNA + 3000), UNA);
        assertEquals(DSACK | NEWLY_SACKED | B1, r, "the second block is recorded, the first is the D-SACK");
        assertEquals(UNA - 1000, t.dsackInL);
        assertEquals(UNA, t.dsackInR);
        assertRanges(t.sacked, UNA + 2000, UNA + 3000);
        // A D-SACK of data this very ACK acknowledges (SEG.ACK above SND.UNA).
        assertEquals(DSACK, SackScoreboard.update(t, blocks(UNA, UNA + 1000), UNA + 1000));
        assertEquals(UNA, t.dsackInL);
        assertEquals(UNA + 1000, t.dsackInR);
        assertRanges(t.sacked, UNA + 2000, UNA + 3000);
    }

    @Test
    @DisplayName("RFC 2883 §4: a first block inside the second is a D-SACK; the second is recorded")
    void dsackInsideSecond() {
        final int r = SackScoreboard.update(t, blocks(UNA + 2000, UNA + 2500, UNA + 2000, UNA + 4000), UNA);
        assertEquals(DSACK | NEWLY_SACKED | B1, r, "the second block is recorded, the first is the D-SACK");
        assertEquals(UNA + 2000, t.dsackInL);
        assertEquals(UNA + 2500, t.dsackInR);
        assertRanges(t.sacked, UNA + 2000, UNA + 4000);
    }

    @Test
    @DisplayName("RFC 2883 §4 (hostile input): a D-SACK for data never sent (beyond one window below SND.UNA) is ignored")
    void dsackOutsideSentRangeIgnored() {
        t.dsackInL = 1;
        t.dsackInR = 2;
        assertEquals(0, SackScoreboard.update(t, blocks(UNA - 70_000, UNA - 69_000), UNA));
        assertEquals(1, t.dsackInL, "left untouched");
        assertEquals(2, t.dsackInR);
        assertTrue(t.sacked.isEmpty());
    }

    @Test
    @DisplayName("RFC 6675 §3 (bounded scoreboard): more ranges than room evicts the lowest, the sum stays exact")
    void evictsLowestWhenFull() {
        sender(UNA, UNA + 1000 * (Tcb.MAX_SACK_RANGES + 2));
        for (int i = 0; i < Tcb.MAX_SACK_RANGES; i++) {
            SackScoreboard.update(t, blocks(UNA + 1000 + 1000 * i, UNA + 1500 + 1000 * i), UNA);
        }
        assertEquals(Tcb.MAX_SACK_RANGES, t.sacked.count());
        SackScoreboard.update(t, blocks(UNA + 100, UNA + 200), UNA);
        assertEquals(Tcb.MAX_SACK_RANGES, t.sacked.count());
        assertEquals(UNA + 100, t.sacked.left(0), "the new lowest range replaces the old lowest");
        assertEquals(UNA + 2000, t.sacked.left(1));
        assertEquals(UNA + 1000 + 1000 * (Tcb.MAX_SACK_RANGES - 1) + 500, t.sacked.highest());
        assertEquals(100 + 500 * (Tcb.MAX_SACK_RANGES - 1), t.sacked.sum());
    }

    @Test
    @DisplayName("RFC 6675 §3 / RFC 8985 §6.2: with the scoreboard full, a block above every range is recorded and newly SACKed")
    void newBlockAboveAFullScoreboardIsRecorded() {
        // Found at 20% loss: with more than 64 holes in flight the scoreboard used to refuse every block above its
        // ranges, those segments were never marked SACKed, and RACK retransmitted them once it saw later ones
        // delivered (875 of 5,731 retransmissions in a 20 MB echo had been SACKed 3-16 ms before).
        sender(UNA, UNA + 1000 * (Tcb.MAX_SACK_RANGES + 2));
        for (int i = 0; i < Tcb.MAX_SACK_RANGES; i++) {
            SackScoreboard.update(t, blocks(UNA + 1000 + 1000 * i, UNA + 1500 + 1000 * i), UNA);
        }
        final int top = UNA + 1000 + 1000 * Tcb.MAX_SACK_RANGES;
        assertEquals(NEWLY_SACKED | B0, SackScoreboard.update(t, blocks(top, top + 500), UNA));
        assertEquals(top + 500, t.sacked.highest());
        assertEquals(UNA + 2000, t.sacked.left(0), "the lowest range, whose segments are already marked, went");
        assertEquals(500 * Tcb.MAX_SACK_RANGES, t.sacked.sum());
    }

    @Test
    @DisplayName("RFC 6675 §4 SetPipe: pipe = (SND.MAX - SND.UNA) - SACKed - lost (RFC 8985 §6.2), never negative")
    void pipe() {
        final UnsafeBuffer slab = new UnsafeBuffer(ByteBuffer.allocateDirect(16 * SentSegments.RECORD_BYTES));
        final SentSegments log = new SentSegments(slab);
        t.segCap = 16;
        for (int i = 0; i < 10; i++) {
            log.append(t, UNA + 1000 * i, UNA + 1000 * (i + 1), false, i);
        }
        assertEquals(10_000, SackScoreboard.pipe(t));
        SackScoreboard.update(t, blocks(UNA + 2000, UNA + 5000), UNA);
        assertEquals(10_000, SackScoreboard.pipe(t), "the marks, not the ranges, count");
        for (int i = 2; i < 5; i++) {
            log.markSacked(t, log.at(t, i));
            log.markSacked(t, log.at(t, i)); // twice: counted once
        }
        assertEquals(3000, t.sackedBytes);
        assertEquals(7000, SackScoreboard.pipe(t));
        log.ackTo(t, UNA + 3000);
        assertEquals(2000, t.sackedBytes, "what the cumulative ACK covers leaves the count");
        t.sndUna = UNA + 3000;
        assertEquals(5000, SackScoreboard.pipe(t));
        t.sndUna = UNA;
        t.sackedBytes = 3000;
        t.lostBytes = 2000;
        assertEquals(5000, SackScoreboard.pipe(t));
        t.lostBytes = 9000;
        assertEquals(0, SackScoreboard.pipe(t));
    }

    @Test
    @DisplayName("RFC 6675 §3 with RFC 9293 §3.4: a scoreboard straddling 2^32 is clipped and pruned modulo 2^32")
    void wrapAround() {
        sender(-3000, 7000);
        assertEquals(NEWLY_SACKED | B0 | B1, SackScoreboard.update(t, blocks(-1000, 1000, 2000, 7000), -3000));
        assertRanges(t.sacked, -1000, 1000, 2000, 7000);
        assertEquals(7000, t.sacked.sum());
        t.sndUna = 500;
        SackScoreboard.prune(t);
        assertRanges(t.sacked, 500, 1000, 2000, 7000);
        assertEquals(5500, t.sacked.sum());
        // A D-SACK below the new SND.UNA, straddling zero.
        assertEquals(DSACK, SackScoreboard.update(t, blocks(-100, 100), 500));
        assertEquals(-100, t.dsackInL);
        assertEquals(100, t.dsackInR);
    }

    @Test
    @DisplayName("RFC 2018 §8: reneging forgets the scoreboard and the records' SACKED marks")
    void clearOnReneging() {
        final UnsafeBuffer slab = new UnsafeBuffer(ByteBuffer.allocateDirect(8 * SentSegments.RECORD_BYTES));
        final SentSegments log = new SentSegments(slab);
        t.segCap = 8;
        log.append(t, UNA, UNA + 1000, false, 1);
        log.append(t, UNA + 1000, UNA + 2000, false, 2);
        SackScoreboard.update(t, blocks(UNA + 1000, UNA + 2000), UNA);
        log.markSacked(t, log.at(t, 1));
        log.markLost(t, log.at(t, 0));
        SackScoreboard.clear(t, log);
        assertTrue(t.sacked.isEmpty());
        assertEquals(0, log.flags(log.at(t, 1)));
        assertEquals(0, t.lostBytes);
        assertEquals(10_000, SackScoreboard.pipe(t));
    }

    @Test
    @DisplayName("An old ACK (below SND.UNA, still acceptable) clips its blocks to SND.UNA, not to itself (fuzzing finding)")
    void oldAckBlocksClippedToSndUna() {
        final int oldAck = UNA - 5000; // RFC 5961 §5.2: acceptable while within MAX.SND.WND below SND.UNA
        // Not a D-SACK (ends above the ACK, no second block), straddles SND.UNA and reaches 2000 above it.
        assertEquals(NEWLY_SACKED | B0, SackScoreboard.update(t, blocks(oldAck - 1000, UNA + 2000), oldAck));
        assertRanges(t.sacked, UNA, UNA + 2000);
        assertEquals(2000, t.sacked.sum());
        // One wholly below SND.UNA, above the old ACK: already acknowledged, nothing to record.
        assertEquals(0, SackScoreboard.update(t, blocks(oldAck + 100, UNA - 100), oldAck));
        assertEquals(2000, t.sacked.sum());
        assertTrue(t.sacked.sum() <= t.sndMax - t.sndUna);
    }
}
