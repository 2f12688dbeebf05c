package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import io.strait.tcp.sim.SegmentBuilder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

class RetransmitTest {
    final Harness h = new Harness();

    @Test
    @DisplayName("RFC 6298 §5.4-5.5: retransmit at the RTO (min 200 ms after a 0 RTT sample), then back off x2")
    void rtoAndBackoff() {
        h.passiveOpen();
        assertEquals(200 * MS, h.engine.rtoNs(h.handle));
        h.write(bytes(500, 1));
        final CapturedSegment first = one(h.poll());
        assertEquals(List.of(), h.advance(199 * MS));
        final CapturedSegment again = one(h.advance(MS));
        expect(again, ACK | PSH, first.seq(), h.peerSeq);
        assertArrayEquals(first.payload(), again.payload());
        assertEquals(List.of(), h.advance(399 * MS));
        expect(one(h.advance(MS)), ACK | PSH, first.seq(), h.peerSeq);
        assertEquals(2, h.counter("rto_expiries"));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.8.3 R2: after maxRetransmits the connection closes with TIMEOUT")
    void retransmitLimit() {
        h.passiveOpen();
        h.write(bytes(500, 1));
        h.poll();
        int retransmissions = 0;
        while (h.engine.state(h.handle) == TcpState.ESTABLISHED) {
            retransmissions += h.nextEvent(Long.MAX_VALUE).size();
        }
        assertEquals(5, retransmissions);
        assertEquals(List.of("open", "close:timeout"), h.app.events);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 5681 §3.2 / RFC 6582: the third duplicate ACK triggers a fast retransmit of SND.UNA")
    void fastRetransmit() {
        h.passiveOpen();
        h.write(bytes(5000, 1));
        assertEquals(5, h.poll().size(), "RFC 6928: IW10 allows all five segments");
        assertEquals(List.of(), h.send(h.seg()));
        assertEquals(List.of(), h.send(h.seg()));
        final CapturedSegment rtx = one(h.send(h.seg()));
        expect(rtx, ACK, h.iss + 1, h.peerSeq);
        assertEquals(1000, rtx.payload().length);
        assertEquals(1, h.counter("fast_retransmits"));
        // Partial ACK (RFC 6582 §3.2 step 5): the next hole is retransmitted at once.
        final CapturedSegment partial = one(h.send(h.seg().ack(h.iss + 2001)));
        expect(partial, ACK, h.iss + 2001, h.peerSeq);
        h.peerAck = h.iss + 5001;
        assertEquals(List.of(), h.send(h.seg()));
        assertEquals(0, h.engine.sendQueueBytes(h.handle));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 6675 §5: SACK-based recovery retransmits SND.UNA, then the next hole while pipe < cwnd")
    void sackRecovery() {
        final Harness s = sackPeer(0);
        final int b = fiveSegmentsOut(s);
        final List<CapturedSegment> rtx = s.send(s.seg().sack(b + 1000, b + 2000).sack(b + 3000, b + 5000));
        assertEquals(2, rtx.size(), () -> "got " + rtx);
        expect(rtx.get(0), ACK, b, s.peerSeq);
        expect(rtx.get(1), ACK, b + 2000, s.peerSeq);
        assertEquals(2, s.counter("sack_retransmits"), "both holes, found lost by RACK (RFC 8985 §6.2)");
        assertEquals(2000, s.counter("rack_lost_bytes"));
        s.peerAck = b + 5000;
        assertEquals(List.of(), s.send(s.seg()));
        s.finishAndCheckLeaks();
    }


    @Test
    @DisplayName("RFC 8985 §6.2 step 5 with RFC 7323 §4.3: a lost retransmission is found by RACK from SACKs whose "
        + "TSecr is stale while the hole lasts, not by the RTO")
    void lostRetransmissionFoundThroughStaleTsecr() {
        final Harness s = new Harness(base().mss(1012).sack(true).timestamps(true).build());
        s.engine.listen(SERVER_PORT, s.app);
        // MSS 1012: 1000 bytes of data beside the 12 bytes of the timestamp option (RFC 6691).
        final CapturedSegment synAck = one(s.send(s.seg().flags(SYN).ack(0).mss(1012).sackPermitted()
            .timestamps(100, 0)));
        s.iss = synAck.seq();
        s.peerSeq = PEER_ISS + 1;
        s.peerAck = s.iss + 1;
        s.advance(MS);
        final int recent = synAck.tsVal(); // TS.Recent's source: the last segment at RCV.NXT
        assertEquals(List.of(), s.send(s.seg().timestamps(101, recent)));
        s.handle = s.app.handle;
        s.write(bytes(5000, 1));
        final List<CapturedSegment> first = s.poll();
        assertEquals(5, first.size());
        final int b = s.iss + 1;
        // [b, b+1000) and [b+2000, b+3000) lost. The receiver's RCV.NXT stays at b, so every SACK echoes `recent`.
        s.advance(MS);
        final List<CapturedSegment> rtx = s.send(s.seg().sack(b + 1000, b + 2000).sack(b + 3000, b + 5000)
            .timestamps(102, recent));
        assertEquals(2, rtx.size(), () -> "both holes: " + rtx);
        expect(rtx.get(0), ACK, b, s.peerSeq);
        expect(rtx.get(1), ACK, b + 2000, s.peerSeq);
        // The first retransmission is lost again; the second arrives and is SACKed, TSecr still stale.
        s.advance(MS);
        final List<CapturedSegment> again = new java.util.ArrayList<>(s.send(s.seg().sack(b + 1000, b + 5000)
            .timestamps(103, recent)));
        for (int i = 0; i < 10 && again.isEmpty(); i++) {
            again.addAll(s.advance(MS)); // at most RACK.rtt + reo_wnd later, far inside the 200 ms RTO
        }
        assertFalse(again.isEmpty(), "the hole is sent a third time by RACK");
        expect(again.get(0), ACK, b, s.peerSeq);
        assertEquals(1, s.counter("lost_retransmits"));
        assertEquals(0, s.counter("rto_expiries"));
        s.peerAck = b + 5000;
        assertEquals(List.of(), s.send(s.seg().timestamps(104, again.get(0).tsVal())));
        s.finishAndCheckLeaks();
    }

    /** Writes 5000 bytes and sends them (five segments of 1000, IW10 allows all); returns the first one's SEQ. */
    @Test
    @DisplayName("RFC 6675 §3 / RFC 8985 §6.2: SACK blocks in any order and at any edge mark exactly the records the "
        + "scoreboard covers, though only the ACK's new blocks are walked")
    void sackMarksFollowTheScoreboard() {
        final Harness s = sackPeer(0);
        final Random rnd = new Random(42);
        s.write(bytes(200_000, 3));
        int sndMax = s.iss + 1;
        for (final CapturedSegment c : s.poll()) {
            sndMax = Math.max(sndMax, c.seq() + c.segLen());
        }
        int una = s.iss + 1;
        for (int round = 0; round < 400 && una != s.iss + 1 + 200_000; round++) {
            final SegmentBuilder ack = s.seg();
            if (rnd.nextInt(4) == 0) { // the cumulative ACK moves, to a segment edge or inside a segment
                una = Math.min(sndMax, una + 1 + rnd.nextInt(3000));
                s.peerAck = una;
                ack.ack(una);
            }
            final int blocks = sndMax - una > 2 ? rnd.nextInt(5) : 0;
            for (int b = 0; b < blocks; b++) { // up to four, anywhere in the flight, in no order
                final int l = una + 1 + rnd.nextInt(sndMax - una - 1);
                final int r = Math.min(sndMax, l + 1 + rnd.nextInt(rnd.nextBoolean() ? 1500 : 8000));
                ack.sack(l, r);
            }
            for (final CapturedSegment c : s.send(ack)) {
                sndMax = Math.max(sndMax, c.seq() + c.segLen());
            }
            final int r = round;
            assertNull(s.engine.invariantViolation(), () -> "after ACK " + r);
        }
        assertTrue(s.counter("sack_retransmits") > 0, "the holes were recovered through the scoreboard");
    }

    @Test
    @DisplayName("RFC 6675 §3: a record straddling a SACK block's left edge is marked once the cumulative ACK trims it "
        + "to the block")
    void trimmedRecordInsideABlockIsMarked() {
        final Harness s = sackPeer(0);
        final int b = fiveSegmentsOut(s);
        s.send(s.seg().sack(b + 1500, b + 3000)); // [b+1000, b+2000) straddles the block: not SACKed yet
        assertNull(s.engine.invariantViolation());
        s.peerAck = b + 1500; // inside that record: it becomes [b+1500, b+2000), wholly inside the block
        s.send(s.seg().sack(b + 1500, b + 3000));
        assertNull(s.engine.invariantViolation());
    }

    private static int fiveSegmentsOut(final Harness s) {
        s.write(bytes(5000, 1));
        assertEquals(5, s.poll().size());
        return s.iss + 1;
    }


    @Test
    @DisplayName("RFC 8985 §7.2-7.3: a silent tail gets one loss probe (the last segment) at the PTO, then the RTO")
    void tailLossProbe() {
        final Harness s = sackPeer(0);
        final int b = fiveSegmentsOut(s);
        // PTO = 2·SRTT + 2 ms (Linux's floor, TCP_TIMEOUT_MIN); the handshake's RTT sample here is 0.
        assertEquals(List.of(), s.advance(MS + MS / 2));
        final CapturedSegment probe = one(s.advance(MS / 2));
        expect(probe, ACK | PSH, b + 4000, s.peerSeq); // the last segment again, with its PSH
        assertEquals(1000, probe.payload().length);
        assertEquals(1, s.counter("tlp_probes"));
        // One probe per episode: the next event is the RTO, 200 ms after the probe, from SND.UNA.
        assertEquals(List.of(), s.advance(199 * MS));
        expect(one(s.advance(MS)), ACK, b, s.peerSeq);
        assertEquals(1, s.counter("rto_expiries"));
        s.ackAllAndCheckLeaks(b + 5000);
    }

    @Test
    @DisplayName("Deviation from RFC 8985 §7.2: in recovery, a lost last retransmission (nothing sent after it can be "
        + "SACKed) gets one probe at the PTO, not the 200 ms RTO")
    void lostLastRetransmissionProbedInRecovery() {
        final Harness s = sackPeer(0);
        final int b = fiveSegmentsOut(s);
        s.advance(MS);
        // [b, b+1000) lost, the rest SACKed: RACK marks it lost and fast recovery retransmits it.
        final List<CapturedSegment> rtx = s.send(s.seg().sack(b + 1000, b + 5000));
        expect(one(rtx), ACK, b, s.peerSeq);
        assertEquals(1, s.counter("fast_retransmits"));
        // That retransmission is lost too, and nothing was sent after it: no SACK can ever show RACK the loss. The
        // probe resends the highest segment the receiver lacks (the SACKed tail would only draw a D-SACK).
        final List<CapturedSegment> later = new java.util.ArrayList<>();
        long waitedNs = 0;
        while (later.isEmpty() && waitedNs < 200 * MS) {
            later.addAll(s.advance(MS / 2));
            waitedNs += MS / 2;
        }
        expect(one(later), ACK, b, s.peerSeq);
        assertTrue(waitedNs <= 3 * MS, "probed at 2*SRTT + 2 ms, not the RTO: " + waitedNs);
        assertEquals(1, s.counter("tlp_probes"));
        assertEquals(0, s.counter("rto_expiries"));
        // One probe per episode: if it is lost as well, the RTO (200 ms after the probe) takes over.
        assertEquals(List.of(), s.advance(199 * MS));
        expect(one(s.advance(MS)), ACK, b, s.peerSeq);
        assertEquals(1, s.counter("rto_expiries"));
        s.ackAllAndCheckLeaks(b + 5000);
    }

    @Test
    @DisplayName("RFC 8985 §7.4: the probe SACKed while SND.UNA is below it means the data below was lost: recover")
    void sackedProbeStartsRecovery() {
        final Harness s = sackPeer(0);
        final int b = fiveSegmentsOut(s);
        s.advance(2 * MS); // the probe: [b+4000, b+5000)
        // One SACK of 1000 bytes is below DupThresh (RFC 6675 IsLost), but it covers the probe: by RACK's time
        // order (RFC 8985 §6.2) everything sent before the probe, two SRTTs earlier, is lost.
        final List<CapturedSegment> rtx = s.send(s.seg().sack(b + 4000, b + 5000));
        assertFalse(rtx.isEmpty(), "recovery starts on the first ACK");
        expect(rtx.get(0), ACK, b, s.peerSeq);
        assertEquals(4000, s.counter("rack_lost_bytes"));
        assertEquals(1, s.counter("fast_retransmits"));
        s.ackAllAndCheckLeaks(b + 5000);
    }

    @Test
    @DisplayName("RFC 8985 §6.2 (and RFC 5827 §3.2): two segments out, the second SACKed: retransmit the first now")
    void earlyRetransmit() {
        final Harness s = sackPeer(0);
        s.write(bytes(2000, 1));
        assertEquals(2, s.poll().size());
        final int b = s.iss + 1;
        final CapturedSegment rtx = one(s.send(s.seg().sack(b + 1000, b + 2000)));
        expect(rtx, ACK, b, s.peerSeq);
        assertEquals(1000, rtx.payload().length);
        assertEquals(1000, s.counter("rack_lost_bytes"), "RFC 8985 §6.2 subsumes early retransmit");
        assertEquals(1, s.counter("fast_retransmits"));
        s.peerAck = b + 2000;
        assertEquals(List.of(), s.send(s.seg()));
        s.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 6675 §5.1: after an RTO the go-back-N skips what the receiver SACKed")
    void rtoKeepsScoreboard() {
        final Harness s = sackPeer(0);
        final int b = fiveSegmentsOut(s);
        s.advance(2 * MS); // loss probe (last segment)
        // The receiver holds [b+2000, b+3000) only: one block, no recovery (a probe-SACK would be [b+4000, ...)).
        assertEquals(List.of(), s.send(s.seg().sack(b + 2000, b + 3000)));
        final List<CapturedSegment> rto = s.advance(200 * MS);
        assertEquals(1, s.counter("rto_expiries"));
        expect(one(rto), ACK, b, s.peerSeq); // cwnd is one segment after the timeout
        s.peerAck = b + 1000;
        final List<CapturedSegment> next = s.send(s.seg().sack(b + 2000, b + 3000));
        assertEquals(2, next.size(), () -> "slow start sends two: " + next);
        expect(next.get(0), ACK, b + 1000, s.peerSeq);
        expect(next.get(1), ACK, b + 3000, s.peerSeq); // [b+2000, b+3000) is not sent again
        s.ackAllAndCheckLeaks(b + 5000);
    }

    @Test
    @DisplayName("RFC 2018 §4: out-of-order data is SACKed, most recent block first")
    void sackBlocksSent() {
        final Harness s = sackPeer(0);
        final int base = s.peerSeq;
        s.send(s.seg().seq(base + 1000).payload(bytes(100, 1)));
        final CapturedSegment dup = one(s.send(s.seg().seq(base + 3000).payload(bytes(100, 2))));
        expect(dup, ACK, s.iss + 1, base);
        assertArrayEquals(new int[] {base + 3000, base + 3100, base + 1000, base + 1100}, dup.sackBlocks());
        s.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 6298 §2.2-2.3 with RFC 7323 §4: RTT from TSecr sets SRTT, RTTVAR and the RTO")
    void rttFromTimestamps() {
        final Harness t = new Harness(Harness.base().timestamps(true).rtoMinNs(10 * MS).build());
        t.engine.listen(SERVER_PORT, t.app);
        final CapturedSegment synAck = one(t.send(t.seg().flags(SYN).ack(0).mss(1000).timestamps(100, 0)));
        t.iss = synAck.seq();
        t.peerSeq = PEER_ISS + 1;
        t.peerAck = t.iss + 1;
        t.advance(40 * MS);
        t.send(t.seg().timestamps(101, synAck.tsVal()));
        t.handle = t.app.handle;
        // First sample R = 40 ms: SRTT = 40, RTTVAR = 20, RTO = 40 + 4*20 = 120 ms.
        assertEquals(120 * MS, t.engine.rtoNs(t.handle));
        t.write(bytes(100, 1));
        final CapturedSegment data = one(t.poll());
        t.advance(50 * MS);
        t.peerAck = t.iss + 101;
        t.send(t.seg().timestamps(102, data.tsVal()));
        // R = 50: RTTVAR = (3*20 + |40-50|)/4 = 17.5, SRTT = (7*40 + 50)/8 = 41.25, RTO = 41.25 + 70 = 111.25 ms
        assertEquals(111_250_000L, t.engine.rtoNs(t.handle));
        t.finishAndCheckLeaks();
    }
}
