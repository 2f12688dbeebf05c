package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Clauses of the RFCs the engine cites beside RFC 9293 (7323, 6298, 5681, 6582, 2018) that no older test covers;
 * named {@code rfcNNNN_sX_Y_...} after the section. The index is {@code tcp/RFC-CLAUSES.md}.
 */
class CompanionRfcClauseTest {

    /** A passive open with timestamps: the peer's SYN carries TSval 100, its handshake ACK TSval 101. */
    private static Harness timestampPeer() {
        final Harness h = new Harness(Harness.base().timestamps(true).build());
        h.engine.listen(SERVER_PORT, h.app);
        final CapturedSegment synAck = one(h.send(h.seg().flags(SYN).ack(0).mss(1000).timestamps(100, 0)));
        assertEquals(100, synAck.tsEcr());
        h.iss = synAck.seq();
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = h.iss + 1;
        assertEquals(List.of(), h.send(h.seg().timestamps(101, synAck.tsVal())));
        h.handle = h.app.handle;
        return h;
    }

    @Test
    @DisplayName("RFC 6298 §5.7 with RFC 5681 §3.1: after a retransmitted SYN the RTO starts at 3 s and the initial window is one segment")
    void rfc6298_s5_7_rtoThreeSecondsAfterSynRetransmission() {
        final Harness h = new Harness(Harness.base().tailLossProbe(false).build());
        h.handle = h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now());
        final CapturedSegment syn = one(h.poll());
        expect(one(h.advance(1000 * MS)), SYN, syn.seq(), 0);
        h.localPort = syn.srcPort();
        h.iss = syn.seq();
        h.peerSeq = PEER_ISS;
        h.peerAck = h.iss + 1;
        expect(one(h.send(h.seg().flags(SYN | ACK).mss(1000))), ACK, h.iss + 1, PEER_ISS + 1);
        h.peerSeq = PEER_ISS + 1;
        assertEquals(3000 * MS, h.engine.rtoNs(h.handle), "no RTT sample (Karn): RTO re-initialized to 3 s");
        h.write(bytes(3000, 1));
        final CapturedSegment first = one(h.poll());
        assertEquals(1000, first.payload().length, "RFC 5681 §3.1: IW is one segment after a lost SYN");
        assertEquals(List.of(), h.advance(2999 * MS));
        expect(one(h.advance(MS)), ACK, h.iss + 1, h.peerSeq);
        h.ackAllAndCheckLeaks(h.iss + 1001);
    }

    @Test
    @DisplayName("RFC 7323 §2.2: the window field of a SYN (here the SYN-ACK) is never scaled")
    void rfc7323_s2_2_synWindowNotScaled() {
        final Harness h = new Harness(Harness.base().windowScale(true).windowScaleShift(7).build());
        h.handle = h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now());
        final CapturedSegment syn = one(h.poll());
        assertEquals(7, syn.wscale());
        h.localPort = syn.srcPort();
        h.iss = syn.seq();
        h.peerSeq = PEER_ISS;
        h.peerAck = h.iss + 1;
        expect(one(h.send(h.seg().flags(SYN | ACK).mss(1000).wscale(7).window(1000))), ACK, h.iss + 1,
            PEER_ISS + 1);
        h.peerSeq = PEER_ISS + 1;
        h.write(bytes(3000, 1));
        final CapturedSegment only = one(h.poll());
        assertEquals(1000, only.payload().length, "1000 bytes of window, not 1000 << 7");
        h.ackAllAndCheckLeaks(h.iss + 1001);
    }

    @Test
    @DisplayName("RFC 7323 §2.3: a window scale shift above 14 is used as 14")
    void rfc7323_s2_3_shiftAbove14UsedAs14() {
        final Harness h = new Harness(Harness.base().windowScale(true).windowScaleShift(7).initialWindowSegments(40)
            .build());
        h.engine.listen(SERVER_PORT, h.app);
        final CapturedSegment synAck = one(h.send(h.seg().flags(SYN).ack(0).mss(1000).wscale(15)));
        h.iss = synAck.seq();
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = h.iss + 1;
        assertEquals(List.of(), h.send(h.seg().window(1)));
        h.handle = h.app.handle;
        h.write(bytes(40_000, 1));
        final List<CapturedSegment> sent = h.poll();
        assertEquals(16, sent.size(), "a window of 1 << 14 = 16384 bytes (1 << 15 would let 32 segments go)");
        assertTrue(sent.stream().allMatch(s -> s.payload().length == 1000));
        h.ackAllAndCheckLeaks(h.iss + 1 + 16_000);
    }

    @Test
    @DisplayName("RFC 7323 §3.2: no timestamps on any segment unless the peer's SYN carried one")
    void rfc7323_s3_2_noTimestampsUnlessOffered() {
        final Harness h = new Harness(Harness.base().timestamps(true).build());
        h.engine.listen(SERVER_PORT, h.app);
        final CapturedSegment synAck = one(h.send(h.seg().flags(SYN).ack(0).mss(1000)));
        assertFalse(synAck.timestamps());
        h.iss = synAck.seq();
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = h.iss + 1;
        h.send(h.seg());
        h.handle = h.app.handle;
        h.write(bytes(100, 1));
        final CapturedSegment data = one(h.poll());
        assertFalse(data.timestamps());
        assertEquals(100, data.payload().length, "and the whole MSS is data");
        h.ackAllAndCheckLeaks(h.iss + 101);
    }

    @Test
    @DisplayName("RFC 7323 §4.3: TS.Recent is taken only from a segment at or below Last.ACK.sent, not from out-of-order data")
    void rfc7323_s4_3_tsRecentOnlyFromInOrderSegments() {
        final Harness h = timestampPeer();
        final CapturedSegment dup = one(h.send(h.seg().seq(h.peerSeq + 1000).timestamps(200, 0).payload(bytes(500, 1))));
        expect(dup, ACK, h.iss + 1, h.peerSeq);
        assertEquals(101, dup.tsEcr(), "the out-of-order segment's TSval 200 is not echoed");
        final CapturedSegment fill = one(h.send(h.seg().timestamps(150, 0).payload(bytes(1000, 2))));
        expect(fill, ACK, h.iss + 1, h.peerSeq + 1500);
        assertEquals(150, fill.tsEcr(), "the in-order segment's TSval is");
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 7323 §5.3 R1: a segment whose TSval is older than TS.Recent is dropped and acknowledged")
    void rfc7323_s5_3_pawsDropsAndAcks() {
        final Harness h = timestampPeer();
        final CapturedSegment ack = one(h.send(h.seg().timestamps(50, 0).payload(bytes(10, 1))));
        expect(ack, ACK, h.iss + 1, h.peerSeq);
        assertEquals(101, ack.tsEcr());
        assertEquals(0, h.app.received.size());
        assertEquals(1, h.counter("drop_paws"));
        assertEquals(List.of(), h.send(h.seg().timestamps(101, 0).payload(bytes(10, 1))), "an equal TSval passes");
        assertEquals(10, h.app.received.size());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 7323 §5.5: after more than 24 days idle TS.Recent is no longer valid and an old TSval passes")
    void rfc7323_s5_5_pawsOffAfter24DaysIdle() {
        final Harness h = timestampPeer();
        h.advance(25L * 24 * 3600 * 1000 * MS);
        assertEquals(List.of(), h.send(h.seg().timestamps(50, 0).payload(bytes(10, 1))));
        assertEquals(10, h.app.received.size());
        assertEquals(0, h.counter("drop_paws"));
        final CapturedSegment ack = one(h.advance(40 * MS));
        expect(ack, ACK, h.iss + 1, h.peerSeq + 10);
        assertEquals(50, ack.tsEcr());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 6582 §3.2 step 5: without SACK, a partial ACK in fast recovery resends the next unacknowledged segment at once")
    void rfc6582_s3_2_partialAckRetransmitsNextHole() {
        final Harness h = new Harness(Harness.base().tailLossProbe(false).build());
        h.passiveOpen();
        h.write(bytes(5000, 1));
        assertEquals(5, h.poll().size());
        assertEquals(List.of(), h.send(h.seg()));
        assertEquals(List.of(), h.send(h.seg()));
        final CapturedSegment fast = one(h.send(h.seg()));
        expect(fast, ACK, h.iss + 1, h.peerSeq);
        assertEquals(1000, fast.payload().length);
        h.peerAck = h.iss + 1 + 2000;
        final CapturedSegment next = one(h.send(h.seg()));
        expect(next, ACK, h.iss + 1 + 2000, h.peerSeq);
        assertEquals(1000, next.payload().length);
        h.ackAllAndCheckLeaks(h.iss + 5001);
    }

    @Test
    @DisplayName("RFC 2018 §2 / §4: no SACK option is sent unless the peer's SYN carried SACK-permitted")
    void rfc2018_s4_noSackUnlessPermitted() {
        final Harness h = new Harness(Harness.base().sack(true).build());
        h.engine.listen(SERVER_PORT, h.app);
        final CapturedSegment synAck = one(h.send(h.seg().flags(SYN).ack(0).mss(1000)));
        assertFalse(synAck.sackPermitted());
        h.iss = synAck.seq();
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = h.iss + 1;
        h.send(h.seg());
        h.handle = h.app.handle;
        final CapturedSegment dup = one(h.send(h.seg().seq(h.peerSeq + 1000).payload(bytes(100, 1))));
        expect(dup, ACK, h.iss + 1, h.peerSeq);
        assertEquals(0, dup.sackBlocks().length);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 5681 §4.1: after an idle period longer than the RTO, sending restarts from the initial window")
    void rfc5681_s4_1_restartAfterIdle() {
        final Harness h = new Harness(Harness.base().tailLossProbe(false).sendBufferBytes(128 * 1024).build());
        h.passiveOpen();
        int una = h.iss + 1;
        for (int round = 0; round < 3; round++) {
            h.write(bytes(20_000, round));
            List<CapturedSegment> sent = h.poll();
            assertFalse(sent.isEmpty());
            while (!sent.isEmpty()) {
                una += sent.stream().mapToInt(s -> s.payload().length).sum();
                h.peerAck = una;
                sent = h.send(h.seg()); // each ACK releases the next flight
            }
        }
        assertTrue(h.engine.congestionWindow(h.handle) > 10_000, "cwnd grew beyond the initial window");
        assertEquals(0, h.engine.sendQueueBytes(h.handle));
        h.advance(1000 * MS);
        h.write(bytes(30_000, 9));
        assertEquals(10, h.poll().size(), "IW = 10 segments after idling longer than the RTO");
        h.ackAllAndCheckLeaks(una + 10_000);
    }
}
