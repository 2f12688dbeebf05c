package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

class SynReceivedTest {
    final Harness h = new Harness();
    int iss;

    @BeforeEach
    void synReceived() {
        h.engine.listen(SERVER_PORT, h.app);
        iss = one(h.send(h.seg().flags(SYN).ack(0).mss(1000))).seq();
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = iss + 1;
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.4 fifth: SND.UNA < SEG.ACK =< SND.NXT in SYN-RECEIVED -> ESTABLISHED, onOpen")
    void ackEstablishes() {
        assertEquals(List.of(), h.send(h.seg()));
        assertEquals(List.of("open"), h.app.events);
        h.handle = h.app.handle;
        assertEquals(TcpState.ESTABLISHED, h.engine.state(h.handle));
        assertEquals(1, h.counter("passive_opens"));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.4 first: a retransmitted SYN is not acceptable; the SYN,ACK is sent again")
    void duplicateSynResendsSynAck() {
        h.peerSeq = PEER_ISS;
        expect(one(h.send(h.seg().flags(SYN).ack(0))), SYN | ACK, iss, PEER_ISS + 1);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.4 fifth: an unacceptable ACK in SYN-RECEIVED gets <SEQ=SEG.ACK><CTL=RST>")
    void badAckGetsRst() {
        expect(one(h.send(h.seg().ack(iss + 100))), RST, iss + 100, 0);
        assertEquals(1, h.engine.connectionCount());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.4 second: an exact RST in SYN-RECEIVED (passive) returns to LISTEN")
    void rstReturnsToListen() {
        assertEquals(List.of(), h.send(h.seg().flags(RST)));
        assertEquals(0, h.engine.connectionCount());
        assertEquals(List.of(), h.app.events, "the app never saw this connection");
        assertEquals(1, h.counter("resets_in"));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 6298 §5.4: the SYN,ACK is retransmitted when the RTO expires")
    void synAckRetransmitted() {
        assertEquals(List.of(), h.advance(999 * MS));
        expect(one(h.advance(MS)), SYN | ACK, iss, PEER_ISS + 1);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 4987 §3.1: a SYN-RECEIVED TCB expires after synReceivedTimeout")
    void synReceivedExpires() {
        final long t0 = h.now();
        int guard = 100;
        while (h.engine.connectionCount() > 0 && guard-- > 0) {
            h.nextEvent(Long.MAX_VALUE);
        }
        assertEquals(t0 + 10_000 * MS, h.now());
        assertEquals(1, h.counter("timeouts"));
        h.finishAndCheckLeaks();
    }
}
