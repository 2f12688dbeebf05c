package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/** Buffer autotuning: rings move into a large chunk when the bandwidth-delay product needs it, bytes intact. */
class AutotuningTest {
    final Harness h = new Harness(Harness.base().sendBufferBytes(16 * 1024).receiveBufferBytes(16 * 1024)
        .largeBuffers(64 * 1024, 1).build());

    @Test
    @DisplayName("Send side (as Linux tcp_sndbuf_expand): a write larger than the ring grows it once 2 x cwnd exceeds it")
    void sendRingGrows() {
        h.passiveOpen();
        final byte[] data = bytes(40_000, 3);
        assertEquals(40_000, h.write(data), "the ring grew from 16 KB to 64 KB: everything fits");
        assertEquals(1, h.counter("buffers_grown"));
        assertEquals(1, h.counter("tcbs_in_use"), "gauge: one TCB out of the pool");
        assertEquals(1, h.counter("large_buffers_in_use"), "gauge: the budget's one large chunk is borrowed");
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        for (int round = 0; round < 20 && got.size() < data.length; round++) {
            final List<CapturedSegment> segs = round == 0 ? h.poll() : h.send(h.seg());
            for (final CapturedSegment s : segs) {
                if (s.payload().length > 0 && s.seq() - (h.iss + 1) == got.size()) {
                    got.writeBytes(s.payload());
                }
            }
            h.peerAck = h.iss + 1 + got.size();
        }
        assertArrayEquals(data, got.toByteArray(), "bytes after the move are the bytes written");
        h.send(h.seg());
        assertEquals(0, h.engine.sendQueueBytes(h.handle));
        // The budget is one large ring: a second connection could not grow (counted), and closing returns it.
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("Receive side (as Linux receive autotuning): more than half the ring in flight grows it, out-of-order data kept")
    void receiveRingGrows() {
        h.passiveOpen();
        h.app.consumeLimit = 0; // the application does not read yet
        final byte[] data = bytes(12_000, 5);
        // Out of order first: [4000, 12000) then the hole [0, 4000).
        for (int off = 4000; off < 12_000; off += 1000) {
            h.send(h.seg().seq(h.peerSeq + off).payload(Arrays.copyOfRange(data, off, off + 1000)));
        }
        assertEquals(1, h.counter("buffers_grown"), "12 KB of a 16 KB ring in flight: grown");
        List<CapturedSegment> last = List.of();
        for (int off = 0; off < 4000; off += 1000) {
            last = h.send(h.seg().seq(h.peerSeq + off).payload(Arrays.copyOfRange(data, off, off + 1000)));
        }
        h.peerSeq += 12_000;
        // RFC 5681 §4.2: the segment that fills the hole is acknowledged at once, for everything.
        final CapturedSegment ack = one(last);
        expect(ack, ACK, h.iss + 1, h.peerSeq);
        assertTrue(ack.window() > 16 * 1024 - 12_000, "the window reflects the grown ring: " + ack.window());
        h.app.consumeLimit = Integer.MAX_VALUE;
        h.engine.resumeRead(h.handle);
        assertArrayEquals(data, h.app.received.toByteArray());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("Receive side (as Linux tcp_rcv_space_adjust): more than half the window within one RTT grows the ring though the app reads at once")
    void receiveRingGrowsWhenThePeerFillsTheWindowInOneRtt() {
        final Harness w = scaledPeer();
        final byte[] data = bytes(16_000, 9);
        // The app consumes every byte at once (zero-copy), so nothing is ever held: only the rate tells.
        for (int off = 0; off < 16_000; off += 1000) {
            w.send(w.seg().seq(w.peerSeq + off).payload(Arrays.copyOfRange(data, off, off + 1000)));
            w.advance(MS / 10); // 16 KB in 1.6 ms, within the 10 ms RTT
            assertEquals(off + 1000 > 8 * 1024 ? 1 : 0, w.counter("buffers_grown"),
                "grown once more than half of the 16 KB window arrived within the RTT, at " + (off + 1000));
        }
        w.peerSeq += 16_000;
        assertArrayEquals(data, w.app.received.toByteArray(), "every byte delivered in order, across the move");
        w.send(w.seg().payload(bytes(1000, 1)));
        w.peerSeq += 1000;
        final CapturedSegment ack = one(w.advance(50 * MS)); // the delayed ACK
        expect(ack, ACK, w.iss + 1, w.peerSeq);
        assertTrue((ack.window() << 7) > 16 * 1024, "the window opens past the small ring: " + (ack.window() << 7));
        w.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("Receive side: a peer that sends less than half the window per RTT (cwnd- or app-limited) keeps the small ring")
    void receiveRingStaysWhenThePeerIsNotWindowLimited() {
        final Harness w = scaledPeer();
        for (int round = 0; round < 50; round++) {
            for (int k = 0; k < 4; k++) {
                w.send(w.seg().payload(bytes(1000, round)));
                w.peerSeq += 1000;
            }
            w.advance(11 * MS); // 4 KB per 10 ms RTT in a 16 KB window
        }
        assertEquals(0, w.counter("buffers_grown"), "never more than 8 KB per RTT: not grown");
        assertEquals(200_000, w.app.received.size());
        w.finishAndCheckLeaks();
    }

    /**
     * A passive open with window scaling both ways (shift 7), 16 KB rings, one 64 KB large chunk to grow into, the
     * handshake's ACK 10 ms after the SYN-ACK (the RTT sample).
     */
    private static Harness scaledPeer() {
        final Harness w = new Harness(Harness.base().windowScale(true).windowScaleShift(7)
            .sendBufferBytes(16 * 1024).receiveBufferBytes(16 * 1024).largeBuffers(64 * 1024, 1).build());
        w.engine.listen(SERVER_PORT, w.app);
        final CapturedSegment synAck = one(w.send(w.seg().flags(SYN).ack(0).mss(1000).wscale(7)));
        assertEquals(7, synAck.wscale());
        w.iss = synAck.seq();
        w.peerSeq = PEER_ISS + 1;
        w.peerAck = w.iss + 1;
        w.advance(10 * MS);
        w.send(w.seg());
        w.handle = w.app.handle;
        assertEquals(TcpState.ESTABLISHED, w.engine.state(w.handle));
        return w;
    }
}
