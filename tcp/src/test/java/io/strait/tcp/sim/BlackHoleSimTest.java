package io.strait.tcp.sim;

import io.strait.tcp.CloseReason;
import io.strait.tcp.EntropySource;
import io.strait.tcp.TcpConfig;
import io.strait.tcp.TcpCounters;
import io.strait.tcp.TcpEngine;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A path MTU black hole (RFC 2923 §2.1) in the two-engine simulation: the wire silently drops every IP datagram
 * longer than 1280 bytes, and no ICMP comes back. Both ends negotiate MSS 1460 (timestamps and SACK on, as
 * {@code serve} runs), so every full-size segment vanishes; RFC 4821 packetization-layer PMTUD ({@code MtuProbing})
 * must find the black hole from the timeouts, carry on at the base size and find the exact MTU by probing. The
 * sender's segments, counted on the wire, show what happened; every byte is checked on arrival.
 */
class BlackHoleSimTest {
    static final int IP_A = 0xC6120002;
    static final int IP_B = 0xC6120001;
    static final int MTU = 1280;
    static final long TOTAL = 20L << 20;

    @ParameterizedTest(name = "congestion control {0}")
    @ValueSource(ints = {TcpConfig.CC_NEWRENO, TcpConfig.CC_CUBIC, TcpConfig.CC_BBR})
    @DisplayName("RFC 4821 §7.7 + §7.3: 20 MB through a 1280-byte black hole: the MSS falls to 1024, then probes find 1240 exactly")
    void transferThroughABlackHole(final int cc) {
        final Run r = new Run(TcpConfig.builder().maxConnections(4).largeBuffers(1 << 20, 4).congestionControl(cc)
            .build(), 7 + cc);
        r.wire.mtu(MTU);
        r.wire.tap(r.bigFromSender);
        r.runToEnd(120_000_000_000L);
        final TcpCounters c = r.b.counters();
        assertEquals(TOTAL, r.rx.received, "bytes received");
        assertEquals(1, c.pmtuBlackholes.get(), "one black hole");
        assertEquals(MTU - 40, r.finalMss, "the search ends on the path's exact MTU (1280 - 40)");
        assertTrue(c.pmtuProbeSuccesses.get() >= 3 && c.pmtuProbeFailures.get() >= 1, () -> "probes " + r);
        // What was refused: the first flight (IW10, a loss probe and its retransmissions at 1460 before the third
        // timeout) and the failed probes, nothing else.
        assertEquals(c.pmtuProbeFailures.get() + r.bigBeforeBlackHole, r.bigFromSender.count, () -> "refused " + r);
        assertTrue(c.rtoExpiries.get() <= 4, () -> "timeouts " + c.rtoExpiries.get() + " " + r);
        assertTrue(r.doneNs - r.startNs < 10_000_000_000L, () -> "virtual time to the last byte " + r);
        r.checkClosedAndNoLeaks();
        System.out.printf("black hole sim (cc %d): %s%n", cc, r);
    }

    @ParameterizedTest(name = "congestion control {0}")
    @ValueSource(ints = {TcpConfig.CC_NEWRENO, TcpConfig.CC_CUBIC})
    @DisplayName("RFC 4821 §7.3 (reprobe, Linux tcp_probe_interval): once the path carries 1500 bytes again, the next search returns the MSS to 1460")
    void pathGrowsBackAfterTheProbeInterval(final int cc) {
        final Run r = new Run(TcpConfig.builder().maxConnections(4).largeBuffers(1 << 20, 4).congestionControl(cc)
            .mtuProbeIntervalNs(200_000_000L).build(), 11 + cc);
        r.wire.mtu(MTU);
        // Run until the search has closed on 1240, then open the path and let the rest of the transfer run.
        r.wire.runUntil(() -> r.tx.handle >= 0 && r.b.sendMss(r.tx.handle) == MTU - 40
            && r.b.counters().pmtuProbeFailures.get() > 0 && r.rx.received > (2 << 20), 60_000_000_000L);
        assertEquals(MTU - 40, r.b.sendMss(r.tx.handle));
        r.wire.mtu(1500);
        r.runToEnd(120_000_000_000L);
        assertEquals(TOTAL, r.rx.received);
        assertEquals(1460, r.finalMss, "the reprobe found the full size again");
        r.checkClosedAndNoLeaks();
    }

    @org.junit.jupiter.api.Test
    @DisplayName("Without RFC 4821 (mtuProbing off) the same black hole stalls the connection until R2: what the probing prevents")
    void withoutProbingTheConnectionTimesOut() {
        final Run r = new Run(TcpConfig.builder().maxConnections(4).mtuProbing(false).maxRetransmits(6).build(), 3);
        r.wire.mtu(MTU);
        r.runToEnd(600_000_000_000L);
        assertTrue(r.rx.received < 64 << 10, () -> "received " + r.rx.received);
        assertEquals(CloseReason.TIMEOUT, r.tx.closeReason);
        assertEquals(0, r.b.counters().pmtuBlackholes.get());
    }

    /** Counts the sender's segments whose IP datagram exceeds {@link #MTU}. */
    static final class BigCounter implements SimWire.Tap {
        long count;

        @Override
        public void onTransmit(final long nowNs, final int srcIp, final int dstIp, final DirectBuffer segment,
            final int length, final boolean dropped) {
            if (srcIp == IP_B && 20 + length > MTU) {
                count++;
            }
        }
    }

    /** A (receiver, port 80) and B (sender, active open) over a wire with 1 ms one-way delay. */
    static final class Run {
        final VirtualClock clock = new VirtualClock(1_000_000_000L);
        final TcpEngine a;
        final TcpEngine b;
        final SimWire wire;
        final LongTransferSimTest.Receiver rx;
        final LongTransferSimTest.Sender tx;
        final BigCounter bigFromSender = new BigCounter();
        final long startNs = clock.nowNs();
        long bigBeforeBlackHole = -1;
        int finalMss = -1;
        /** When the last byte arrived. */
        long doneNs = Long.MAX_VALUE;

        Run(final TcpConfig config, final long seed) {
            a = new TcpEngine(config, EntropySource.seeded(~seed), TwoEngineSimTest.counters(), "a.");
            b = new TcpEngine(config, EntropySource.seeded(seed), TwoEngineSimTest.counters(), "b.");
            wire = new SimWire(seed, FaultPlan.clean(1_000_000), clock);
            wire.attach(a, IP_A, b, IP_B);
            rx = new LongTransferSimTest.Receiver(a);
            tx = new LongTransferSimTest.Sender(b, TOTAL);
            a.listen(80, rx);
            assertTrue(b.connect(IP_B, IP_A, 80, tx, clock.nowNs()) >= 0);
        }

        void runToEnd(final long maxNs) {
            while (!(rx.closed && tx.closed && a.connectionCount() == 0 && b.connectionCount() == 0)
                && clock.nowNs() - startNs < maxNs) {
                if (bigBeforeBlackHole < 0 && b.counters().pmtuBlackholes.get() > 0) {
                    bigBeforeBlackHole = bigFromSender.count;
                }
                if (doneNs == Long.MAX_VALUE && rx.received == TOTAL) {
                    doneNs = clock.nowNs();
                }
                if (tx.handle >= 0 && b.sendMss(tx.handle) > 0 && !tx.closed) {
                    finalMss = b.sendMss(tx.handle);
                }
                if (!wire.step()) {
                    break;
                }
                assertNull(rx.error, rx.error);
            }
        }

        void checkClosedAndNoLeaks() {
            assertTrue(rx.closeReason == CloseReason.NORMAL || rx.closeReason == CloseReason.PEER_FIN,
                () -> "receiver closed with " + rx.closeReason);
            assertNull(TwoEngineSimTest.leaks(a));
            assertNull(TwoEngineSimTest.leaks(b));
        }

        @Override
        public String toString() {
            final TcpCounters c = b.counters();
            return String.format("last byte at %.2f s virtual, received %d, final MSS %d, refused %d (before the black hole %d), "
                    + "black holes %d, probes %d (+%d -%d), RTOs %d, segments %d", (doneNs - startNs) / 1e9,
                rx.received, finalMss, bigFromSender.count, bigBeforeBlackHole, c.pmtuBlackholes.get(),
                c.pmtuProbes.get(), c.pmtuProbeSuccesses.get(), c.pmtuProbeFailures.get(), c.rtoExpiries.get(),
                wire.sent);
        }
    }
}
