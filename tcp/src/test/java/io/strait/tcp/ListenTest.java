package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

class ListenTest {
    final Harness h = new Harness();

    @Test
    @DisplayName("RFC 9293 §3.10.7.2 third: SYN in LISTEN -> <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, MSS option (§3.7.1)")
    void synGetsSynAck() {
        h.engine.listen(SERVER_PORT, h.app);
        final CapturedSegment s = one(h.send(h.seg().flags(SYN).ack(0).mss(1460)));
        expect(s, SYN | ACK, s.seq(), PEER_ISS + 1);
        assertEquals(1000, s.mss());
        assertEquals(65535, s.window());
        assertEquals(-1, s.wscale());
        assertFalse(s.sackPermitted());
        assertFalse(s.timestamps());
        assertEquals(1, h.engine.counters().connections(TcpState.SYN_RECEIVED));
        assertEquals(List.of(), h.app.events, "no onOpen before the handshake completes");
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.2 second: an ACK in LISTEN gets <SEQ=SEG.ACK><CTL=RST>")
    void ackGetsRst() {
        h.engine.listen(SERVER_PORT, h.app);
        expect(one(h.send(h.seg().ack(12345))), RST, 12345, 0);
        assertEquals(0, h.engine.connectionCount());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.2 first: a RST in LISTEN is ignored")
    void rstIgnored() {
        h.engine.listen(SERVER_PORT, h.app);
        assertEquals(List.of(), h.send(h.seg().flags(RST)));
        assertEquals(1, h.counter("drop_invalid_state"));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.1: no listener, no ACK -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>")
    void closedPortSynGetsRstAck() {
        expect(one(h.send(h.seg().flags(SYN).ack(0))), RST | ACK, 0, PEER_ISS + 1);
        assertEquals(1, h.counter("drop_no_listener_rst"));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.1: no listener, ACK set -> <SEQ=SEG.ACK><CTL=RST>; a RST gets nothing")
    void closedPortAckGetsRst() {
        expect(one(h.send(h.seg().ack(777).payload(new byte[10]))), RST, 777, 0);
        assertEquals(List.of(), h.send(h.seg().flags(RST)));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.1: bad checksum and bad data offset are dropped and counted")
    void malformedDropped() {
        h.engine.listen(SERVER_PORT, h.app);
        h.seg().flags(SYN).ack(0).build(REMOTE_IP, LOCAL_IP);
        h.builder.buffer().putByte(4, (byte) (h.builder.buffer().getByte(4) ^ 0x40));
        h.engine.onSegment(h.builder.buffer(), 0, h.builder.length(), REMOTE_IP, LOCAL_IP, false, h.now(), h.out);
        assertEquals(1, h.counter("drop_bad_checksum"));
        assertEquals(List.of(), h.send(h.seg().flags(SYN).ack(0).dataOffsetWords(15)));
        assertEquals(List.of(), h.send(h.seg().flags(SYN).ack(0).dataOffsetWords(4)));
        assertEquals(2, h.counter("drop_bad_offset"));
        h.engine.onSegment(h.builder.buffer(), 0, 12, REMOTE_IP, LOCAL_IP, true, h.now(), h.out);
        assertEquals(1, h.counter("drop_too_short"));
        assertEquals(0, h.engine.connectionCount());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.2: SYN with options offers back window scale, SACK-permitted and timestamps (RFC 7323, 2018)")
    void synOptionsNegotiated() {
        final Harness o = new Harness(Harness.base().windowScale(true).windowScaleShift(7).sack(true)
            .timestamps(true).receiveBufferBytes(1 << 20).build());
        o.engine.listen(SERVER_PORT, o.app);
        final CapturedSegment s = one(o.send(o.seg().flags(SYN).ack(0).mss(1460).wscale(3).sackPermitted()
            .timestamps(555, 0)));
        expect(s, SYN | ACK, s.seq(), PEER_ISS + 1);
        assertEquals(7, s.wscale());
        assertTrue(s.sackPermitted());
        assertTrue(s.timestamps());
        assertEquals(555, s.tsEcr());
        assertEquals(65535, s.window(), "RFC 7323 §2.2: the window in a SYN is never scaled");
        o.finishAndCheckLeaks();
    }
}
