package io.strait.tcp;

import io.strait.tcp.sim.CaptureSink;
import io.strait.tcp.sim.CapturedSegment;
import io.strait.tcp.sim.SegmentBuilder;
import io.strait.tcp.sim.VirtualClock;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Scripted-test harness (after lwIP's tcp_helper.c): one engine, a virtual clock, a capturing sink and a scripted
 * peer whose sequence numbers track the connection, so tests build segments relative to the TCB's state.
 */
final class Harness {
    static final int LOCAL_IP = 0xC6120002;
    static final int REMOTE_IP = 0xC6120001;
    static final int SERVER_PORT = 80;
    static final int PEER_PORT = 40000;
    static final int PEER_ISS = 1_000_000;
    static final long MS = 1_000_000L;

    final VirtualClock clock = new VirtualClock(1_000_000_000L);
    final CaptureSink out = new CaptureSink(clock);
    final CountersManager countersManager;
    final TcpConfig config;
    final TcpEngine engine;
    final App app = new App();
    final SegmentBuilder builder = new SegmentBuilder();
    int localPort = SERVER_PORT;
    int remotePort = PEER_PORT;
    /** Peer's next sequence number to send. */
    int peerSeq = PEER_ISS;
    /** What the peer acknowledges (the engine's next sequence number). */
    int peerAck;
    int iss;
    long handle = -1;

    Harness(final TcpConfig config) {
        this(config, new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 18)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 16))));
    }

    /** With counters in memory the caller provides (fuzz targets reuse it rather than allocate per input). */
    Harness(final TcpConfig config, final CountersManager countersManager) {
        this.countersManager = countersManager;
        this.config = config;
        this.engine = new TcpEngine(config, EntropySource.seeded(42), countersManager, "t.");
        app.engine = engine;
    }

    Harness() {
        this(base().build());
    }

    /** Plain config: no options, so replies are exact and small; short timers. */
    static TcpConfig.Builder base() {
        return TcpConfig.builder().maxConnections(8).listenBacklog(4).sendBufferBytes(64 * 1024)
            .receiveBufferBytes(64 * 1024).mss(1000).timestamps(false).sack(false).windowScale(false)
            .rtoInitialNs(1000 * MS).rtoMinNs(200 * MS).delayedAckNs(40 * MS).mslNs(1000 * MS)
            .finWait2TimeoutNs(5000 * MS).synReceivedTimeoutNs(10_000 * MS).maxSynRetransmits(3)
            .maxRetransmits(5).challengeAckLimitPerSecond(1000);
    }

    long now() {
        return clock.nowNs();
    }

    /** A builder for a peer segment: ports set, seq = peerSeq, ack = peerAck, flags ACK, window 65535. */
    SegmentBuilder seg() {
        return builder.reset().ports(remotePort, localPort).seq(peerSeq).ack(peerAck).flags(ACK).window(65535);
    }

    /** Delivers a segment (onSegment then poll) and returns everything the engine sent. */
    List<CapturedSegment> send(final SegmentBuilder b) {
        b.build(REMOTE_IP, LOCAL_IP);
        engine.onSegment(b.buffer(), 0, b.length(), REMOTE_IP, LOCAL_IP, false, now(), out);
        engine.poll(now(), out);
        return out.drain();
    }

    /** Advances the clock and polls once. */
    List<CapturedSegment> advance(final long deltaNs) {
        clock.advanceBy(deltaNs);
        engine.poll(now(), out);
        return out.drain();
    }

    /** Jumps to the engine's next deadline (if any within {@code maxNs}) and polls. */
    List<CapturedSegment> nextEvent(final long maxNs) {
        final long d = engine.nextDeadlineNs();
        if (d == Long.MAX_VALUE || d - now() > maxNs) {
            return List.of();
        }
        clock.advanceTo(d);
        engine.poll(now(), out);
        return out.drain();
    }

    List<CapturedSegment> poll() {
        engine.poll(now(), out);
        return out.drain();
    }

    static CapturedSegment one(final List<CapturedSegment> segs) {
        assertEquals(1, segs.size(), () -> "expected one segment, got " + segs);
        return segs.get(0);
    }

    /** Asserts flags, seq and ack of a segment (and a valid checksum). */
    static CapturedSegment expect(final CapturedSegment s, final int flags, final int seq, final int ack) {
        assertTrue(s.checksumOk(), "checksum");
        assertEquals(TcpHeader_flags(flags), TcpHeader_flags(s.flags()), () -> "flags of " + s);
        assertEquals(Integer.toUnsignedString(seq), Integer.toUnsignedString(s.seq()), () -> "seq of " + s);
        if ((flags & ACK) != 0) {
            assertEquals(Integer.toUnsignedString(ack), Integer.toUnsignedString(s.ack()), () -> "ack of " + s);
        }
        return s;
    }

    private static String TcpHeader_flags(final int f) {
        return io.strait.tcp.wire.TcpHeader.flagsToString(f);
    }

    /** Peer SYN -> engine SYN-ACK (checked) -> peer ACK: ESTABLISHED by passive open. */
    void passiveOpen() {
        engine.listen(SERVER_PORT, app);
        final CapturedSegment synAck = one(send(seg().flags(SYN).ack(0).mss(1000)));
        expect(synAck, SYN | ACK, synAck.seq(), PEER_ISS + 1);
        iss = synAck.seq();
        peerSeq = PEER_ISS + 1;
        peerAck = iss + 1;
        assertEquals(List.of(), send(seg()));
        handle = app.handle;
        assertEquals(TcpState.ESTABLISHED, engine.state(handle));
    }

    /** connect() -> SYN (checked) -> peer SYN-ACK -> engine ACK: ESTABLISHED by active open. */
    void activeOpen() {
        handle = engine.connect(LOCAL_IP, REMOTE_IP, PEER_PORT, app, now());
        assertTrue(handle >= 0);
        final CapturedSegment syn = one(poll());
        expect(syn, SYN, syn.seq(), 0);
        localPort = syn.srcPort();
        remotePort = PEER_PORT;
        iss = syn.seq();
        peerSeq = PEER_ISS;
        peerAck = iss + 1;
        final CapturedSegment ack = one(send(seg().flags(SYN | ACK).mss(1000)));
        peerSeq = PEER_ISS + 1;
        expect(ack, ACK, iss + 1, peerSeq);
        assertEquals(TcpState.ESTABLISHED, engine.state(handle));
    }

    /**
     * A passive open with SACK permitted and an MSS of 1000, the handshake's ACK arriving {@code rttNs} after the
     * SYN-ACK; the harness's handle and sequence state set.
     */
    static Harness sackPeer(final long rttNs) {
        final Harness s = new Harness(base().sack(true).build());
        s.engine.listen(SERVER_PORT, s.app);
        final CapturedSegment synAck = one(s.send(s.seg().flags(SYN).ack(0).mss(1000).sackPermitted()));
        assertTrue(synAck.sackPermitted());
        s.iss = synAck.seq();
        s.peerSeq = PEER_ISS + 1;
        s.peerAck = s.iss + 1;
        if (rttNs > 0) {
            s.advance(rttNs);
        }
        assertEquals(List.of(), s.send(s.seg()));
        s.handle = s.app.handle;
        return s;
    }

    /** The peer acknowledges everything up to {@code ack}; then the leak check. */
    void ackAllAndCheckLeaks(final int ack) {
        peerAck = ack;
        send(seg());
        finishAndCheckLeaks();
    }

    /** Closes whatever is left (abort), lets every timer run out, and checks nothing leaked. */
    void finishAndCheckLeaks() {
        if (handle >= 0 && engine.state(handle) != TcpState.CLOSED && engine.state(handle) != TcpState.TIME_WAIT) {
            engine.abort(handle);
        }
        for (int i = 0; i < 10_000 && engine.nextDeadlineNs() != Long.MAX_VALUE; i++) {
            clock.advanceTo(Math.max(now(), engine.nextDeadlineNs()));
            engine.poll(now(), out);
        }
        out.drain();
        assertEquals(0, engine.connectionCount(), "TCB slots in use");
        assertEquals(0, engine.scheduledTimers(), "timers scheduled");
        assertEquals(engine.bufferChunks(), engine.freeBufferChunks(), "buffer chunks");
        assertEquals(engine.largeBufferChunks(), engine.freeLargeBufferChunks(), "large (autotuned) buffer chunks");
        // The gauges an external soak reads (strait stat) agree with the pool.
        assertEquals(0, counter("tcbs_in_use"), "tcbs_in_use gauge");
        assertEquals(0, counter("large_buffers_in_use"), "large_buffers_in_use gauge");
    }

    long counter(final String name) {
        final long[] v = {-1};
        countersManager.forEach((id, label) -> {
            if (label.equals("t." + name)) {
                v[0] = countersManager.getCounterValue(id);
            }
        });
        assertNotEquals(-1, v[0], "no counter " + name);
        return v[0];
    }

    static byte[] bytes(final int n, final int seed) {
        final byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    int write(final byte[] data) {
        return engine.write(handle, new UnsafeBuffer(data), 0, data.length);
    }

    /** Records events; consumes up to {@link #consumeLimit} bytes per onData. */
    static final class App implements TcpHandler {
        TcpEngine engine;
        long handle = -1;
        /** Every handle onOpen gave, in order (a test that opened several closes them all). */
        final List<Long> opened = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        int consumeLimit = Integer.MAX_VALUE;
        int closeReason = -1;
        boolean closeOnPeerFin;

        @Override
        public void onOpen(final long h) {
            handle = h;
            opened.add(h);
            events.add("open");
        }

        @Override
        public int onData(final long h, final DirectBuffer b, final int off, final int len) {
            final int n = Math.min(len, consumeLimit);
            final byte[] tmp = new byte[n];
            b.getBytes(off, tmp);
            received.writeBytes(tmp);
            events.add("data:" + n);
            return n;
        }

        @Override
        public void onPeerFin(final long h) {
            events.add("peerFin");
            if (closeOnPeerFin) {
                engine.close(h);
            }
        }

        @Override
        public void onWritable(final long h) {
            events.add("writable");
        }

        @Override
        public void onClose(final long h, final int reason) {
            closeReason = reason;
            events.add("close:" + CloseReason.name(reason));
        }
    }
}
