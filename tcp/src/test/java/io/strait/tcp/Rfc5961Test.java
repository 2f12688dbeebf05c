package io.strait.tcp;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

class Rfc5961Test {
    final Harness h = new Harness();

    @Test
    @DisplayName("RFC 5961 §3.2: a RST in the window but not at RCV.NXT gets a challenge ACK; the connection stays")
    void inWindowRstChallenged() {
        h.passiveOpen();
        expect(one(h.send(h.seg().flags(RST).seq(h.peerSeq + 100))), ACK, h.iss + 1, h.peerSeq);
        assertEquals(1, h.counter("challenge_acks"));
        assertEquals(TcpState.ESTABLISHED, h.engine.state(h.handle));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 5961 §3.2: a RST exactly at RCV.NXT resets the connection")
    void exactRstResets() {
        h.passiveOpen();
        assertEquals(List.of(), h.send(h.seg().flags(RST)));
        assertEquals(List.of("open", "close:reset"), h.app.events);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 5961 §3.2: a RST outside the window is dropped silently")
    void outOfWindowRstDropped() {
        h.passiveOpen();
        assertEquals(List.of(), h.send(h.seg().flags(RST).seq(h.peerSeq + 100_000)));
        assertEquals(1, h.counter("drop_not_acceptable_seq"));
        assertEquals(TcpState.ESTABLISHED, h.engine.state(h.handle));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 5961 §4.2: a SYN in a synchronized state gets a challenge ACK")
    void synChallenged() {
        h.passiveOpen();
        expect(one(h.send(h.seg().flags(SYN).ack(0))), ACK, h.iss + 1, h.peerSeq);
        assertEquals(TcpState.ESTABLISHED, h.engine.state(h.handle));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 5961 §5.2: ACK older than SND.UNA - MAX.SND.WND -> challenge ACK; ACK beyond SND.NXT -> ACK, drop")
    void ackAcceptability() {
        h.passiveOpen();
        expect(one(h.send(h.seg().ack(h.iss + 1 - 70_000).payload(bytes(10, 1)))), ACK, h.iss + 1, h.peerSeq);
        assertEquals(0, h.app.received.size(), "the data of a segment with an unacceptable ACK is dropped");
        expect(one(h.send(h.seg().ack(h.iss + 1000))), ACK, h.iss + 1, h.peerSeq);
        assertEquals(2, h.counter("drop_bad_ack"));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 5961 §10: challenge ACKs are rate limited per second")
    void rateLimited() {
        final Harness r = new Harness(Harness.base().challengeAckLimitPerSecond(2).build());
        r.passiveOpen();
        assertEquals(1, r.send(r.seg().flags(RST).seq(r.peerSeq + 1)).size());
        assertEquals(1, r.send(r.seg().flags(RST).seq(r.peerSeq + 2)).size());
        assertEquals(List.of(), r.send(r.seg().flags(RST).seq(r.peerSeq + 3)));
        assertEquals(1, r.counter("challenge_acks_rate_limited"));
        r.advance(1000 * MS);
        assertEquals(1, r.send(r.seg().flags(RST).seq(r.peerSeq + 4)).size());
        r.finishAndCheckLeaks();
    }
}
