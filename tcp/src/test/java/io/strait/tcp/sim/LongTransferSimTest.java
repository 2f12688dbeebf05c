package io.strait.tcp.sim;

import io.strait.tcp.CloseReason;
import io.strait.tcp.EntropySource;
import io.strait.tcp.TcpConfig;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.TcpHandler;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The long run (issue 10): one connection carries {@code -Dstrait.long.bytes} (1 GB by default, 10 GB in the long
 * profile) over a slightly lossy wire, from an initial sequence number chosen so the transfer crosses 2^32, with
 * BBR and buffer autotuning as {@code serve} runs them. Every byte is checked on the fly (byte i is i mod 251), the
 * window never wraps, the connection closes cleanly and nothing leaks.
 */
class LongTransferSimTest {
    static final int IP_A = 0xC6120002;
    static final int IP_B = 0xC6120001;
    static final long GB = 1L << 30;
    /** The initial sequence number the chosen seed gives the sender (found by {@link #seedWhoseIsnWraps}). */
    static long foundIss;

    @Test
    @DisplayName("RFC 9293 §3.4 (sequence wrap) and issue 10 #2: a gigabyte through one connection across 2^32, byte exact")
    void gigabyteAcrossTheWrap() {
        final long total = Long.getLong("strait.long.bytes", GB);
        final long seed = seedWhoseIsnWraps(total);
        final VirtualClock clock = new VirtualClock(1_000_000_000L);
        final TcpConfig config = TcpConfig.builder().maxConnections(4).sendBufferBytes(64 << 10)
            .receiveBufferBytes(64 << 10).largeBuffers(1 << 20, 4).congestionControl(TcpConfig.CC_BBR).build();
        final TcpEngine a = new TcpEngine(config, EntropySource.seeded(~seed), TwoEngineSimTest.counters(), "a.");
        final TcpEngine b = new TcpEngine(config, EntropySource.seeded(seed), TwoEngineSimTest.counters(), "b.");
        final SimWire wire = new SimWire(seed, FaultPlan.builder().delayNs(100_000).loss(0.001).build(), clock);
        wire.attach(a, IP_A, b, IP_B);
        final Receiver rx = new Receiver(a);
        final Sender tx = new Sender(b, total);
        a.listen(80, rx);
        assertTrue(b.connect(IP_B, IP_A, 80, tx, clock.nowNs()) >= 0);
        final long t0 = System.nanoTime();
        int minCwnd = Integer.MAX_VALUE;
        while (!(rx.closed && tx.closed && a.connectionCount() == 0 && b.connectionCount() == 0)) {
            if (!wire.step()) {
                break;
            }
            if (tx.handle >= 0 && b.congestionWindow(tx.handle) > 0) {
                minCwnd = Math.min(minCwnd, b.congestionWindow(tx.handle));
            }
            assertNull(rx.error, rx.error);
        }
        assertEquals(total, rx.received, "bytes received");
        assertTrue(minCwnd > 0, "cwnd stayed positive");
        assertTrue(rx.closeReason == CloseReason.NORMAL || rx.closeReason == CloseReason.PEER_FIN);
        assertNull(TwoEngineSimTest.leaks(a));
        assertNull(TwoEngineSimTest.leaks(b));
        System.out.printf("long transfer: %d MB across the 2^32 wrap (ISN %s), virtual %.1f s, wall %.1f s, "
                + "segments %d, lost %d%n", total >> 20, Long.toString(foundIss), clock.nowNs() / 1e9,
            (System.nanoTime() - t0) / 1e9, wire.sent, wire.lost);
    }

    /** An entropy seed whose active open picks an ISN within {@code total} bytes below 2^32. */
    static long seedWhoseIsnWraps(final long total) {
        for (long seed = 1; seed < 100_000; seed++) {
            final TcpEngine probe = new TcpEngine(TcpConfig.builder().maxConnections(1).build(),
                EntropySource.seeded(seed), TwoEngineSimTest.counters(), "p.");
            final CaptureSink sink = new CaptureSink(new VirtualClock(1_000_000_000L));
            probe.connect(IP_B, IP_A, 80, new Receiver(probe), 1_000_000_000L);
            probe.poll(1_000_000_000L, sink);
            final long iss = sink.drain().get(0).seq() & 0xFFFF_FFFFL;
            if ((1L << 32) - iss < Math.min(total / 2, GB / 2)) {
                foundIss = iss;
                return seed;
            }
        }
        throw new IllegalStateException("no seed found");
    }

    /** Checks byte i == i mod 251 as it arrives; closes after the peer's FIN. */
    static final class Receiver implements TcpHandler {
        final TcpEngine engine;
        long received;
        boolean closed;
        int closeReason = -1;
        String error;

        Receiver(final TcpEngine engine) {
            this.engine = engine;
        }

        @Override
        public void onOpen(final long handle) {
        }

        @Override
        public int onData(final long handle, final DirectBuffer buffer, final int offset, final int length) {
            for (int k = 0; k < length; k++) {
                if ((buffer.getByte(offset + k) & 0xFF) != (int) ((received + k) % 251) && error == null) {
                    error = "byte " + (received + k) + " is wrong";
                }
            }
            received += length;
            return length;
        }

        @Override
        public void onPeerFin(final long handle) {
            engine.close(handle);
        }

        @Override
        public void onClose(final long handle, final int reason) {
            closed = true;
            closeReason = reason;
        }
    }

    /** Writes byte i = i mod 251 while the engine takes it, then half-closes. */
    static final class Sender implements TcpHandler {
        final TcpEngine engine;
        final long total;
        final UnsafeBuffer pattern = new UnsafeBuffer(ByteBuffer.allocateDirect((64 << 10) + 251));
        long handle = -1;
        long sent;
        boolean closed;
        int closeReason = -1;

        Sender(final TcpEngine engine, final long total) {
            this.engine = engine;
            this.total = total;
            for (int k = 0; k < pattern.capacity(); k++) {
                pattern.putByte(k, (byte) (k % 251));
            }
        }

        @Override
        public void onOpen(final long handle) {
            this.handle = handle;
            pump();
        }

        @Override
        public void onWritable(final long handle) {
            pump();
        }

        private void pump() {
            while (sent < total) {
                final int n = (int) Math.min(64 << 10, total - sent);
                final int w = engine.write(handle, pattern, (int) (sent % 251), n);
                if (w <= 0) {
                    return;
                }
                sent += w;
            }
            engine.shutdownOutput(handle);
        }

        @Override
        public int onData(final long handle, final DirectBuffer buffer, final int offset, final int length) {
            return length;
        }

        @Override
        public void onPeerFin(final long handle) {
            engine.close(handle);
        }

        @Override
        public void onClose(final long handle, final int reason) {
            closed = true;
            closeReason = reason;
        }
    }
}
