package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Per-connection caps under the engine's rings (SO_SNDBUF / SO_RCVBUF of the Netty transport): the send buffer takes
 * no more than its cap, the advertised window offers no more than its cap, and a cap stops autotuning.
 */
class BufferLimitTest {
    final Harness h = new Harness(Harness.base().sendBufferBytes(16 * 1024).receiveBufferBytes(16 * 1024)
        .largeBuffers(64 * 1024, 1).build());

    @Test
    @DisplayName("Send cap: write accepts up to the cap, onWritable once the peer's ACK frees room under it")
    void sendCap() {
        h.passiveOpen();
        h.engine.setSendBufferLimit(h.handle, 4000);
        assertEquals(4000, h.engine.sendBufferBytes(h.handle));
        assertEquals(4000, h.write(bytes(10_000, 1)), "the ring holds 16 KB but the cap is 4000");
        assertEquals(0, h.write(bytes(10, 2)), "full under the cap");
        assertEquals(0, h.counter("buffers_grown"), "a cap under the ring stops send autotuning");
        final List<CapturedSegment> sent = h.poll();
        assertEquals(4000, sent.stream().mapToInt(s -> s.payload().length).sum());
        h.app.events.clear();
        h.peerAck = h.iss + 1 + 2000;
        h.send(h.seg());
        assertTrue(h.app.events.contains("writable"), "room under the cap: " + h.app.events);
        assertEquals(2000, h.write(bytes(3000, 3)), "2000 queued, the cap 4000: 2000 more");
        h.engine.setSendBufferLimit(h.handle, 0);
        assertEquals(16 * 1024, h.engine.sendBufferBytes(h.handle), "0 lifts the cap: the ring again");
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("Send cap: values under two MSS are raised to it; a cap below the queue takes nothing, drops nothing")
    void sendCapLoweredBelowQueue() {
        h.passiveOpen();
        assertEquals(8000, h.write(bytes(8000, 4)));
        h.engine.setSendBufferLimit(h.handle, 1);
        assertEquals(2 * 1000, h.engine.sendBufferBytes(h.handle), "at least 2 x MSS (1000)");
        assertEquals(0, h.write(bytes(100, 5)), "8000 queued over a 2000 cap: nothing more, never negative");
        assertEquals(8000, h.engine.sendQueueBytes(h.handle), "nothing queued was dropped");
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("Receive cap: the SYN-ACK and every window offer at most the cap (RFC 9293 §3.8.6.2.2 still applies)")
    void receiveCapOnActiveOpen() {
        final long handle = h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now());
        h.engine.setReceiveBufferLimit(handle, 3000); // before the SYN leaves: its window obeys the cap
        final CapturedSegment syn = one(h.poll());
        assertEquals(3000, syn.window(), "the SYN's window is the cap, not the 16 KB ring");
        h.handle = handle;
        h.localPort = syn.srcPort();
        h.iss = syn.seq();
        h.peerSeq = PEER_ISS;
        h.peerAck = h.iss + 1;
        one(h.send(h.seg().flags(SYN | ACK).mss(1000)));
        h.peerSeq = PEER_ISS + 1;
        h.app.consumeLimit = 0; // the app does not read: what arrives stays and fills the window
        final byte[] data = bytes(3000, 6);
        List<CapturedSegment> last = List.of();
        for (int off = 0; off < 3000; off += 1000) {
            last = h.send(h.seg().payload(Arrays.copyOfRange(data, off, off + 1000)));
            h.peerSeq += 1000;
        }
        final CapturedSegment ack = one(last.isEmpty() ? h.advance(50 * MS) : last);
        expect(ack, ACK, h.iss + 1, h.peerSeq);
        assertEquals(0, ack.window(), "3000 unread under a 3000 cap: the window is shut, not 16 KB - 3000");
        assertEquals(0, h.counter("buffers_grown"), "a cap under the ring stops receive autotuning");
        h.app.consumeLimit = Integer.MAX_VALUE;
        h.engine.resumeRead(h.handle);
        final CapturedSegment update = one(h.poll());
        assertEquals(3000, update.window(), "read: the window opens to the cap again");
        assertArrayEquals(data, h.app.received.toByteArray());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("A cap above the ring lets autotuning grow it, up to the cap")
    void capAboveRingAllowsGrowth() {
        h.passiveOpen();
        h.engine.setSendBufferLimit(h.handle, 40_000);
        assertEquals(16 * 1024, h.engine.sendBufferBytes(h.handle), "the ring is smaller than the cap");
        assertEquals(40_000, h.write(bytes(50_000, 7)), "grown to the 64 KB ring, capped at 40000");
        assertEquals(1, h.counter("buffers_grown"));
        assertEquals(40_000, h.engine.sendBufferBytes(h.handle));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("Active open from a chosen local port: the SYN carries it; a listening or used port is refused")
    void connectFromLocalPort() {
        h.engine.listen(SERVER_PORT, h.app);
        assertEquals(TcpEngine.PORT_LISTENING, h.engine.localPortUse(LOCAL_IP, SERVER_PORT, REMOTE_IP, PEER_PORT));
        assertEquals(-1, h.engine.connect(LOCAL_IP, SERVER_PORT, REMOTE_IP, PEER_PORT, h.app, h.now()),
            "a listener's port is not used for an active open");
        final long a = h.engine.connect(LOCAL_IP, 45_000, REMOTE_IP, PEER_PORT, h.app, h.now());
        assertTrue(a >= 0);
        final CapturedSegment syn = one(h.poll());
        assertEquals(45_000, syn.srcPort(), "the SYN leaves from the chosen port");
        assertEquals(TcpEngine.PORT_IN_USE, h.engine.localPortUse(LOCAL_IP, 45_000, REMOTE_IP, PEER_PORT));
        assertEquals(-1, h.engine.connect(LOCAL_IP, 45_000, REMOTE_IP, PEER_PORT, h.app, h.now()),
            "RFC 9293 §3.4: the four-tuple names one connection");
        final long b = h.engine.connect(LOCAL_IP, 45_000, REMOTE_IP, PEER_PORT + 1, h.app, h.now());
        assertTrue(b >= 0, "the same local port to another remote port is another four-tuple");
        assertThrows(IllegalArgumentException.class,
            () -> h.engine.connect(LOCAL_IP, 70_000, REMOTE_IP, PEER_PORT, h.app, h.now()));
        h.engine.setFlowFilter((li, lp, ri, rp) -> lp % 2 == 0);
        assertEquals(TcpEngine.PORT_NOT_STEERED_HERE,
            h.engine.localPortUse(LOCAL_IP, 45_001, REMOTE_IP, PEER_PORT));
        assertEquals(-1, h.engine.connect(LOCAL_IP, 45_001, REMOTE_IP, PEER_PORT, h.app, h.now()));
        h.engine.abort(a);
        h.engine.abort(b);
        h.engine.unlisten(SERVER_PORT);
        h.finishAndCheckLeaks();
    }
}
