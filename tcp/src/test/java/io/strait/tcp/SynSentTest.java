package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

class SynSentTest {
    final Harness h = new Harness();

    @Test
    @DisplayName("RFC 9293 §3.10.1 OPEN: the SYN goes out on the next poll with MSS, WS, SACK-permitted, TS")
    void synCarriesOptions() {
        final Harness o = new Harness(Harness.base().windowScale(true).windowScaleShift(7).sack(true)
            .timestamps(true).build());
        final long handle = o.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, o.app, o.now());
        assertEquals(TcpState.SYN_SENT, o.engine.state(handle));
        final CapturedSegment syn = one(o.poll());
        expect(syn, SYN, syn.seq(), 0);
        assertEquals(1000, syn.mss());
        assertEquals(7, syn.wscale());
        assertTrue(syn.sackPermitted());
        assertTrue(syn.timestamps());
        assertEquals(0, syn.tsEcr());
        assertTrue(syn.srcPort() >= 49152, "RFC 6056: ephemeral range");
        o.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.3 fourth: SYN,ACK in SYN-SENT -> ESTABLISHED, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>")
    void synAckEstablishes() {
        h.activeOpen();
        assertEquals(List.of("open"), h.app.events);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.3 second / RFC 5961 §3.2: RST with an acceptable ACK refuses the connection")
    void rstRefuses() {
        final long handle = h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now());
        final CapturedSegment syn = one(h.poll());
        h.localPort = syn.srcPort();
        assertEquals(List.of(), h.send(h.seg().flags(RST | ACK).seq(0).ack(syn.seq() + 1)));
        assertEquals(List.of("close:refused"), h.app.events);
        assertEquals(TcpState.CLOSED, h.engine.state(handle));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.3 first: an unacceptable ACK in SYN-SENT gets <SEQ=SEG.ACK><CTL=RST>")
    void badAckGetsRst() {
        h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now());
        final CapturedSegment syn = one(h.poll());
        h.localPort = syn.srcPort();
        expect(one(h.send(h.seg().flags(SYN | ACK).ack(syn.seq() + 100))), RST, syn.seq() + 100, 0);
        assertEquals(List.of(), h.send(h.seg().flags(RST).ack(0)), "a RST without ACK is dropped");
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.5 Figure 8: simultaneous open through SYN-RECEIVED")
    void simultaneousOpen() {
        final long handle = h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now());
        final CapturedSegment syn = one(h.poll());
        h.localPort = syn.srcPort();
        final CapturedSegment synAck = one(h.send(h.seg().flags(SYN).ack(0).mss(1000)));
        expect(synAck, SYN | ACK, syn.seq(), PEER_ISS + 1);
        assertEquals(TcpState.SYN_RECEIVED, h.engine.state(handle));
        h.peerSeq = PEER_ISS;
        h.peerAck = syn.seq() + 1;
        assertEquals(List.of(), h.send(h.seg().flags(SYN | ACK)));
        assertEquals(TcpState.ESTABLISHED, h.engine.state(handle));
        assertEquals(List.of("open"), h.app.events);
        h.handle = handle;
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 6298 §5.5 / RFC 9293 §3.8.3: SYN retransmitted at 1 s, 2 s, 4 s, then TIMEOUT")
    void synRetransmitsThenTimesOut() {
        h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now());
        final CapturedSegment syn = one(h.poll());
        final long t0 = h.now();
        long expect = 1000 * MS;
        for (int i = 0; i < 3; i++) {
            assertEquals(List.of(), h.advance(expect - MS));
            final CapturedSegment again = one(h.advance(MS));
            expect(again, SYN, syn.seq(), 0);
            expect *= 2;
        }
        assertEquals(t0 + 7000 * MS, h.now());
        assertEquals(List.of(), h.advance(expect));
        assertEquals(List.of("close:timeout"), h.app.events);
        h.finishAndCheckLeaks();
    }
}
