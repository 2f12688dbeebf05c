package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import io.strait.tcp.sim.SegmentBuilder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Packetization-layer path MTU discovery (RFC 4821) for black holes: scripted segments at virtual times. The
 * connection negotiates MSS 1460 with no options (so a segment's payload is its MSS); the scripted peer plays a
 * path that silently drops what it is told to drop and acknowledges the rest.
 */
class MtuProbingTest {
    static final int MSS = 1460;
    static final int BASE = 1024;

    /** ESTABLISHED by passive open at MSS 1460 (256 KB send buffer), SACK as asked. */
    static Harness open(final TcpConfig.Builder config, final boolean sack) {
        final Harness h = new Harness(config.mss(MSS).sendBufferBytes(256 * 1024).sack(sack).build());
        h.engine.listen(SERVER_PORT, h.app);
        final SegmentBuilder syn = h.seg().flags(SYN).ack(0).mss(MSS);
        if (sack) {
            syn.sackPermitted();
        }
        final CapturedSegment synAck = one(h.send(syn));
        h.iss = synAck.seq();
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = h.iss + 1;
        assertEquals(List.of(), h.send(h.seg()));
        h.handle = h.app.handle;
        return h;
    }

    /**
     * 40 full segments written; the first flight and everything after it vanish until the engine sends segments
     * of at most {@code BASE} bytes. @return those segments (the first resent in the smaller size)
     */
    static List<CapturedSegment> untilBlackHole(final Harness h) {
        h.write(bytes(40 * MSS, 1));
        final List<CapturedSegment> first = h.poll();
        assertEquals(10, first.size(), "IW10");
        first.forEach(s -> assertEquals(MSS, s.payload().length));
        for (int event = 0; event < 10; event++) {
            final List<CapturedSegment> sent = h.nextEvent(Long.MAX_VALUE);
            if (!sent.isEmpty() && sent.stream().allMatch(s -> s.payload().length <= BASE)) {
                return sent;
            }
        }
        throw new AssertionError("no black hole found; rto_expiries " + h.counter("rto_expiries"));
    }

    /** The highest sequence number the engine has sent so far (what the peer would acknowledge). */
    static int highest(final List<CapturedSegment> segs, final int prior) {
        int max = prior;
        for (final CapturedSegment s : segs) {
            if (Seq.gt(s.seq() + s.segLen(), max)) {
                max = s.seq() + s.segLen();
            }
        }
        return max;
    }

    /**
     * The peer acknowledges everything sent, one ACK per round, the application keeps the send queue full, until a
     * segment larger than the MSS goes out. @return the round's segments from the probe on
     */
    static List<CapturedSegment> untilProbe(final Harness h, final int rounds) {
        List<CapturedSegment> sent = List.of();
        int top = h.peerAck;
        for (int round = 0; round < rounds; round++) {
            h.write(bytes(Math.max(0, 200_000 - h.engine.sendQueueBytes(h.handle)), round));
            h.peerAck = highest(sent, top);
            top = h.peerAck;
            sent = h.send(h.seg());
            final int mss = h.engine.sendMss(h.handle);
            for (int i = 0; i < sent.size(); i++) {
                if (sent.get(i).payload().length > mss) {
                    return new ArrayList<>(sent.subList(i, sent.size()));
                }
            }
        }
        throw new AssertionError("no probe in " + rounds + " rounds, cwnd " + h.engine.congestionWindow(h.handle));
    }

    @Test
    @DisplayName("RFC 4821 §7.7, as Linux tcp_mtu_probing=1: the third timeout in a row of full-size segments lowers the MSS to the base (1024) and resends the head in 1024 + 436")
    void blackHoleLowersTheMssToTheBase() {
        final Harness h = open(Harness.base(), false);
        final int b = h.iss + 1;
        final List<CapturedSegment> rtx = untilBlackHole(h);
        assertEquals(3, h.counter("rto_expiries"), "found at the third timeout");
        assertEquals(1, h.counter("pmtu_blackholes"));
        assertEquals(BASE, h.engine.sendMss(h.handle));
        assertEquals(2, rtx.size(), () -> "got " + rtx);
        expect(rtx.get(0), ACK, b, h.peerSeq);
        assertEquals(BASE, rtx.get(0).payload().length);
        expect(rtx.get(1), ACK, b + BASE, h.peerSeq);
        assertEquals(MSS - BASE, rtx.get(1).payload().length);
        // The path carries 1024: the rest of the flight and new data follow in the new size.
        h.peerAck = b + MSS;
        final List<CapturedSegment> more = h.send(h.seg());
        assertFalse(more.isEmpty());
        more.forEach(s -> assertTrue(s.payload().length <= BASE, () -> "too big: " + s));
        assertNull(h.engine.invariantViolation());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 4821 §7.7: with probing off (Linux tcp_mtu_probing=0), and for a segment no larger than the base, timeouts leave the MSS alone")
    void noBlackHoleWhenOffOrSmall() {
        final Harness off = open(Harness.base().mtuProbing(false), false);
        off.write(bytes(20 * MSS, 1));
        off.poll();
        while (off.counter("rto_expiries") < 4) {
            off.nextEvent(Long.MAX_VALUE).forEach(s -> assertEquals(MSS, s.payload().length));
        }
        assertEquals(MSS, off.engine.sendMss(off.handle));
        assertEquals(0, off.counter("pmtu_blackholes"));
        off.finishAndCheckLeaks();

        final Harness small = open(Harness.base(), false);
        small.write(bytes(500, 1));
        small.poll();
        while (small.counter("rto_expiries") < 4) {
            small.nextEvent(Long.MAX_VALUE).forEach(s -> assertEquals(500, s.payload().length));
        }
        assertEquals(MSS, small.engine.sendMss(small.handle), "a 500-byte segment that times out is no size refused");
        assertEquals(0, small.counter("pmtu_blackholes"));
        small.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 4821 §7.7, as Linux: a timeout after the fall to the base halves search_low (512), never below the floor")
    void furtherTimeoutsHalveDownToTheFloor() {
        final Harness h = open(Harness.base().maxRetransmits(10), false);
        untilBlackHole(h);
        final List<CapturedSegment> rtx = h.nextEvent(Long.MAX_VALUE);
        assertEquals(MtuProbing.FLOOR_MSS, h.engine.sendMss(h.handle));
        assertEquals(MtuProbing.FLOOR_MSS, rtx.get(0).payload().length);
        h.nextEvent(Long.MAX_VALUE);
        assertEquals(MtuProbing.FLOOR_MSS, h.engine.sendMss(h.handle), "the floor (RFC 5927 §7, 552 - 40)");
        assertEquals(2, h.counter("pmtu_blackholes"));
        assertNull(h.engine.invariantViolation());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 4821 §7.3 + §7.6.1: a probe halfway between 1024 and 1460 (1242) goes out once cwnd holds 11 segments; acknowledged, it becomes the MSS")
    void acknowledgedProbeRaisesTheMss() {
        final Harness h = open(Harness.base(), false);
        h.peerAck = highest(untilBlackHole(h), h.iss + 1);
        final List<CapturedSegment> fromProbe = untilProbe(h, 200);
        final CapturedSegment probe = fromProbe.get(0);
        assertEquals(1242, probe.payload().length);
        assertTrue(h.engine.congestionWindow(h.handle) >= MtuProbing.MIN_CWND_SEGMENTS * BASE);
        assertEquals(1, h.counter("pmtu_probes"));
        assertEquals(BASE, h.engine.sendMss(h.handle), "not before it is acknowledged");
        h.peerAck = highest(fromProbe, probe.seq() + probe.segLen());
        final List<CapturedSegment> after = h.send(h.seg());
        assertEquals(1242, h.engine.sendMss(h.handle));
        assertEquals(1, h.counter("pmtu_probe_successes"));
        assertTrue(after.stream().anyMatch(s -> s.payload().length == 1242), () -> "new size: " + after);
        after.forEach(s -> assertTrue(s.payload().length <= 1242));
        assertNull(h.engine.invariantViolation());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 4821 §7.6.2, as Linux tcp_mtup_probe_failed: a probe lost alone (three duplicate ACKs) is resent in the current size without fast recovery or a cwnd cut; search_high drops below it, the next probe is 1133")
    void lostProbeIsNoCongestion() {
        final Harness h = open(Harness.base(), false);
        h.peerAck = highest(untilBlackHole(h), h.iss + 1);
        final List<CapturedSegment> fromProbe = untilProbe(h, 200);
        final CapturedSegment probe = fromProbe.get(0);
        assertEquals(h.peerAck, probe.seq(), "RFC 4821 §7.5: the probe goes ahead of the data behind it");
        // The path drops the probe; what follows arrives: the peer sends duplicate ACKs.
        final List<CapturedSegment> followers = fromProbe.subList(1, fromProbe.size());
        assertTrue(followers.size() >= MtuProbing.FOLLOWERS, () -> "segments behind the probe: " + followers);
        final int cwnd = h.engine.congestionWindow(h.handle);
        final long fastBefore = h.counter("fast_retransmits");
        assertEquals(List.of(), h.send(h.seg()));
        assertEquals(List.of(), h.send(h.seg()));
        final List<CapturedSegment> rtx = h.send(h.seg());
        assertTrue(rtx.size() >= 2, () -> "got " + rtx);
        expect(rtx.get(0), ACK, probe.seq(), h.peerSeq);
        assertEquals(BASE, rtx.get(0).payload().length);
        expect(rtx.get(1), ACK, probe.seq() + BASE, h.peerSeq);
        assertEquals(1242 - BASE, rtx.get(1).payload().length);
        assertEquals(1, h.counter("pmtu_probe_failures"));
        assertEquals(fastBefore, h.counter("fast_retransmits"), "no fast recovery");
        assertEquals(cwnd, h.engine.congestionWindow(h.handle), "no congestion window reduction");
        assertEquals(BASE, h.engine.sendMss(h.handle));
        // Everything arrives now; the next probe searches below the failed size: (1024 + 1241 + 1) / 2.
        h.peerAck = highest(rtx, highest(followers, probe.seq()));
        final List<CapturedSegment> next = untilProbe(h, 200);
        assertEquals(1133, next.get(0).payload().length);
        assertEquals(2, h.counter("pmtu_probes"));
        assertNull(h.engine.invariantViolation());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 4821 §7.6.3: a probe still unacknowledged when the retransmission timer expires failed: search_high drops below it (next probe 1133), the MSS stays")
    void probeOutAtTheTimeoutFailed() {
        final Harness h = open(Harness.base(), false);
        h.peerAck = highest(untilBlackHole(h), h.iss + 1);
        final List<CapturedSegment> fromProbe = untilProbe(h, 200);
        final CapturedSegment probe = fromProbe.get(0);
        final long rtos = h.counter("rto_expiries");
        List<CapturedSegment> resent = List.of();
        while (h.counter("rto_expiries") == rtos) {
            resent = h.nextEvent(Long.MAX_VALUE); // the peer hears nothing: a loss probe, then the timeout
        }
        assertEquals(1, h.counter("pmtu_probe_failures"));
        expect(resent.get(0), ACK, probe.seq(), h.peerSeq);
        assertEquals(BASE, resent.get(0).payload().length);
        assertEquals(BASE, h.engine.sendMss(h.handle));
        h.peerAck = highest(fromProbe, probe.seq());
        final List<CapturedSegment> next = untilProbe(h, 400);
        assertEquals(1133, next.get(0).payload().length, "(1024 + 1241 + 1) / 2");
        assertNull(h.engine.invariantViolation());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 4821 §7.6.4: a probe lost together with another segment is inconclusive: fast recovery as for any congestion, the search range unchanged")
    void probeLostWithOthersIsCongestion() {
        final Harness h = open(Harness.base(), true);
        h.peerAck = highest(untilBlackHole(h), h.iss + 1);
        final List<CapturedSegment> fromProbe = untilProbe(h, 200);
        final CapturedSegment probe = fromProbe.get(0);
        assertEquals(h.peerAck, probe.seq());
        final List<CapturedSegment> followers = fromProbe.subList(1, fromProbe.size());
        assertTrue(followers.size() >= 4, () -> "segments behind the probe: " + followers);
        // The probe and the first segment behind it are lost; the peer SACKs three after them.
        final CapturedSegment second = followers.get(0);
        final int sackL = followers.get(1).seq();
        final int sackR = followers.get(3).seq() + followers.get(3).segLen();
        final long fastBefore = h.counter("fast_retransmits");
        final List<CapturedSegment> rtx = h.send(h.seg().sack(sackL, sackR));
        assertEquals(fastBefore + 1, h.counter("fast_retransmits"), "congestion: fast recovery");
        assertEquals(probe.payload().length + second.payload().length, h.counter("rack_lost_bytes"),
            "RACK (RFC 8985 §6.2) marked both lost");
        assertFalse(rtx.isEmpty());
        expect(rtx.get(0), ACK, probe.seq(), h.peerSeq);
        rtx.forEach(s -> assertTrue(s.payload().length <= BASE, () -> "resent in the current size: " + s));
        assertEquals(0, h.counter("pmtu_probe_failures"), "inconclusive, not a failure");
        assertEquals(0, h.counter("pmtu_probe_successes"));
        assertEquals(BASE, h.engine.sendMss(h.handle));
        assertTrue(Seq.gt(second.seq(), probe.seq()));
        assertNull(h.engine.invariantViolation());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 1191 §6.3 with RFC 4821: a 'fragmentation needed' (MTU 1280) for the probe ends it, resends it in 1024 pieces and caps the search at 1240 (next probe 1132)")
    void icmpForTheProbeCapsTheSearch() {
        final Harness h = open(Harness.base(), false);
        h.peerAck = highest(untilBlackHole(h), h.iss + 1);
        final List<CapturedSegment> fromProbe = untilProbe(h, 200);
        final CapturedSegment probe = fromProbe.get(0);
        h.engine.onIcmpError(IcmpErrors.TYPE_DEST_UNREACHABLE, IcmpErrors.CODE_FRAGMENTATION_NEEDED, 1280, LOCAL_IP,
            REMOTE_IP, h.localPort, h.remotePort, probe.seq(), h.now());
        final List<CapturedSegment> rtx = h.poll();
        assertTrue(rtx.size() >= 2, () -> "got " + rtx);
        expect(rtx.get(0), ACK, probe.seq(), h.peerSeq);
        assertEquals(BASE, rtx.get(0).payload().length);
        assertEquals(0, h.counter("pmtu_reductions"), "the MSS in use (1024) fits 1280 already");
        assertEquals(BASE, h.engine.sendMss(h.handle));
        h.peerAck = highest(rtx, highest(fromProbe, probe.seq()));
        final List<CapturedSegment> next = untilProbe(h, 200);
        assertEquals(1132, next.get(0).payload().length, "(1024 + 1240 + 1) / 2");
        assertNull(h.engine.invariantViolation());
        h.finishAndCheckLeaks();
    }
}
