package io.strait.tcp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.strait.tcp.sim.CapturedSegment;
import io.strait.tcp.sim.SegmentBuilder;
import io.strait.tcp.wire.Checksum;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Fuzz target (issue 10): {@link TcpEngine#onSegment} and {@link TcpEngine#poll} against a TCB the {@link Harness}
 * placed in LISTEN, SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1, CLOSE-WAIT or TIME-WAIT by a real exchange (options of
 * the peer's SYN, congestion control and data in flight chosen by the fuzzer), then fed a sequence of segments and
 * events from the fuzzer:
 * <ul>
 *   <li>raw segments: arbitrary bytes (any data offset, flags, options, payload), optionally aimed at the
 *       connection (its ports; sequence and ACK numbers near what the TCB expects), with the checksum either
 *       computed or claimed verified by the NIC;</li>
 *   <li>built segments: flags, window, timestamps, SACK blocks and payload from the fuzzer, sequence and ACK numbers
 *       relative to the connection (across the 2^32 wrap too);</li>
 *   <li>time passing (up to minutes), application writes, close, half-close, abort.</li>
 * </ul>
 * After each: no exception, {@link TcpEngine#invariantViolation()} is null, no deadline in the past. At the end every
 * connection the application saw is aborted and the timers run down: every TCB, timer and buffer chunk must be back
 * ({@link Harness#finishAndCheckLeaks()}).
 */
class TcpEngineFuzzTest {
    private static final int[] STATES = {TcpState.LISTEN, TcpState.SYN_RECEIVED, TcpState.ESTABLISHED,
        TcpState.FIN_WAIT_1, TcpState.CLOSE_WAIT, TcpState.TIME_WAIT};
    /** Events per input, so one input stays short (a long story is a corpus of short ones). */
    private static final int MAX_STEPS = 48;

    /** Counter memory reused across inputs (zeroed each time): one engine per input, no direct allocation. */
    private static final UnsafeBuffer META = new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 18));
    private static final UnsafeBuffer VALUES = new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 16));

    private Harness h;
    private int peerTs;
    private int engTs;
    private boolean tsOn;

    @FuzzTest(maxDuration = "2m")
    void onSegment(final FuzzedDataProvider data) {
        META.setMemory(0, META.capacity(), (byte) 0);
        VALUES.setMemory(0, VALUES.capacity(), (byte) 0);
        final int cc = data.consumeInt(0, 2);
        final TcpConfig config = Harness.base().maxConnections(4).listenBacklog(2).sendBufferBytes(8 * 1024)
            .receiveBufferBytes(8 * 1024).timestamps(data.consumeBoolean()).sack(data.consumeBoolean())
            .windowScale(data.consumeBoolean())
            .congestionControl(cc == 0 ? TcpConfig.CC_NEWRENO : cc == 1 ? TcpConfig.CC_CUBIC : TcpConfig.CC_BBR)
            .build();
        h = new Harness(config, new CountersManager(META, VALUES));
        h.app.consumeLimit = data.consumeBoolean() ? Integer.MAX_VALUE : data.consumeInt(0, 3000);
        h.app.closeOnPeerFin = data.consumeBoolean();
        final int target = data.pickValue(STATES);
        place(target, data);
        check("placed in " + TcpState.name(target));

        for (int step = 0; step < MAX_STEPS && data.remainingBytes() > 0; step++) {
            final String where = TcpState.name(target) + " step " + step;
            switch (data.consumeInt(0, 9)) {
                case 0 -> {
                    h.clock.advanceBy(data.consumeBoolean() ? data.consumeLong(0, 3000) * MS
                        : data.consumeLong(0, 300_000) * MS);
                    track(h.poll());
                }
                case 1 -> {
                    final long handle = anyHandle(data);
                    if (handle >= 0) {
                        final int n = data.consumeInt(0, 20_000);
                        h.engine.write(handle, new UnsafeBuffer(bytes(n, step)), 0, n);
                        track(h.poll());
                    }
                }
                case 2 -> {
                    final long handle = anyHandle(data);
                    if (handle >= 0) {
                        switch (data.consumeInt(0, 3)) {
                            case 0 -> h.engine.close(handle);
                            case 1 -> h.engine.shutdownOutput(handle);
                            case 2 -> h.engine.resumeRead(handle);
                            default -> h.engine.abort(handle);
                        }
                        track(h.poll());
                    }
                }
                case 3, 4, 5 -> rawSegment(data);
                default -> builtSegment(data);
            }
            check(where);
        }

        for (final long handle : h.app.opened) {
            final int st = h.engine.state(handle);
            if (st != TcpState.CLOSED && st != TcpState.TIME_WAIT) {
                h.engine.abort(handle);
            }
        }
        h.handle = -1;
        h.finishAndCheckLeaks();
    }

    /** Drives the TCB to {@code target} with a real exchange, as the per-state tests do. */
    private void place(final int target, final FuzzedDataProvider data) {
        h.engine.listen(SERVER_PORT, h.app);
        if (target == TcpState.LISTEN) {
            return;
        }
        final SegmentBuilder syn = h.seg().flags(SYN).ack(0).mss(data.consumeInt(1, 65535))
            .window(data.consumeInt(0, 65535));
        if (data.consumeBoolean()) {
            syn.wscale(data.consumeInt(0, 20));
        }
        if (data.consumeBoolean()) {
            syn.sackPermitted();
        }
        if (data.consumeBoolean()) {
            peerTs = data.consumeInt();
            syn.timestamps(peerTs, 0);
        }
        final CapturedSegment synAck = one(h.send(syn));
        expect(synAck, SYN | ACK, synAck.seq(), PEER_ISS + 1);
        tsOn = synAck.timestamps();
        engTs = synAck.tsVal();
        h.iss = synAck.seq();
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = h.iss + 1;
        if (target == TcpState.SYN_RECEIVED) {
            return;
        }
        assertEquals(List.of(), h.send(stamp(h.seg())));
        h.handle = h.app.handle;
        assertEquals(TcpState.ESTABLISHED, h.engine.state(h.handle));
        if (data.consumeBoolean()) {
            // Data in flight, so ACKs, SACKs and RTOs have something to act on.
            h.write(bytes(data.consumeInt(1, 8 * 1024), 7));
            track(h.poll());
        }
        switch (target) {
            case TcpState.FIN_WAIT_1 -> {
                h.engine.close(h.handle);
                track(h.poll());
                assertEquals(TcpState.FIN_WAIT_1, h.engine.state(h.handle));
            }
            case TcpState.CLOSE_WAIT -> {
                final boolean closes = h.app.closeOnPeerFin;
                h.app.closeOnPeerFin = false;
                track(h.send(stamp(h.seg().flags(FIN | ACK))));
                h.peerSeq++;
                h.app.closeOnPeerFin = closes;
                assertEquals(TcpState.CLOSE_WAIT, h.engine.state(h.handle));
            }
            case TcpState.TIME_WAIT -> {
                h.engine.close(h.handle);
                track(h.poll());
                // The peer acknowledges everything we sent, FIN included, and sends its own FIN.
                track(h.send(stamp(h.seg().flags(FIN | ACK))));
                h.peerSeq++;
                int guard = 2000;
                while (h.engine.state(h.handle) != TcpState.TIME_WAIT && guard-- > 0) {
                    // Data still in flight: let it go out and acknowledge it, then the FIN.
                    // (MSS 88 drains 8 KB two segments per round trip: a few hundred rounds.)
                    h.clock.advanceBy(10 * MS);
                    track(h.poll());
                    track(h.send(stamp(h.seg())));
                }
                assertEquals(TcpState.TIME_WAIT, h.engine.state(h.handle));
            }
            default -> {
            }
        }
    }

    /** Adds the timestamp option a peer that negotiated it would carry (RFC 7323 §3.2). */
    private SegmentBuilder stamp(final SegmentBuilder b) {
        if (tsOn) {
            b.timestamps(++peerTs, engTs);
        }
        return b;
    }

    /** Follows what the engine sent: the peer acknowledges its highest sequence number, echoes its TSval. */
    private void track(final List<CapturedSegment> out) {
        for (final CapturedSegment s : out) {
            if (s.srcPort() != h.localPort || s.dstPort() != h.remotePort) {
                continue;
            }
            if (Seq.gt(s.seq() + s.segLen(), h.peerAck) || s.has(SYN)) {
                h.peerAck = s.seq() + s.segLen();
            }
            if (s.timestamps()) {
                engTs = s.tsVal();
            }
        }
    }

    private long anyHandle(final FuzzedDataProvider data) {
        final List<Long> opened = h.app.opened;
        return opened.isEmpty() ? -1 : opened.get(data.consumeInt(0, opened.size() - 1));
    }

    /** Arbitrary bytes as a segment, optionally aimed at the connection; checksum computed or claimed verified. */
    private void rawSegment(final FuzzedDataProvider data) {
        final boolean aimPorts = data.consumeBoolean();
        final int seqMode = data.consumeInt(0, 2);
        final int seqDelta = data.consumeInt(-3000, 3000);
        final int ackMode = data.consumeInt(0, 2);
        final int ackDelta = data.consumeInt(-3000, 3000);
        final boolean verified = data.consumeBoolean();
        final byte[] bytes = data.consumeBytes(data.consumeInt(0, 1600));
        final UnsafeBuffer b = new UnsafeBuffer(bytes);
        if (aimPorts && bytes.length >= 4) {
            b.putShort(SRC_PORT_OFFSET, (short) h.remotePort, ByteOrder.BIG_ENDIAN);
            b.putShort(DST_PORT_OFFSET, (short) h.localPort, ByteOrder.BIG_ENDIAN);
        }
        if (seqMode > 0 && bytes.length >= 8) {
            b.putInt(SEQ_OFFSET, h.peerSeq + (seqMode == 1 ? 0 : seqDelta), ByteOrder.BIG_ENDIAN);
        }
        if (ackMode > 0 && bytes.length >= 12) {
            b.putInt(ACK_OFFSET, h.peerAck + (ackMode == 1 ? 0 : ackDelta), ByteOrder.BIG_ENDIAN);
        }
        if (!verified && bytes.length >= 18) {
            b.putShort(CHECKSUM_OFFSET, (short) 0);
            b.putShort(CHECKSUM_OFFSET, (short) Checksum.tcp(REMOTE_IP, LOCAL_IP, b, 0, bytes.length),
                ByteOrder.BIG_ENDIAN);
        }
        h.engine.onSegment(b, 0, bytes.length, REMOTE_IP, LOCAL_IP, verified, h.now(), h.out);
        h.engine.poll(h.now(), h.out);
        track(h.out.drain());
        if (data.consumeBoolean()) {
            h.peerSeq += Math.max(0, bytes.length - 20); // the peer moves on as if its data were taken
        }
    }

    /** A well-formed segment with fuzzed fields relative to the connection. */
    private void builtSegment(final FuzzedDataProvider data) {
        final SegmentBuilder s = h.builder.reset()
            .ports(data.consumeBoolean() ? h.remotePort : PEER_PORT + data.consumeInt(0, 3), h.localPort)
            .flags(data.consumeInt(0, 0xFF)).window(data.consumeInt(0, 65535))
            .seq(near(data, h.peerSeq)).ack(near(data, h.peerAck));
        if (data.consumeBoolean()) {
            s.mss(data.consumeInt(0, 65535));
        }
        if (data.consumeBoolean()) {
            s.wscale(data.consumeInt(0, 255));
        }
        if (data.consumeBoolean()) {
            peerTs += data.consumeInt(-(1 << 30), 1 << 30);
            s.timestamps(peerTs, data.consumeBoolean() ? engTs : data.consumeInt());
        }
        final int blocks = data.consumeInt(0, 3);
        for (int k = 0; k < blocks; k++) {
            final int left = near(data, h.peerAck);
            s.sack(left, data.consumeBoolean() ? left + data.consumeInt(-1000, 20_000) : data.consumeInt());
        }
        final int len = data.consumeInt(0, 1500);
        s.payload(bytes(len, len));
        track(h.send(s));
        if (data.consumeBoolean()) {
            h.peerSeq += len;
        }
    }

    /** A sequence number at, near or far from {@code base}, across the 2^32 wrap. */
    private static int near(final FuzzedDataProvider data, final int base) {
        return switch (data.consumeInt(0, 4)) {
            case 0 -> base;
            case 1 -> base + data.consumeInt(-3000, 3000);
            case 2 -> base + Integer.MIN_VALUE + data.consumeInt(-1, 1);
            case 3 -> base + data.consumeInt(-(1 << 20), 1 << 20);
            default -> data.consumeInt();
        };
    }

    private void check(final String where) {
        final String v = h.engine.invariantViolation();
        if (v != null) {
            fail(where + ": " + v);
        }
        final long next = h.engine.nextDeadlineNs();
        assertTrue(next == 0 || next == Long.MAX_VALUE || next >= h.now() - 2 * h.config.timerTickNs,
            where + ": a deadline in the past " + next + " at " + h.now());
    }
}
