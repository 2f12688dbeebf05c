package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

class OpenAndPortsTest {
    @Test
    @DisplayName("RFC 6056 §3.3.3 algorithm 3: distinct ephemeral ports, only those the FlowFilter accepts")
    void ephemeralPortsHonourFlowFilter() {
        final Harness h = new Harness(Harness.base().maxConnections(8).build());
        h.engine.setFlowFilter((localIp, localPort, remoteIp, remotePort) -> (localPort & 3) == 1);
        final Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 8; i++) {
            assertTrue(h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now()) >= 0);
        }
        for (final CapturedSegment syn : h.poll()) {
            assertEquals(1, syn.srcPort() & 3);
            assertTrue(syn.srcPort() >= 49152 && syn.srcPort() <= 65535);
            ports.add(syn.srcPort());
        }
        assertEquals(8, ports.size());
        assertEquals(-1, h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now()), "no TCB slot left");
        assertEquals(1, h.counter("connect_failures"));
        assertEquals(8, h.engine.counters().connections(TcpState.SYN_SENT));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 6528 §3: ISNs differ per four-tuple and advance with the 4 µs clock")
    void isnPerTuple() {
        final Harness h = new Harness();
        h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, h.app, h.now());
        h.engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT + 1, h.app, h.now());
        final List<CapturedSegment> syns = h.poll();
        assertNotEquals(syns.get(0).seq(), syns.get(1).seq());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.4 fifth: data carried on the handshake-completing ACK is delivered after onOpen")
    void dataOnThirdAck() {
        final Harness h = new Harness();
        h.engine.listen(SERVER_PORT, h.app);
        final CapturedSegment synAck = one(h.send(h.seg().flags(SYN).ack(0).mss(1000)));
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = synAck.seq() + 1;
        h.send(h.seg().flags(ACK | PSH).payload(bytes(10, 1)));
        assertEquals(List.of("open", "data:10"), h.app.events);
        h.handle = h.app.handle;
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.4: a segment whose TX claim fails is counted and sent by a later poll")
    void sinkFullRetried() {
        final Harness h = new Harness();
        h.passiveOpen();
        h.write(bytes(100, 1));
        h.out.full(true);
        h.poll();
        assertEquals(1, h.counter("drop_no_sink_room"));
        h.out.full(false);
        final CapturedSegment rtx = one(h.nextEvent(10_000 * MS));
        assertEquals(100, rtx.payload().length);
        h.finishAndCheckLeaks();
    }
}
