package io.strait.tcp;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

class KeepaliveTest {
    final Harness h = new Harness(Harness.base().keepalive(true).keepaliveIdleNs(10_000 * MS)
        .keepaliveIntervalNs(1000 * MS).keepaliveCount(3).build());

    @Test
    @DisplayName("RFC 1122 §4.2.3.6: probes <SEQ=SND.NXT-1> after the idle time, every interval, then RST and TIMEOUT")
    void probesThenTimeout() {
        h.passiveOpen();
        assertEquals(List.of(), h.advance(9999 * MS));
        expect(one(h.advance(MS)), ACK, h.iss, h.peerSeq);
        expect(one(h.advance(1000 * MS)), ACK, h.iss, h.peerSeq);
        expect(one(h.advance(1000 * MS)), ACK, h.iss, h.peerSeq);
        expect(one(h.advance(1000 * MS)), RST | ACK, h.iss + 1, h.peerSeq); // as Linux, a reset on giving up
        assertEquals(List.of("open", "close:timeout"), h.app.events);
        assertEquals(1, h.counter("keepalive_timeouts"));
        assertEquals(1, h.counter("rsts_out"));
        assertEquals(3, h.counter("keepalive_probes"));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 1122 §4.2.3.6: an answer to a probe resets the idle timer")
    void answerResets() {
        h.passiveOpen();
        one(h.advance(10_000 * MS));
        h.send(h.seg());
        assertEquals(List.of(), h.advance(9999 * MS));
        expect(one(h.advance(MS)), ACK, h.iss, h.peerSeq);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 1122 §4.2.3.6: keepalive is off by default")
    void offByDefault() {
        final Harness d = new Harness();
        d.passiveOpen();
        assertEquals(List.of(), d.advance(3_600_000 * MS));
        d.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 1122 §4.2.3.6: keepalive switched on for one connection only (per-connection option)")
    void perConnectionOption() {
        final Harness d = new Harness(Harness.base().keepaliveIdleNs(10_000 * MS).keepaliveIntervalNs(1000 * MS)
            .keepaliveCount(3).build());
        d.passiveOpen();
        d.engine.setKeepalive(d.handle, true, d.now());
        assertEquals(List.of(), d.advance(9999 * MS));
        expect(one(d.advance(MS)), ACK, d.iss, d.peerSeq);
        d.engine.setKeepalive(d.handle, false, d.now());
        assertEquals(List.of(), d.advance(60_000 * MS));
        d.finishAndCheckLeaks();
    }
}
