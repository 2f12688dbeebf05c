package io.strait.tcp;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.strait.tcp.SentSegments.*;
import static org.junit.jupiter.api.Assertions.*;

/** {@link RackTlp}: RFC 8985 RACK loss detection by time and the TLP timeout. */
class RackTlpTest {
    static final long MS = 1_000_000L;
    static final int SEG = 1000;
    static final int UNA = 5000;

    final UnsafeBuffer slab = new UnsafeBuffer(ByteBuffer.allocateDirect(64 * RECORD_BYTES));
    final SentSegments log = new SentSegments(slab);
    final TcpCounters c = new TcpCounters(new CountersManager(
        new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 18)), new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 16))), "t.");
    final RackTlp rack = new RackTlp(log, c);
    final Tcb t = new Tcb(0);

    {
        t.segCap = 64;
    }

    RackTlpTest() {
        t.sndMss = SEG;
        t.sndUna = UNA;
        t.sndNxt = UNA;
        t.sndMax = UNA;
        t.sackOn = true;
    }

    /** Sends segment i ([UNA + i*SEG, UNA + (i+1)*SEG)) at {@code xmitNs}. */
    private int send(final int i, final long xmitNs) {
        log.append(t, UNA + i * SEG, UNA + (i + 1) * SEG, false, xmitNs);
        t.sndNxt = t.sndMax = UNA + (i + 1) * SEG;
        return log.at(t, t.segCount - 1);
    }

    /** The receiver SACKs record {@code a} at {@code nowNs}, as Recovery.markSacked does. */
    private long sack(final int a, final long nowNs) {
        t.sacked.add(log.start(a), log.end(a), true);
        log.markSacked(t, a);
        return rack.onDelivered(t, a, nowNs, Integer.MIN_VALUE);
    }

    private void rtt(final long srttNs, final long minRttNs) {
        t.rttValid = true;
        t.srttNs = srttNs;
        t.minRttNs = minRttNs;
    }

    @Test
    @DisplayName("RFC 8985 §6.2 RACK_sent_after: later in time, or the same time and a higher end sequence")
    void sentAfter() {
        assertTrue(RackTlp.sentAfter(2, 100, 1, 200));
        assertFalse(RackTlp.sentAfter(1, 200, 2, 100));
        assertTrue(RackTlp.sentAfter(5, 200, 5, 100));
        assertFalse(RackTlp.sentAfter(5, 100, 5, 100));
        assertTrue(RackTlp.sentAfter(5, 0x10, 5, 0xFFFFFFF0), "sequence ties broken modulo 2^32");
    }

    @Test
    @DisplayName("RFC 8985 §6.2 steps 1-2: a delivered segment sets RACK.rtt, RACK.xmit_ts and RACK.end_seq")
    void onDeliveredUpdatesRack() {
        final int a0 = send(0, 10 * MS);
        final int a1 = send(1, 12 * MS);
        assertEquals(38 * MS, sack(a1, 50 * MS));
        assertTrue(t.rackValid);
        assertEquals(12 * MS, t.rackXmitNs);
        assertEquals(UNA + 2 * SEG, t.rackEndSeq);
        assertEquals(38 * MS, t.rackRttNs);
        // An older segment delivered later: RACK.rtt is its RTT, but RACK.xmit_ts stays at the most recent send.
        assertEquals(45 * MS, sack(a0, 55 * MS));
        assertEquals(12 * MS, t.rackXmitNs);
        assertEquals(UNA + 2 * SEG, t.rackEndSeq);
        assertEquals(45 * MS, t.rackRttNs);
    }

    @Test
    @DisplayName("RFC 8985 §6.2 step 3: a never-retransmitted segment delivered below RACK.fack means reordering")
    void reorderingDetected() {
        final int a0 = send(0, 0);
        final int a1 = send(1, 0);
        final int a2 = send(2, 0);
        sack(a2, 10 * MS);
        assertFalse(t.reorderingSeen);
        log.retransmitted(t, a0, 11 * MS);
        sack(a0, 12 * MS);
        assertFalse(t.reorderingSeen, "a retransmission below FACK is a repair, not reordering");
        sack(a1, 13 * MS);
        assertTrue(t.reorderingSeen);
    }

    @Test
    @DisplayName("RFC 8985 §6.2 step 2: an ambiguous retransmission (RTT below RACK.min_RTT, or TSecr before it) is skipped")
    void ambiguousRetransmissionSkipped() {
        rtt(40 * MS, 40 * MS);
        final int a0 = send(0, 0);
        log.retransmitted(t, a0, 100 * MS);
        // Delivered 5 ms after the retransmission, below min_RTT: the ACK is for the original.
        assertEquals(-1, rack.onDelivered(t, a0, 105 * MS, Integer.MIN_VALUE));
        assertFalse(t.rackValid);
        // TSecr (1 ms ticks) older than the retransmission's send time: for the original as well.
        assertEquals(-1, rack.onDelivered(t, a0, 150 * MS, (int) (99 * MS / Timestamps.TICK_NS)));
        assertFalse(t.rackValid);
        // Unambiguous: updates RACK, but still no RTT sample (RFC 6298 §3, Karn).
        assertEquals(-1, rack.onDelivered(t, a0, 150 * MS, Integer.MIN_VALUE));
        assertTrue(t.rackValid);
        assertEquals(50 * MS, t.rackRttNs);
        assertEquals(100 * MS, t.rackXmitNs);
    }

    @Test
    @DisplayName("RFC 8985 §6.2 step 4: reo_wnd = 0 without reordering when in recovery or >= DupThresh segments SACKed")
    void reoWndZero() {
        rtt(40 * MS, 32 * MS);
        assertEquals(8 * MS, RackTlp.reoWnd(t, SEG), "min_RTT/4 otherwise");
        t.inRecovery = true;
        assertEquals(0, RackTlp.reoWnd(t, SEG));
        t.inRecovery = false;
        t.inLoss = true;
        assertEquals(0, RackTlp.reoWnd(t, SEG), "RTO recovery too");
        t.inLoss = false;
        t.sackedBytes = 2 * SEG; // the per-segment marks' count, as Linux's sacked_out
        assertEquals(8 * MS, RackTlp.reoWnd(t, SEG), "two segments SACKed");
        t.sackedBytes = 3 * SEG;
        assertEquals(0, RackTlp.reoWnd(t, SEG), "three segments SACKed");
        t.reorderingSeen = true;
        t.inRecovery = true;
        assertEquals(8 * MS, RackTlp.reoWnd(t, SEG), "reordering seen: the window stays");
    }

    @Test
    @DisplayName("RFC 8985 §6.2 step 4: reo_wnd = min(reo_wnd_mult * min_RTT/4, SRTT)")
    void reoWndScaledAndCapped() {
        rtt(100 * MS, 40 * MS);
        t.reorderingSeen = true;
        assertEquals(10 * MS, RackTlp.reoWnd(t, SEG));
        t.reoWndMult = 3;
        assertEquals(30 * MS, RackTlp.reoWnd(t, SEG));
        t.reoWndMult = 20;
        assertEquals(100 * MS, RackTlp.reoWnd(t, SEG), "capped at SRTT");
        t.minRttNs = Long.MAX_VALUE;
        t.reoWndMult = 1;
        assertEquals(25 * MS, RackTlp.reoWnd(t, SEG), "no min_RTT yet: SRTT/4");
    }

    @Test
    @DisplayName("RFC 8985 §6.2 step 4: a D-SACK grows reo_wnd_mult once per round trip; 16 recoveries later it resets")
    void dsackGrowsReoWnd() {
        send(0, 0);
        send(1, 0);
        rack.onDsack(t);
        assertEquals(2, t.reoWndMult);
        assertEquals(RackTlp.REO_WND_PERSIST, t.reoWndPersist);
        assertTrue(t.reorderingSeen);
        assertEquals(UNA + 2 * SEG, t.dsackRoundSeq);
        rack.onDsack(t);
        assertEquals(2, t.reoWndMult, "same round (SND.UNA below the round's end): no growth");
        t.sndUna = UNA + 2 * SEG;
        rack.onDsack(t);
        assertEquals(3, t.reoWndMult, "next round");
        for (int i = 0; i < RackTlp.REO_WND_PERSIST - 1; i++) {
            RackTlp.onRecoveryExit(t);
        }
        assertEquals(3, t.reoWndMult);
        RackTlp.onRecoveryExit(t);
        assertEquals(1, t.reoWndMult, "reo_wnd_persist recoveries later");
        for (int i = 0; i < 100; i++) {
            t.sndUna = t.dsackRoundSeq;
            rack.onDsack(t);
        }
        assertEquals(RackTlp.REO_WND_MULT_MAX, t.reoWndMult);
    }

    @Test
    @DisplayName("RFC 8985 §6.2 step 5: lost when a later-sent segment is delivered and now >= xmit + RACK.rtt + reo_wnd")
    void detectLossByTime() {
        rtt(10 * MS, 8 * MS); // reo_wnd = min(8/4, 10) = 2 ms
        send(0, 0);
        send(1, MS);
        final int a2 = send(2, 2 * MS);
        sack(a2, 12 * MS); // RACK.rtt = 10 ms, RACK.xmit_ts = 2 ms
        assertEquals(2 * MS, RackTlp.reoWnd(t, SEG));
        // Segment 0: 0 + 10 + 2 = 12 <= now: lost. Segment 1: 1 + 10 + 2 = 13 > 12: 1 ms left.
        assertEquals(SEG, rack.detectLoss(t, 12 * MS, SEG));
        assertEquals(LOST, log.flags(log.at(t, 0)));
        assertEquals(0, log.flags(log.at(t, 1)));
        assertEquals(SEG, t.lostBytes);
        assertEquals(13 * MS, t.reoDeadlineNs, "RFC 8985 §6.3: the reordering timer");
        assertEquals(SEG, c.rackLost.get());
        // Just before the deadline nothing more; at it, segment 1 is lost and the timer is off.
        assertEquals(0, rack.detectLoss(t, 13 * MS - 1, SEG));
        assertEquals(13 * MS, t.reoDeadlineNs);
        assertEquals(SEG, rack.detectLoss(t, 13 * MS, SEG));
        assertEquals(2 * SEG, t.lostBytes);
        assertEquals(Long.MAX_VALUE, t.reoDeadlineNs);
        assertEquals(SACKED, log.flags(log.at(t, 2)), "the delivered segment is not lost");
        assertEquals(2 * SEG, c.rackLost.get());
    }

    @Test
    @DisplayName("RFC 8985 §6.2 step 5 / §6.3: the reorder timer is armed for max(remaining) over the pending segments")
    void reorderTimerDeadline() {
        rtt(40 * MS, 40 * MS);
        t.reorderingSeen = true; // reo_wnd = 10 ms
        send(0, 0);
        send(1, 3 * MS);
        send(2, 6 * MS);
        final int a3 = send(3, 8 * MS);
        sack(a3, 48 * MS); // RACK.rtt = 40 ms
        // remaining: 0+40+10-48 = 2 ms, 3+40+10-48 = 5 ms, 6+40+10-48 = 8 ms.
        assertEquals(0, rack.detectLoss(t, 48 * MS, SEG));
        assertEquals(56 * MS, t.reoDeadlineNs);
        assertEquals(3 * SEG, rack.detectLoss(t, 56 * MS, SEG));
        assertEquals(Long.MAX_VALUE, t.reoDeadlineNs);
    }

    @Test
    @DisplayName("RFC 8985 §6.2 step 5: nothing sent after RACK.xmit_ts is lost, and no timer without RACK state")
    void onlySegmentsSentBeforeRack() {
        rtt(10 * MS, 8 * MS);
        t.inRecovery = true; // reo_wnd = 0
        assertEquals(0, rack.detectLoss(t, 100 * MS, SEG), "nothing delivered yet");
        assertEquals(Long.MAX_VALUE, t.reoDeadlineNs);
        send(0, 0);
        final int a1 = send(1, MS);
        send(2, 2 * MS);
        sack(a1, 11 * MS);
        assertEquals(SEG, rack.detectLoss(t, 1000 * MS, SEG));
        assertEquals(LOST, log.flags(log.at(t, 0)));
        assertEquals(0, log.flags(log.at(t, 2)), "sent after RACK.xmit_ts: for the TLP or RTO to find");
        assertEquals(Long.MAX_VALUE, t.reoDeadlineNs);
    }

    @Test
    @DisplayName("RFC 8985 §6.2 step 5: same send time, ties broken by sequence: lower segments of a burst are lost")
    void burstTieBreak() {
        t.inRecovery = true;
        rtt(10 * MS, 10 * MS);
        send(0, 0);
        send(1, 0);
        final int a2 = send(2, 0);
        send(3, 0);
        sack(a2, 10 * MS);
        assertEquals(2 * SEG, rack.detectLoss(t, 10 * MS, SEG));
        assertEquals(LOST, log.flags(log.at(t, 0)));
        assertEquals(LOST, log.flags(log.at(t, 1)));
        assertEquals(0, log.flags(log.at(t, 3)));
    }

    @Test
    @DisplayName("RFC 8985 §6.2 step 5 (lost retransmission): a retransmission is lost when data sent after it is delivered")
    void lostRetransmission() {
        rtt(10 * MS, 10 * MS);
        t.inRecovery = true; // reo_wnd = 0
        final int a0 = send(0, 0);
        final int a1 = send(1, 0);
        sack(a1, 10 * MS);
        assertEquals(SEG, rack.detectLoss(t, 10 * MS, SEG));
        log.retransmitted(t, a0, 10 * MS);
        assertEquals(0, t.lostBytes);
        final int a2 = send(2, 15 * MS);
        // At 20 ms only the retransmission's own RTT has passed since it went out; RACK.xmit_ts is still 0.
        assertEquals(0, rack.detectLoss(t, 20 * MS, SEG));
        // The new segment, sent after the retransmission, is delivered: RACK.rtt = 12, xmit_ts = 15 ms.
        assertEquals(12 * MS, sack(a2, 27 * MS));
        // Retransmission: 10 + 12 + 0 = 22 <= 27: lost again, counted as a lost retransmission.
        assertEquals(SEG, rack.detectLoss(t, 27 * MS, SEG));
        assertEquals(RETRANSMITTED | LOST, log.flags(a0));
        assertEquals(1, c.lostRetransmits.get());
        assertEquals(2 * SEG, c.rackLost.get());
    }

    @Test
    @DisplayName("RFC 8985 §7.2: PTO = 2*SRTT + floor (WCDelAckT for one segment in flight), none past the RTO, "
        + "none in recovery but for its tail")
    void pto() {
        t.rttValid = true;
        t.srttNs = 10 * MS;
        t.rtoNs = 200 * MS;
        send(0, 0);
        send(1, 0);
        assertEquals(22 * MS, RackTlp.pto(t, SEG, 2 * MS));
        t.sndUna = UNA + SEG;
        t.rtoNs = 300 * MS;
        assertEquals(20 * MS + RackTlp.WC_DEL_ACK_NS, RackTlp.pto(t, SEG, 2 * MS), "one segment: 2*SRTT + WCDelAckT");
        assertEquals(220 * MS, RackTlp.pto(t, SEG, 2 * MS));
        t.sndUna = UNA;
        t.inRecovery = true;
        t.lostBytes = SEG;
        assertEquals(-1, RackTlp.pto(t, SEG, 2 * MS), "in recovery with a segment marked lost and not yet resent");
        t.lostBytes = 0;
        t.reoDeadlineNs = 5 * MS;
        assertEquals(-1, RackTlp.pto(t, SEG, 2 * MS), "in recovery with RACK's reordering timer pending");
        t.reoDeadlineNs = Long.MAX_VALUE;
        assertEquals(22 * MS, RackTlp.pto(t, SEG, 2 * MS), "recovery's tail: every lost segment resent, no timer");
        t.inRecovery = false;
        t.inLoss = true;
        assertEquals(-1, RackTlp.pto(t, SEG, 2 * MS), "RTO recovery");
        t.inLoss = false;
        t.tlpOut = true;
        assertEquals(-1, RackTlp.pto(t, SEG, 2 * MS), "one probe per episode");
        t.tlpOut = false;
        t.retransmits = 1;
        assertEquals(-1, RackTlp.pto(t, SEG, 2 * MS), "after an RTO");
        t.retransmits = 0;
        t.sackOn = false;
        assertEquals(-1, RackTlp.pto(t, SEG, 2 * MS), "RFC 8985 §7: TLP needs SACK");
        t.sackOn = true;
        t.rttValid = false;
        assertEquals(-1, RackTlp.pto(t, SEG, 2 * MS), "no RTT yet");
    }

    @Test
    @DisplayName("RFC 8985 §7.2: a PTO later than the RTO expiration is not dropped: the TLP is sent at the RTO time")
    void ptoCappedAtRto() {
        t.rttValid = true;
        t.srttNs = 10 * MS;
        t.rtoNs = 200 * MS;
        send(0, 0);
        // One segment in flight: PTO = 2*10 + 200 (WCDelAckT) = 220 ms > RTO = 200 ms: probe at 200 ms instead.
        assertEquals(200 * MS, RackTlp.pto(t, SEG, 2 * MS));
    }
}
