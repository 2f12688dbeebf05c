package io.strait.tcp;

import io.strait.tcp.sim.CapturedSegment;
import io.strait.tcp.sim.SegmentBuilder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static io.strait.tcp.Harness.*;
import static io.strait.tcp.wire.TcpHeader.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A seeded adversary against a live connection (issue 10): after a handshake with extreme options (MSS 1..65535,
 * window scale 0..20, SACK and timestamps at random) it sends protocol-plausible but extreme segments: every flag
 * combination, sequence and ACK numbers in, around and far from the windows (across the 2^32 wrap), windows of zero
 * for minutes, SACK blocks anywhere, payloads up to 2 KB, and long silences. After every segment: no exception, the
 * engine's invariants hold ({@link Invariants}). At the end the application closes and the peer falls silent:
 * every TCB, timer and buffer must come back (no state held forever by a peer that stops cooperating).
 * {@code -Dstrait.hostile.seeds=N} runs more seeds, {@code -Dstrait.hostile.steps=N} longer ones.
 */
class HostilePeerSimTest {
    /** Segments sent per state the connection was in afterwards (coverage, printed). */
    private static final long[] STATES = new long[16];
    private static final int[] FLAG_SETS = {ACK, ACK | PSH, ACK | FIN, ACK | RST, RST, SYN, SYN | ACK, FIN, 0,
        ACK | URG, SYN | FIN, SYN | RST, ACK | SYN | FIN | RST | PSH | URG};

    @Test
    @DisplayName("Issue 10: a hostile peer in every state: no exception, invariants after every segment, nothing held forever")
    void hostilePeer() {
        final int seeds = Integer.getInteger("strait.hostile.seeds", 300);
        final int steps = Integer.getInteger("strait.hostile.steps", 400);
        long segments = 0;
        for (int seed = 1; seed <= seeds; seed++) {
            segments += run(seed, steps);
        }
        final StringBuilder cover = new StringBuilder();
        for (int st = 0; st < TcpState.COUNT; st++) {
            if (STATES[st] > 0) {
                cover.append(' ').append(TcpState.name(st)).append('=').append(STATES[st]);
            }
        }
        System.out.printf("hostile peer: %d seeds, %d segments; by state:%s%n", seeds, segments, cover);
        assertTrue(STATES[TcpState.ESTABLISHED] > 0 && STATES[TcpState.CLOSE_WAIT] > 0, "states reached: " + cover);
    }

    private static long run(final long seed, final int steps) {
        final SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 3);
        final int cc = rnd.nextInt(3);
        final TcpConfig.Builder b = TcpConfig.builder().maxConnections(4).listenBacklog(4)
            .sendBufferBytes(16 << 10 << rnd.nextInt(3)).receiveBufferBytes(16 << 10 << rnd.nextInt(3))
            .timestamps(rnd.nextBoolean()).sack(rnd.nextBoolean()).windowScale(rnd.nextBoolean())
            .congestionControl(cc == 0 ? TcpConfig.CC_NEWRENO : cc == 1 ? TcpConfig.CC_CUBIC : TcpConfig.CC_BBR)
            .rtoMinNs(200 * MS).rtoInitialNs(1000 * MS).mslNs(1000 * MS).finWait2TimeoutNs(5000 * MS)
            .synReceivedTimeoutNs(10_000 * MS).maxRetransmits(6).maxSynRetransmits(3).challengeAckLimitPerSecond(100);
        if (rnd.nextBoolean()) {
            b.largeBuffers(256 << 10, 2);
        }
        final Harness h = new Harness(b.build());
        h.app.consumeLimit = rnd.nextBoolean() ? Integer.MAX_VALUE : rnd.nextInt(2000);
        h.engine.listen(SERVER_PORT, h.app);
        final String where = "seed " + seed;
        long sent = 0;
        // Handshake with extreme options.
        final SegmentBuilder syn = h.seg().flags(SYN).ack(0).mss(1 + rnd.nextInt(65535)).window(rnd.nextInt(65536));
        if (rnd.nextBoolean()) {
            syn.wscale(rnd.nextInt(21));
        }
        if (rnd.nextBoolean()) {
            syn.sackPermitted();
        }
        int tsVal = rnd.nextInt();
        if (rnd.nextBoolean()) {
            syn.timestamps(tsVal, 0);
        }
        int engSeq = 0;
        int engAck = PEER_ISS + 1;
        for (final CapturedSegment s : deliver(h, syn, where)) {
            engSeq = s.seq() + 1;
        }
        h.peerSeq = PEER_ISS + 1;
        sent++;
        if (rnd.nextInt(5) != 0) {
            // Most adversaries complete the handshake, so the rest hits ESTABLISHED and the closing states.
            final SegmentBuilder ack = h.seg().seq(PEER_ISS + 1).ack(engSeq).window(rnd.nextInt(65536));
            for (final CapturedSegment out : deliver(h, ack, where + " handshake")) {
                engSeq = Seq.max(engSeq, out.seq() + out.segLen());
            }
            sent++;
        }
        int peerSeq = h.peerSeq;
        for (int step = 0; step < steps; step++) {
            if (stateOf(h) == TcpState.CLOSED || stateOf(h) == TcpState.TIME_WAIT) {
                // The last connection is gone: a new one from a new port, handshake completed.
                h.remotePort++;
                h.app.handle = -1;
                for (final CapturedSegment out : deliver(h, h.seg().seq(PEER_ISS).flags(SYN).ack(0)
                    .mss(1 + rnd.nextInt(65535)).window(rnd.nextInt(65536)), where + " reconnect")) {
                    engSeq = out.seq() + 1;
                }
                deliver(h, h.seg().seq(PEER_ISS + 1).ack(engSeq).window(1 + rnd.nextInt(65535)), where + " reconnect");
                peerSeq = PEER_ISS + 1;
                engAck = peerSeq;
                sent += 2;
            }
            final int action = rnd.nextInt(10);
            if (action == 0) {
                // Silence: from a millisecond to minutes.
                final long d = rnd.nextInt(4) == 0 ? (long) rnd.nextInt(300_000) * MS : rnd.nextInt(3000) * MS;
                h.advance(d);
                check(h, where + " after " + d / MS + " ms of silence");
                continue;
            }
            if (action == 1 && h.app.handle >= 0) {
                final int n = 1 + rnd.nextInt(20_000);
                h.engine.write(h.app.handle, new org.agrona.concurrent.UnsafeBuffer(bytes(n, step)), 0, n);
                h.poll();
                check(h, where + " after a write");
                continue;
            }
            if (action == 2 && rnd.nextInt(8) == 0 && h.app.handle >= 0) {
                // The application half-closes or closes: FIN-WAIT, CLOSING, LAST-ACK, TIME-WAIT under attack.
                if (rnd.nextBoolean()) {
                    h.engine.shutdownOutput(h.app.handle);
                } else {
                    h.engine.close(h.app.handle);
                }
                h.poll();
                check(h, where + " after the application closed");
                continue;
            }
            final SegmentBuilder s = h.builder.reset().ports(h.remotePort, h.localPort)
                .flags(flags(rnd));
            s.seq(pick(rnd, peerSeq));
            s.ack(pick(rnd, engSeq));
            s.window(switch (rnd.nextInt(4)) {
                case 0 -> 0;
                case 1 -> rnd.nextInt(64);
                default -> rnd.nextInt(65536);
            });
            if (rnd.nextInt(3) == 0) {
                tsVal += rnd.nextInt(4) == 0 ? -rnd.nextInt(1 << 30) : rnd.nextInt(100);
                s.timestamps(tsVal, rnd.nextInt());
            }
            final int blocks = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(4) : 0;
            for (int k = 0; k < blocks; k++) {
                final int l = pick(rnd, engSeq);
                s.sack(l, rnd.nextInt(3) == 0 ? rnd.nextInt() : l + rnd.nextInt(20_000) - 1000);
            }
            final int len = rnd.nextInt(3) == 0 ? rnd.nextInt(2000) : 0;
            if (len > 0) {
                s.payload(bytes(len, step));
            }
            for (final CapturedSegment out : deliver(h, s, where + " step " + step)) {
                if (Seq.gt(out.seq() + out.segLen(), engSeq) || rnd.nextInt(8) == 0) {
                    engSeq = out.seq() + out.segLen();
                }
                if (out.has(ACK)) {
                    engAck = out.ack();
                }
            }
            sent++;
            STATES[stateOf(h) & 0xF]++;
            // A plausible peer mostly follows what it was acknowledged.
            if (rnd.nextInt(3) != 0) {
                peerSeq = engAck;
            } else if (len > 0) {
                peerSeq += len;
            }
        }
        // The application closes; the peer falls silent. Everything must come back.
        if (h.app.handle >= 0 && h.engine.state(h.app.handle) != TcpState.CLOSED) {
            h.engine.close(h.app.handle);
        }
        for (int i = 0; i < 100_000 && h.engine.nextDeadlineNs() != Long.MAX_VALUE; i++) {
            h.clock.advanceTo(Math.max(h.now(), h.engine.nextDeadlineNs()));
            h.engine.poll(h.now(), h.out);
            h.out.drain();
            check(h, where + " while running down");
        }
        assertEquals(0, h.engine.connectionCount(), where + ": a TCB held after the peer fell silent");
        assertEquals(0, h.engine.scheduledTimers(), where + ": timers left");
        assertEquals(h.engine.bufferChunks(), h.engine.freeBufferChunks(), where + ": buffers left");
        return sent;
    }

    /** The state of the connection under attack (the app's handle dies at onClose; the TCB may live on). */
    private static int stateOf(final Harness h) {
        int best = TcpState.CLOSED;
        for (int port = PEER_PORT; port <= h.remotePort; port++) {
            final int st = h.engine.stateOfTuple(LOCAL_IP, SERVER_PORT, REMOTE_IP, port);
            if (st != TcpState.CLOSED) {
                best = st;
            }
        }
        return best;
    }

    /** Mostly ACKs (with data), sometimes a FIN, rarely a RST or a SYN, now and then any combination. */
    private static int flags(final SplittableRandom rnd) {
        final int r = rnd.nextInt(100);
        return r < 80 ? (rnd.nextBoolean() ? ACK : ACK | PSH) : r < 88 ? ACK | FIN : r < 91 ? ACK | RST
            : FLAG_SETS[rnd.nextInt(FLAG_SETS.length)];
    }

    /** A sequence number in, around or far from {@code base}, across the 2^32 wrap. */
    private static int pick(final SplittableRandom rnd, final int base) {
        return switch (rnd.nextInt(10)) {
            case 0 -> rnd.nextInt();
            case 1 -> base + rnd.nextInt(1 << 20) - (1 << 19);
            case 2 -> base + Integer.MIN_VALUE + rnd.nextInt(3) - 1; // exactly 2^31 away
            case 3 -> base - rnd.nextInt(100_000);
            case 4, 5 -> base + rnd.nextInt(3000) - 100;
            default -> base; // exactly what is expected: in-order data, acceptable ACKs, a FIN in order
        };
    }

    private static List<CapturedSegment> deliver(final Harness h, final SegmentBuilder s, final String where) {
        try {
            final List<CapturedSegment> out = h.send(s);
            check(h, where);
            return out;
        } catch (final AssertionError e) {
            throw e;
        } catch (final Throwable e) {
            throw new AssertionError(where + ": the engine threw " + e, e);
        }
    }

    private static void check(final Harness h, final String where) {
        final String v = h.engine.invariantViolation();
        if (v != null) {
            fail(where + ": " + v);
        }
        final long next = h.engine.nextDeadlineNs();
        assertTrue(next == 0 || next == Long.MAX_VALUE || next >= h.now() - 2 * h.config.timerTickNs,
            where + ": a deadline in the past " + next + " at " + h.now());
    }
}
