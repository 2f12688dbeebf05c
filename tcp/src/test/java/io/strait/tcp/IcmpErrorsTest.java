package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.IcmpErrors.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * ICMP errors for a connection (RFC 9293 §3.9.2.2, RFC 1122 §4.2.3.9), RFC 5927's checks against forged ones, and
 * path MTU discovery (RFC 1191). The ICMP message is given to the engine as the dataplane parses it: type, code,
 * MTU and the quoted four-tuple and sequence number.
 */
class IcmpErrorsTest {
    final Harness h = new Harness();

    /** An ICMP error quoting the harness's connection (our segment: local -> remote) at {@code seq}. */
    static void icmp(final Harness h, final int type, final int code, final int mtu, final int seq) {
        h.engine.onIcmpError(type, code, mtu, LOCAL_IP, REMOTE_IP, h.localPort, h.remotePort, seq, h.now());
    }

    static void fragNeeded(final Harness h, final int mtu, final int seq) {
        icmp(h, TYPE_DEST_UNREACHABLE, CODE_FRAGMENTATION_NEEDED, mtu, seq);
    }

    /** Five segments of 1000 bytes in flight (MSS 1000, IW10); returns the first sequence number. */
    static int fiveSegmentsOut(final Harness h) {
        h.write(bytes(5000, 1));
        final List<CapturedSegment> sent = h.poll();
        assertEquals(5, sent.size());
        return h.iss + 1;
    }

    @Test
    @DisplayName("RFC 1191 §6.4: fragmentation needed (MTU 700) lowers the MSS to 660 and resends the flight in 660-byte pieces, cwnd kept (as Linux tcp_simple_retransmit)")
    void fragNeededResendsInTheNewSize() {
        h.passiveOpen();
        final int b = fiveSegmentsOut(h);
        final int cwnd = h.engine.congestionWindow(h.handle);
        fragNeeded(h, 700, b + 2000);
        assertEquals(660, h.engine.sendMss(h.handle));
        final List<CapturedSegment> rtx = h.poll();
        assertEquals(10, rtx.size(), () -> "got " + rtx);
        for (int k = 0; k < 5; k++) {
            expect(rtx.get(2 * k), ACK, b + 1000 * k, h.peerSeq);
            assertEquals(660, rtx.get(2 * k).payload().length);
            expect(rtx.get(2 * k + 1), k == 4 ? ACK | PSH : ACK, b + 1000 * k + 660, h.peerSeq);
            assertEquals(340, rtx.get(2 * k + 1).payload().length);
        }
        assertEquals(cwnd, h.engine.congestionWindow(h.handle), "no congestion window reduction");
        assertEquals(1, h.counter("pmtu_reductions"));
        // The peer acknowledges the pieces as they arrive: no fast recovery, no reduction, new data in 660 bytes.
        h.peerAck = b + 1660;
        assertEquals(List.of(), h.send(h.seg()));
        h.write(bytes(1000, 2));
        h.peerAck = b + 5000;
        final List<CapturedSegment> more = h.send(h.seg());
        assertEquals(2, more.size(), () -> "got " + more);
        assertEquals(660, more.get(0).payload().length);
        assertEquals(340, more.get(1).payload().length);
        assertEquals(0, h.counter("fast_retransmits"));
        assertTrue(h.engine.congestionWindow(h.handle) >= cwnd);
        assertNull(h.engine.invariantViolation());
        h.ackAllAndCheckLeaks(b + 6000);
    }

    @Test
    @DisplayName("RFC 1191 + RFC 6691: with timestamps, MTU 1280 makes every datagram at most 1280 bytes (1228 of data)")
    void fragNeededWithTimestampsFitsTheMtu() {
        final Harness t = new Harness(Harness.base().timestamps(true).mss(1460).build());
        t.engine.listen(SERVER_PORT, t.app);
        final CapturedSegment synAck = one(t.send(t.seg().flags(SYN).ack(0).mss(1460).timestamps(100, 0)));
        t.iss = synAck.seq();
        t.peerSeq = PEER_ISS + 1;
        t.peerAck = t.iss + 1;
        t.send(t.seg().timestamps(101, synAck.tsVal()));
        t.handle = t.app.handle;
        t.write(bytes(3 * 1448, 1));
        assertEquals(3, t.poll().size());
        fragNeeded(t, 1280, t.iss + 1);
        final List<CapturedSegment> rtx = t.poll();
        assertEquals(6, rtx.size(), () -> "got " + rtx);
        for (final CapturedSegment s : rtx) {
            assertTrue(20 + 20 + 12 + s.payload().length <= 1280, () -> "too big: " + s);
        }
        assertEquals(1228, rtx.get(0).payload().length);
        assertEquals(1448 - 1228, rtx.get(1).payload().length);
        t.ackAllAndCheckLeaks(t.iss + 1 + 3 * 1448);
    }

    @Test
    @DisplayName("RFC 5927 §4.1: an ICMP quoting a sequence number outside SND.UNA..SND.NXT is dropped and counted")
    void outOfWindowSequenceDropped() {
        h.passiveOpen();
        final int b = fiveSegmentsOut(h);
        fragNeeded(h, 600, b - 1);
        fragNeeded(h, 600, b + 5000);
        fragNeeded(h, 600, b + 0x4000_0000);
        fragNeeded(h, 600, b - 0x4000_0000);
        icmp(h, TYPE_DEST_UNREACHABLE, CODE_PORT_UNREACHABLE, 0, b + 5000);
        assertEquals(5, h.counter("icmp_drop_out_of_window"));
        assertEquals(1000, h.engine.sendMss(h.handle));
        assertEquals(0, h.engine.softError(h.handle));
        assertEquals(List.of(), h.poll());
        h.ackAllAndCheckLeaks(b + 5000);
    }

    @Test
    @DisplayName("RFC 5927 §4.1: with nothing in flight no ICMP is acted on")
    void nothingInFlightNothingAccepted() {
        h.passiveOpen();
        fragNeeded(h, 600, h.iss + 1);
        assertEquals(1, h.counter("icmp_drop_out_of_window"));
        assertEquals(1000, h.engine.sendMss(h.handle));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("An ICMP quoting a four-tuple with no connection (another port, another peer, not ours) is dropped and counted")
    void unknownFourTupleDropped() {
        h.passiveOpen();
        final int b = fiveSegmentsOut(h);
        h.engine.onIcmpError(3, 4, 600, LOCAL_IP, REMOTE_IP, h.localPort, h.remotePort + 1, b, h.now());
        h.engine.onIcmpError(3, 4, 600, LOCAL_IP, REMOTE_IP + 1, h.localPort, h.remotePort, b, h.now());
        h.engine.onIcmpError(3, 4, 600, REMOTE_IP, LOCAL_IP, h.remotePort, h.localPort, b, h.now());
        h.engine.onIcmpError(3, 4, 600, LOCAL_IP, REMOTE_IP, h.localPort | 0x10000, h.remotePort, b, h.now());
        assertEquals(4, h.counter("icmp_errors_in"));
        assertEquals(4, h.counter("icmp_drop_no_connection"), "a port above 16 bits names no connection");
        assertEquals(1000, h.engine.sendMss(h.handle));
        assertEquals(List.of(), h.poll());
        h.ackAllAndCheckLeaks(b + 5000);
    }

    @Test
    @DisplayName("RFC 1191 §4 / RFC 5927 §7 (hostile MTU): 0 and values above 16 bits are ignored; 68 and 1 are raised to 552 (as Linux min_pmtu); 65535 and the current MTU never raise the MSS")
    void hostileMtuValues() {
        h.passiveOpen();
        final int b = fiveSegmentsOut(h);
        fragNeeded(h, 0, b);
        fragNeeded(h, -1, b);
        fragNeeded(h, 65536, b);
        fragNeeded(h, Integer.MIN_VALUE, b);
        fragNeeded(h, 65535, b);
        fragNeeded(h, 1040, b); // the MTU the connection already uses
        assertEquals(6, h.counter("pmtu_ignored"));
        assertEquals(1000, h.engine.sendMss(h.handle));
        assertEquals(List.of(), h.poll(), "nothing resent");
        fragNeeded(h, 68, b);
        assertEquals(MIN_PMTU - IP_TCP_HEADERS, h.engine.sendMss(h.handle));
        assertEquals(10, h.poll().size(), "each 1000-byte segment again as 512 + 488");
        fragNeeded(h, 1, b);
        assertEquals(7, h.counter("pmtu_ignored"), "already at the floor: not lower");
        assertEquals(List.of(), h.poll());
        assertEquals(1, h.counter("pmtu_reductions"));
        assertNull(h.engine.invariantViolation());
        h.ackAllAndCheckLeaks(b + 5000);
    }

    @Test
    @DisplayName("RFC 1191 §6.3: an ICMP never raises the MSS; a repeated one resends nothing (no amplification)")
    void repeatedFragNeededResendsOnce() {
        h.passiveOpen();
        final int b = fiveSegmentsOut(h);
        fragNeeded(h, 900, b);
        assertEquals(10, h.poll().size());
        fragNeeded(h, 900, b + 1000);
        fragNeeded(h, 1500, b + 1000);
        assertEquals(List.of(), h.poll());
        assertEquals(860, h.engine.sendMss(h.handle));
        assertEquals(1, h.counter("pmtu_reductions"));
        assertEquals(2, h.counter("pmtu_ignored"));
        h.ackAllAndCheckLeaks(b + 5000);
    }

    @Test
    @DisplayName("RFC 1191 with SACK: a SACKed segment is not resent; every resent piece fits the new MSS")
    void fragNeededKeepsSackedSegments() {
        final Harness s = sackPeer(10 * MS);
        final int b = fiveSegmentsOut(s);
        // The peer got the third segment only (the others were too big for the path); RACK starts recovery.
        final List<CapturedSegment> sent = new java.util.ArrayList<>(s.send(s.seg().ack(b).sack(b + 2000, b + 3000)));
        fragNeeded(s, 800, b);
        assertEquals(760, s.engine.sendMss(s.handle));
        sent.addAll(s.poll());
        s.peerAck = b + 2000;
        sent.addAll(s.send(s.seg().sack(b + 2000, b + 3000)));
        final java.util.BitSet resent = new java.util.BitSet();
        for (final CapturedSegment seg : sent) {
            assertTrue(seg.payload().length <= 760, () -> "too big: " + seg);
            final int off = seg.seq() - b;
            assertFalse(off < 3000 && off + seg.payload().length > 2000, () -> "SACKed data resent: " + seg);
            resent.set(off, off + seg.payload().length);
        }
        assertEquals(4000, resent.cardinality(), () -> "resent pieces " + sent);
        s.ackAllAndCheckLeaks(b + 5000);
    }

    @Test
    @DisplayName("RFC 1122 §4.2.3.9 (SHLD-26): port unreachable quoting our SYN aborts the connect as refused")
    void portUnreachableRefusesConnect() {
        final long handle = h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now());
        final CapturedSegment syn = one(h.poll());
        h.localPort = syn.srcPort();
        icmp(h, TYPE_DEST_UNREACHABLE, CODE_PORT_UNREACHABLE, 0, syn.seq() + 1); // not the SYN's number
        assertEquals(TcpState.SYN_SENT, h.engine.state(handle));
        assertEquals(1, h.counter("icmp_drop_out_of_window"));
        icmp(h, TYPE_DEST_UNREACHABLE, CODE_PROTOCOL_UNREACHABLE, 0, syn.seq());
        assertEquals(TcpState.CLOSED, h.engine.state(handle));
        assertEquals(List.of("close:refused"), h.app.events);
        assertEquals(1, h.counter("icmp_connect_aborts"));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 1122 §4.2.3.9 (MUST-56) / RFC 5461: host unreachable and time exceeded in SYN-SENT are soft: recorded, the SYN retried")
    void softErrorsDoNotAbortConnect() {
        final long handle = h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now());
        final CapturedSegment syn = one(h.poll());
        h.localPort = syn.srcPort();
        icmp(h, TYPE_DEST_UNREACHABLE, 1, 0, syn.seq());
        assertEquals(0x0301, h.engine.softError(handle));
        icmp(h, TYPE_TIME_EXCEEDED, 0, 0, syn.seq());
        assertEquals(0x0B00, h.engine.softError(handle));
        fragNeeded(h, 600, syn.seq());
        assertEquals(1, h.counter("pmtu_ignored"), "no fragmentation needed for a SYN");
        assertEquals(TcpState.SYN_SENT, h.engine.state(handle));
        assertEquals(2, h.counter("icmp_soft_errors"));
        expect(one(h.nextEvent(Long.MAX_VALUE)), SYN, syn.seq(), 0);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 1122 §4.2.3.9 / RFC 5927 §5.2 (MUST-56): port unreachable in ESTABLISHED is soft; the connection carries on")
    void hardErrorIsSoftWhenSynchronized() {
        h.passiveOpen();
        final int b = fiveSegmentsOut(h);
        icmp(h, TYPE_DEST_UNREACHABLE, CODE_PORT_UNREACHABLE, 0, b + 4999);
        icmp(h, TYPE_DEST_UNREACHABLE, CODE_PROTOCOL_UNREACHABLE, 0, b);
        assertEquals(TcpState.ESTABLISHED, h.engine.state(h.handle));
        assertEquals(0x0302, h.engine.softError(h.handle));
        assertEquals(2, h.counter("icmp_soft_errors"));
        assertEquals(List.of(), h.poll());
        assertEquals(List.of("open"), h.app.events);
        h.ackAllAndCheckLeaks(b + 5000);
    }
}
