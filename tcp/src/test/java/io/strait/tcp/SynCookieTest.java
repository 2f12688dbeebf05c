package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

class SynCookieTest {
    final Harness h = new Harness(Harness.base().listenBacklog(1).cookieSecretRotationNs(1000 * MS).build());

    /** Fills the backlog with one SYN_RECEIVED, then sends a SYN from port 40001: answered with a cookie. */
    int cookieSynAck(final Harness x, final SynOptions o) {
        x.engine.listen(SERVER_PORT, x.app);
        one(x.send(x.seg().flags(SYN).ack(0).mss(1000)));
        x.remotePort = PEER_PORT + 1;
        final CapturedSegment s = one(x.send(o.apply(x.seg().flags(SYN).ack(0).mss(1460))));
        expect(s, SYN | ACK, s.seq(), PEER_ISS + 1);
        assertEquals(1, x.counter("syn_cookies_sent"));
        assertEquals(1, x.engine.connectionCount(), "RFC 4987 §3.6: a cookie keeps no state");
        x.peerSeq = PEER_ISS + 1;
        x.peerAck = s.seq() + 1;
        return s.seq();
    }

    interface SynOptions {
        io.strait.tcp.sim.SegmentBuilder apply(io.strait.tcp.sim.SegmentBuilder b);
    }

    @Test
    @DisplayName("RFC 4987 §3.6: backlog full -> SYN cookie; the returning ACK validates it and opens the connection")
    void cookieAccepted() {
        cookieSynAck(h, b -> b);
        assertEquals(List.of(), h.send(h.seg()));
        assertEquals(1, h.counter("syn_cookies_accepted"));
        assertEquals(2, h.engine.connectionCount());
        assertEquals(List.of("open"), h.app.events);
        h.handle = h.app.handle;
        h.send(h.seg().payload(bytes(100, 1)));
        assertEquals(100, h.app.received.size());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 4987 §3.6: an ACK with a forged cookie is rejected with <SEQ=SEG.ACK><CTL=RST>")
    void forgedCookieRejected() {
        final int cookie = cookieSynAck(h, b -> b);
        expect(one(h.send(h.seg().ack(cookie + 2))), RST, cookie + 2, 0);
        assertEquals(1, h.counter("syn_cookies_rejected"));
        assertEquals(1, h.engine.connectionCount());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 4987 §3.6: the secret rotates; the previous generation is accepted, older ones are not")
    void secretRotation() {
        cookieSynAck(h, b -> b);
        h.advance(1500 * MS);
        assertEquals(List.of(), h.send(h.seg()), "one rotation: previous secret still valid");
        assertEquals(1, h.counter("syn_cookies_accepted"));
        h.handle = h.app.handle;
        h.finishAndCheckLeaks();

        final Harness late = new Harness(Harness.base().listenBacklog(1).cookieSecretRotationNs(1000 * MS).build());
        final int cookie = cookieSynAck(late, b -> b);
        late.advance(2500 * MS);
        expect(one(late.send(late.seg())), RST, cookie + 1, 0);
        assertEquals(1, late.counter("syn_cookies_rejected"));
        late.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("Linux-style cookie: window scale and SACK ride in the low TSval bits (RFC 7323 options survive)")
    void optionsInTimestamp() {
        final Harness t = new Harness(Harness.base().listenBacklog(1).timestamps(true).sack(true).windowScale(true)
            .build());
        cookieSynAck(t, b -> b.wscale(5).sackPermitted().timestamps(1000, 0));
        t.send(t.seg().flags(SYN).ack(0).mss(1460)); // ignore: keeps nothing
        final CapturedSegment synAck = one(t.send(t.seg().flags(SYN).ack(0).seq(PEER_ISS).mss(1460).wscale(5)
            .sackPermitted().timestamps(1001, 0)));
        assertEquals(0x15, synAck.tsVal() & 0x3F, "wscale 5 | SACK bit");
        assertTrue(synAck.sackPermitted());
        assertEquals(7, synAck.wscale());
        assertEquals(List.of(), t.send(t.seg().window(100).timestamps(1002, synAck.tsVal())));
        t.handle = t.app.handle;
        assertTrue(t.handle >= 0);
        t.write(bytes(5000, 1));
        int sent = 0;
        for (final CapturedSegment s : t.poll()) {
            assertTrue(s.timestamps());
            sent += s.payload().length;
        }
        assertEquals(3 * 988, sent, "window 100 << 5 = 3200 bytes, full 988-byte segments only (SWS)");
        t.finishAndCheckLeaks();
    }
}
