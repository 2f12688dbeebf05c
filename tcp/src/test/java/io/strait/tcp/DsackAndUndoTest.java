package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Scripted D-SACK exchanges (RFC 2883): the engine reporting duplicates as a receiver, and as a sender using the
 * D-SACKs it receives to undo a spurious window reduction (RFC 3708, as Linux) and to widen RACK's reordering
 * window (RFC 8985 §6.2 step 4).
 */
class DsackAndUndoTest {


    /** The connection's TCB (white box: the engine keeps it private; this package's tests may look). */
    private static Tcb tcb(final Harness s) {
        try {
            final Field f = TcpEngine.class.getDeclaredField("pool");
            f.setAccessible(true);
            final Tcb t = ((TcbPool) f.get(s.engine)).lookup(s.handle);
            assertNotNull(t);
            return t;
        } catch (final ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }


    // ---------------------------------------------------------------------------------------------------------
    // The engine as receiver: D-SACK sent.
    // ---------------------------------------------------------------------------------------------------------

    @Test
    @DisplayName("RFC 2883 §4 (first block): a wholly duplicate segment is ACKed at once with it as the first SACK block")
    void dsackForDuplicateSegment() {
        final Harness s = sackPeer(0);
        final int base = s.peerSeq;
        final byte[] data = bytes(100, 3);
        assertEquals(List.of(), s.send(s.seg().payload(data)));
        expect(one(s.advance(42 * MS)), ACK, s.iss + 1, base + 100); // the delayed ACK (RFC 5681 §4.2)
        final CapturedSegment dup = one(s.send(s.seg().payload(data)));
        expect(dup, ACK, s.iss + 1, base + 100);
        assertArrayEquals(new int[] {base, base + 100}, dup.sackBlocks(), "D-SACK [SEG.SEQ, SEG.SEQ + len)");
        assertEquals(1, s.counter("dsacks_out"));
        // Reported once: the next ACK carries no D-SACK.
        s.peerSeq = base + 100;
        s.send(s.seg().payload(bytes(100, 4)));
        final CapturedSegment next = one(s.advance(42 * MS));
        expect(next, ACK, s.iss + 1, base + 200);
        assertArrayEquals(new int[0], next.sackBlocks());
        assertEquals(1, s.counter("dsacks_out"));
        assertEquals(200, s.app.received.size(), "the duplicate is not delivered twice");
        s.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 2883 §4.1.1: a segment partly below RCV.NXT: the duplicated part is D-SACKed, the rest accepted")
    void dsackForPartialDuplicate() {
        final Harness s = sackPeer(0);
        final int base = s.peerSeq;
        final byte[] data = bytes(200, 5);
        s.send(s.seg().payload(Arrays.copyOfRange(data, 0, 100)));
        final CapturedSegment ack = one(s.send(s.seg().payload(Arrays.copyOfRange(data, 50, 200))
            .seq(base + 50)));
        expect(ack, ACK, s.iss + 1, base + 200);
        assertArrayEquals(new int[] {base + 50, base + 100}, ack.sackBlocks());
        assertArrayEquals(data, s.app.received.toByteArray());
        assertEquals(1, s.counter("dsacks_out"));
        s.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 2883 §4.2.1: a duplicate of queued out-of-order data: the D-SACK first, then the block holding it")
    void dsackForQueuedOutOfOrder() {
        final Harness s = sackPeer(0);
        final int base = s.peerSeq;
        final CapturedSegment first = one(s.send(s.seg().seq(base + 1000).payload(bytes(100, 1))));
        assertArrayEquals(new int[] {base + 1000, base + 1100}, first.sackBlocks());
        s.send(s.seg().seq(base + 3000).payload(bytes(100, 2)));
        final CapturedSegment dup = one(s.send(s.seg().seq(base + 1000).payload(bytes(100, 1))));
        expect(dup, ACK, s.iss + 1, base);
        assertArrayEquals(new int[] {base + 1000, base + 1100, base + 3000, base + 3100, base + 1000, base + 1100},
            dup.sackBlocks(), "D-SACK, then the most recent block (RFC 2018 §4), then the rest");
        assertEquals(1, s.counter("dsacks_out"));
        s.finishAndCheckLeaks();
    }

    // ---------------------------------------------------------------------------------------------------------
    // The engine as sender: D-SACK received.
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Five segments out; the receiver SACKs three above the first, so RACK (reo_wnd = 0 with DupThresh SACKed,
     * RFC 8985 §6.2 step 4) marks the first lost: fast recovery with PRR, the first segment resent.
     *
     * @return the first segment's SEQ
     */
    private static int recoveryWithOneRetransmission(final Harness s, final Tcb t) {
        s.write(bytes(5000, 1));
        assertEquals(5, s.poll().size());
        final int b = s.iss + 1;
        final CapturedSegment rtx = one(s.send(s.seg().sack(b + 1000, b + 4000)));
        expect(rtx, ACK, b, s.peerSeq);
        assertTrue(t.inRecovery);
        assertEquals(1, s.counter("fast_retransmits"));
        // RFC 5681 §3.1 eq. 4 (NewReno): ssthresh = FlightSize / 2 = 2500.
        assertEquals(2500, t.ssthresh);
        assertEquals(1, t.undoRetrans);
        return b;
    }

    @Test
    @DisplayName("RFC 2883 §4 / RFC 3708 §2: the retransmission D-SACKed, recovery ends with the reduction undone")
    void dsackUndoesReduction() {
        final Harness s = sackPeer(0);
        final Tcb t = tcb(s);
        final int cwndBefore = t.cwnd;
        final int ssthreshBefore = t.ssthresh;
        assertEquals(10_000, cwndBefore, "RFC 6928 IW10");
        final int b = recoveryWithOneRetransmission(s, t);
        // The original arrived after all: the receiver reports the retransmission as a duplicate.
        s.peerAck = b + 5000;
        assertEquals(List.of(), s.send(s.seg().sack(b, b + 1000)));
        assertEquals(1, s.counter("dsacks_in"));
        assertEquals(1, s.counter("undos"));
        assertFalse(t.inRecovery);
        assertEquals(0, t.undoRetrans);
        assertEquals(ssthreshBefore, t.ssthresh, "ssthresh = max(ssthresh, prior ssthresh)");
        // cwnd = max(cwnd, prior cwnd) = 10 000; then, below ssthresh again, this ACK's slow-start increase
        // min(5000 acked, L = 1 SMSS) (RFC 5681 §3.1, RFC 3465 §2.3; the window was in use, RFC 7661).
        assertEquals(cwndBefore + 1000, t.cwnd);
        s.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 6937 §3: without a D-SACK, recovery ends with cwnd = ssthresh and nothing is undone")
    void noDsackNoUndo() {
        final Harness s = sackPeer(0);
        final Tcb t = tcb(s);
        final int b = recoveryWithOneRetransmission(s, t);
        s.peerAck = b + 5000;
        assertEquals(List.of(), s.send(s.seg()));
        assertEquals(0, s.counter("dsacks_in"));
        assertEquals(0, s.counter("undos"));
        assertFalse(t.inRecovery);
        assertEquals(2500, t.ssthresh);
        // RFC 6937 §3: cwnd = ssthresh = 2500 at the end of recovery; then congestion avoidance on this ACK
        // (RFC 5681 §3.1 byte counting, counted from 0 at the start of recovery): 5000 acked >= cwnd: + 1 SMSS.
        assertEquals(3500, t.cwnd);
        s.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 3708 §2: a D-SACK for data never retransmitted does not undo a real loss's reduction")
    void dsackOfOriginalDoesNotUndo() {
        final Harness s = sackPeer(0);
        final Tcb t = tcb(s);
        final int b = recoveryWithOneRetransmission(s, t);
        // A D-SACK for [b+1000, b+2000): a network duplicate of an original, not the retransmission.
        s.peerAck = b + 5000;
        s.send(s.seg().sack(b + 1000, b + 2000));
        assertEquals(1, s.counter("dsacks_in"));
        assertEquals(0, s.counter("undos"));
        assertEquals(2500, t.ssthresh);
        s.finishAndCheckLeaks();
    }

    /**
     * Two segments at the same time; the peer SACKs the second after one RTT (40 ms). RACK: the first is lost at
     * xmit + RACK.rtt + reo_wnd (RFC 8985 §6.2 step 5), found by the reordering timer (§6.3).
     *
     * @return when the first segment was retransmitted, relative to when both were sent
     */
    private static long reorderTimerRetransmitAfter(final Harness s) {
        final int b = s.peerAck;
        s.write(bytes(2000, 7));
        assertEquals(2, s.poll().size());
        final long sentNs = s.now();
        s.advance(40 * MS);
        assertEquals(List.of(), s.send(s.seg().sack(b + 1000, b + 2000)), "within reo_wnd: not lost yet");
        for (int i = 0; i < 100; i++) {
            final List<CapturedSegment> out = s.advance(MS / 4);
            if (!out.isEmpty()) {
                expect(out.get(0), ACK, b, s.peerSeq);
                assertEquals(1, s.counter("rack_reorder_timeouts"));
                s.ackAllAndCheckLeaks(b + 2000);
                return out.get(0).timeNs() - sentNs;
            }
        }
        fail("no retransmission");
        return -1;
    }

    @Test
    @DisplayName("RFC 8985 §6.2 step 4 / §6.3: no reordering seen: reo_wnd = min_RTT/4 = 10 ms, retransmit at 50 ms")
    void reorderWindowWithoutDsack() {
        final Harness s = sackPeer(40 * MS);
        final Tcb t = tcb(s);
        assertEquals(40 * MS, t.minRttNs);
        final long after = reorderTimerRetransmitAfter(s);
        assertTrue(after >= 50 * MS && after <= 50 * MS + 2 * s.config.timerTickNs, "retransmitted after " + after);
    }

    @Test
    @DisplayName("RFC 8985 §6.2 step 4: a D-SACK grows reo_wnd_mult once per round: reo_wnd = 2 * 10 ms, retransmit at 60 ms")
    void dsackGrowsReorderWindow() {
        final Harness s = sackPeer(40 * MS);
        final Tcb t = tcb(s);
        final int b = s.iss + 1;
        s.write(bytes(3000, 1));
        assertEquals(3, s.poll().size());
        s.advance(40 * MS);
        // Two D-SACKs in one round (the network duplicated two originals): one step of growth.
        s.peerAck = b + 1000;
        s.send(s.seg().sack(b, b + 1000));
        assertEquals(2, t.reoWndMult);
        assertTrue(t.reorderingSeen);
        assertEquals(RackTlp.REO_WND_PERSIST, t.reoWndPersist);
        s.peerAck = b + 2000;
        s.send(s.seg().sack(b + 1000, b + 2000));
        assertEquals(2, t.reoWndMult, "same round: SND.UNA below the SND.MAX recorded at the first D-SACK");
        assertEquals(2, s.counter("dsacks_in"));
        assertEquals(0, s.counter("undos"), "nothing was retransmitted or reduced");
        s.peerAck = b + 3000;
        s.send(s.seg());
        assertEquals(40 * MS, t.minRttNs);
        final long after = reorderTimerRetransmitAfter(s);
        assertTrue(after >= 60 * MS && after <= 60 * MS + 2 * s.config.timerTickNs, "retransmitted after " + after);
    }
}
