package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

class EstablishedTest {
    final Harness h = new Harness();

    @Test
    @DisplayName("RFC 9293 §3.10.7.4 seventh + RFC 1122 §4.2.3.2: in-order data delivered, ACK delayed 40 ms")
    void inOrderDataDelayedAck() {
        h.passiveOpen();
        final byte[] data = bytes(500, 1);
        assertEquals(List.of(), h.send(h.seg().payload(data)));
        assertArrayEquals(data, h.app.received.toByteArray());
        assertEquals(List.of(), h.advance(39 * MS));
        final CapturedSegment ack = one(h.advance(MS));
        expect(ack, ACK, h.iss + 1, PEER_ISS + 1 + 500);
        assertEquals(65535 - 500, ack.window(), "RFC 9293 §3.8.6.2.2: no window reopening by less than an MSS");
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 5681 §4.2: an ACK at least for every second full-sized segment")
    void everySecondSegmentAcked() {
        h.passiveOpen();
        assertEquals(List.of(), h.send(h.seg().payload(bytes(1000, 1))));
        h.peerSeq += 1000;
        expect(one(h.send(h.seg().payload(bytes(1000, 2)))), ACK, h.iss + 1, PEER_ISS + 1 + 2000);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 5681 §4.2 / RFC 9293 §3.10.7.4: out-of-order data -> immediate duplicate ACK; the gap fill is ACKed at once")
    void outOfOrderReassembled() {
        h.passiveOpen();
        final byte[] a = bytes(1000, 1);
        final byte[] b = bytes(500, 2);
        final int base = h.peerSeq;
        expect(one(h.send(h.seg().seq(base + 1000).payload(b))), ACK, h.iss + 1, base);
        assertEquals(0, h.app.received.size());
        // An overlapping retransmission of part of the out-of-order range is trimmed and merged.
        expect(one(h.send(h.seg().seq(base + 1200).payload(Arrays.copyOfRange(b, 200, 500)))), ACK, h.iss + 1, base);
        expect(one(h.send(h.seg().seq(base).payload(a))), ACK, h.iss + 1, base + 1500);
        final byte[] all = new byte[1500];
        System.arraycopy(a, 0, all, 0, 1000);
        System.arraycopy(b, 0, all, 1000, 500);
        assertArrayEquals(all, h.app.received.toByteArray());
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.2 SEND: a write goes out on the next poll; the ACK frees the send buffer")
    void writeSendsOnPoll() {
        h.passiveOpen();
        assertEquals(300, h.write(bytes(300, 3)));
        final CapturedSegment s = one(h.poll());
        expect(s, ACK | PSH, h.iss + 1, h.peerSeq);
        assertArrayEquals(bytes(300, 3), s.payload());
        assertEquals(300, h.engine.sendQueueBytes(h.handle));
        h.peerAck = h.iss + 301;
        assertEquals(List.of(), h.send(h.seg()));
        assertEquals(0, h.engine.sendQueueBytes(h.handle));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.4 first: an old duplicate is not acceptable -> <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>")
    void duplicateGetsAck() {
        h.passiveOpen();
        h.send(h.seg().payload(bytes(500, 1)));
        expect(one(h.send(h.seg().payload(bytes(500, 1)))), ACK, h.iss + 1, PEER_ISS + 501);
        assertEquals(500, h.app.received.size(), "delivered once");
        assertEquals(1, h.counter("drop_not_acceptable_seq"));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.8.6: unconsumed data closes the window; resumeRead re-offers it and sends a window update")
    void receiveWindowClosesAndReopens() {
        final Harness s = new Harness(Harness.base().receiveBufferBytes(4000).build());
        s.passiveOpen();
        s.app.consumeLimit = 0;
        for (int i = 0; i < 3; i++) {
            s.send(s.seg().payload(bytes(1000, i)));
            s.peerSeq += 1000;
        }
        final CapturedSegment last = one(s.send(s.seg().payload(bytes(1000, 3))));
        s.peerSeq += 1000;
        expect(last, ACK, s.iss + 1, s.peerSeq);
        assertEquals(0, last.window());
        assertEquals(4000, s.engine.receiveQueueBytes(s.handle));
        // Beyond the window: not acceptable, ACKed, not stored.
        expect(one(s.send(s.seg().payload(bytes(10, 9)))), ACK, s.iss + 1, s.peerSeq);
        s.app.consumeLimit = Integer.MAX_VALUE;
        s.engine.resumeRead(s.handle);
        final CapturedSegment update = one(s.poll());
        expect(update, ACK, s.iss + 1, s.peerSeq);
        assertEquals(4000, update.window());
        assertEquals(4000, s.app.received.size());
        s.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("RFC 9293 §3.8.6.1: zero window -> persist probe after the RTO; window opens -> data flows")
    void zeroWindowProbe() {
        h.passiveOpen();
        assertEquals(List.of(), h.send(h.seg().window(0)));
        h.write(bytes(100, 1));
        assertEquals(List.of(), h.poll(), "no data into a zero window");
        assertEquals(List.of(), h.advance(199 * MS));
        final CapturedSegment probe = one(h.advance(MS));
        expect(probe, ACK, h.iss, h.peerSeq);
        assertEquals(0, probe.payload().length);
        assertEquals(1, h.counter("persist_probes"));
        final CapturedSegment data = one(h.send(h.seg().window(65535)));
        expect(data, ACK | PSH, h.iss + 1, h.peerSeq);
        assertEquals(100, data.payload().length);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("Handles: slot + generation; a stale handle is rejected after close")
    void staleHandleRejected() {
        h.passiveOpen();
        final long handle = h.handle;
        h.engine.abort(handle);
        final CapturedSegment rst = one(h.poll());
        expect(rst, RST, h.iss + 1, 0);
        assertEquals(List.of("open", "close:local-abort"), h.app.events);
        assertEquals(-1, h.write(bytes(10, 1)));
        assertEquals(TcpState.CLOSED, h.engine.state(handle));
        h.finishAndCheckLeaks();
    }
}
