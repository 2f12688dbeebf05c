package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/** Regression tests for the engine defects of issue 10, each reproduced with exact segments at exact times. */
class HostilePeerRegressionTest {

    /** Option bytes a captured segment carried (timestamps, SACK blocks). */
    private static int optionBytes(final CapturedSegment s) {
        return (s.timestamps() ? 12 : 0) + (s.sackBlocks().length > 0 ? 4 + 4 * s.sackBlocks().length : 0);
    }

    @Test
    @DisplayName("Issue 10 #1 (Deviation, as Linux TCP_MIN_MSS): a peer MSS of 12 with timestamps is floored at 88; data flows, a SACK over our FIN throws nothing")
    void tinyPeerMss() {
        final Harness h = new Harness(Harness.base().timestamps(true).sack(true).build());
        h.engine.listen(SERVER_PORT, h.app);
        final CapturedSegment synAck = one(h.send(h.seg().flags(SYN).ack(0).mss(12).timestamps(100, 0)
            .sackPermitted()));
        h.iss = synAck.seq();
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = h.iss + 1;
        h.send(h.seg().timestamps(101, synAck.tsVal()));
        h.handle = h.app.handle;
        assertEquals(300, h.write(bytes(300, 1)));
        h.engine.shutdownOutput(h.handle);
        final List<CapturedSegment> out = h.poll();
        int sent = 0;
        for (final CapturedSegment s : out) {
            assertTrue(s.payload().length + optionBytes(s) <= 88, "segment within the floored MSS: " + s);
            sent += s.payload().length;
        }
        assertTrue(sent > 0, "data is sent at all");
        // A SACK block covering the FIN (and everything sent) with SND.UNA still at the start.
        final CapturedSegment last = out.get(out.size() - 1);
        h.send(h.seg().timestamps(102, last.tsVal()).sack(h.iss + 1 + 76, last.seq() + last.segLen()));
        h.advance(300 * MS);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("Issue 10 #2: cwnd cannot wrap after gigabytes without loss (capped, grows only when limited)")
    void cwndNeverWraps() {
        final Tcb t = new Tcb(0);
        t.sndMss = 1460;
        t.cwnd = CongestionControl.MAX_CWND - 100;
        t.ssthresh = Integer.MAX_VALUE;
        for (int i = 0; i < 1000; i++) {
            CongestionControl.slowStart(t, 1460);
        }
        assertEquals(CongestionControl.MAX_CWND, t.cwnd);
        t.ssthresh = 0;
        final NewReno reno = new NewReno();
        for (int i = 0; i < 1000; i++) {
            reno.onAck(t, 1 << 20, 0);
        }
        assertTrue(t.cwnd > 0 && t.cwnd <= CongestionControl.MAX_CWND, "cwnd " + t.cwnd);
    }

    @Test
    @DisplayName("Issue 10 #3 (RFC 6691): data segments carrying SACK blocks are shortened by the option bytes")
    void sackBlocksFitTheMss() {
        final Harness s = new Harness(Harness.base().sack(true).timestamps(true).build());
        s.engine.listen(SERVER_PORT, s.app);
        final CapturedSegment synAck = one(s.send(s.seg().flags(SYN).ack(0).mss(1000).timestamps(100, 0)
            .sackPermitted()));
        s.iss = synAck.seq();
        s.peerSeq = PEER_ISS + 1;
        s.peerAck = s.iss + 1;
        s.send(s.seg().timestamps(101, synAck.tsVal()));
        s.handle = s.app.handle;
        // Three holes in what the peer sends us: every segment we send now carries three SACK blocks.
        for (int k = 1; k <= 3; k++) {
            s.send(s.seg().seq(s.peerSeq + 200 * k).timestamps(102, 0).payload(bytes(100, k)));
        }
        s.write(bytes(5000, 7));
        final List<CapturedSegment> out = s.poll();
        int data = 0;
        for (final CapturedSegment seg : out) {
            if (seg.payload().length > 0) {
                data++;
                assertEquals(6, seg.sackBlocks().length, "three blocks: " + seg);
                assertTrue(seg.payload().length + optionBytes(seg) <= 1000, "within the MSS: " + seg);
            }
        }
        assertTrue(data >= 5);
        s.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("Issue 10 #4 (RFC 9293 §3.8.6.1 MUST-35, RFC 1122 §4.2.2.17): a zero window with data in flight is probed, never timed out while the peer answers")
    void zeroWindowWithDataInFlight() {
        final Harness h = new Harness();
        h.passiveOpen();
        h.write(bytes(2000, 1));
        assertEquals(2, h.poll().size());
        // The peer took nothing and closed its window.
        h.send(h.seg().window(0));
        for (int i = 0; i < 30; i++) { // far beyond maxRetransmits (5): each probe is answered
            final List<CapturedSegment> probe = h.nextEvent(Long.MAX_VALUE);
            assertFalse(probe.isEmpty(), "a probe at step " + i);
            h.send(h.seg().window(0));
            assertEquals(TcpState.ESTABLISHED, h.engine.state(h.handle), "still open at probe " + i);
        }
        // The window opens: everything is delivered.
        h.peerAck = h.iss + 1 + 2000;
        h.send(h.seg());
        assertEquals(0, h.engine.sendQueueBytes(h.handle));
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("Issue 10 #5 (RFC 6298 §5.5): the persist backoff never overflows; probes stay at most the maximum RTO apart")
    void persistBackoffBounded() {
        final Harness h = new Harness(Harness.base().rtoMaxNs(60_000 * MS).build());
        h.passiveOpen();
        h.send(h.seg().window(0));
        h.write(bytes(100, 1));
        h.poll();
        long last = h.now();
        for (int i = 0; i < 60; i++) {
            final List<CapturedSegment> probe = h.nextEvent(Long.MAX_VALUE);
            assertEquals(1, probe.size(), "one probe per expiry");
            final long gap = h.now() - last;
            assertTrue(gap > 0 && gap <= 60_000 * MS, "gap " + gap);
            last = h.now();
            h.send(h.seg().window(0));
        }
        assertTrue(h.counter("persist_probes") <= 60);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("Issue 10 #6 (Deviation, as Linux tcp_orphan_retries): an orphan facing a window that never opens is released")
    void orphanZeroWindowReleased() {
        final Harness h = new Harness(Harness.base().orphanRetries(4).build());
        h.passiveOpen();
        h.send(h.seg().window(0));
        h.write(bytes(100, 1));
        h.engine.close(h.handle);
        for (int i = 0; i < 50 && h.engine.connectionCount() > 0; i++) {
            h.nextEvent(Long.MAX_VALUE);
            h.send(h.seg().window(0)); // the peer answers every probe, and never opens
        }
        assertEquals(0, h.engine.connectionCount(), "the orphan's TCB is back in the pool");
        assertTrue(h.counter("persist_probes") <= 5);
        h.finishAndCheckLeaks();
    }

    @Test
    @DisplayName("Issue 10 #7 (RFC 7323 §5.3): the SYN-cookie SYN-ACK's TSval is never ahead of the data that follows")
    void cookieTsValNotFromTheFuture() {
        final Harness h = new Harness(Harness.base().timestamps(true).listenBacklog(0).synCookies(true).build());
        h.engine.listen(SERVER_PORT, h.app);
        for (int ms = 0; ms < 64; ms += 7) {
            h.advance(7 * MS);
            final CapturedSegment synAck = one(h.send(h.seg().flags(SYN).ack(0).mss(1000).timestamps(100, 0)
                .ports(40_000 + ms, SERVER_PORT)));
            assertTrue(synAck.tsVal() - Timestamps.now(tcbClock(h, synAck), h.now()) <= 0,
                "cookie TSval " + Integer.toUnsignedString(synAck.tsVal()) + " ahead of the clock");
        }
    }

    /** A TCB carrying the timestamp offset the engine uses for the SYN-ACK's four-tuple. */
    private static Tcb tcbClock(final Harness h, final CapturedSegment synAck) {
        final Tcb t = new Tcb(0);
        t.tsOffset = new Secrets(EntropySource.seeded(42)).tsOffset(LOCAL_IP, synAck.srcPort(), REMOTE_IP,
            synAck.dstPort());
        return t;
    }

    @Test
    @DisplayName("Issue 10 #8 (containment): a handler that throws aborts its own connection with a RST, counted; no wedge, no leak")
    void throwingHandlerAbortsItsConnection() {
        final Harness h = new Harness();
        h.passiveOpen();
        final TcpHandler bad = new TcpHandler() {
            @Override
            public void onOpen(final long handle) {
            }

            @Override
            public int onData(final long handle, final DirectBuffer b, final int off, final int len) {
                throw new IllegalStateException("a bad line in the application");
            }

            @Override
            public void onClose(final long handle, final int reason) {
                throw new IllegalStateException("and again on close");
            }
        };
        h.engine.listen(SERVER_PORT, bad);
        h.remotePort = PEER_PORT + 1;
        h.peerSeq = PEER_ISS;
        final CapturedSegment synAck = one(h.send(h.seg().flags(SYN).ack(0).mss(1000)));
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = synAck.seq() + 1;
        h.send(h.seg());
        final List<CapturedSegment> out = h.send(h.seg().payload(bytes(10, 1)));
        assertTrue(out.stream().anyMatch(s -> s.has(RST)), "a RST for the failed connection: " + out);
        assertEquals(2, h.counter("handler_errors"), "onData, then onClose");
        // The first connection is untouched.
        assertEquals(TcpState.ESTABLISHED, h.engine.state(h.handle));
        h.finishAndCheckLeaks();
    }
}
