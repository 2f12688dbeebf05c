package io.strait.tcp.sim;

import io.strait.tcp.EntropySource;
import io.strait.tcp.TcpConfig;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.TcpHandler;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static io.strait.tcp.sim.TwoEngineSimTest.*;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Many concurrent connections between two engines, opened at once: the table, the timer wheel and (with a tiny
 * backlog on a clean wire) SYN cookies under load. Every connection moves its bytes both ways and closes cleanly;
 * both engines end with no TCB, timer or buffer chunk in use. {@code -Dstrait.sim.many.seeds=N} for more.
 */
class ManyConnectionsSimTest {
    @Test
    @DisplayName("RFC 9293 + RFC 4987: 8-48 concurrent connections per seed, with and without SYN cookies")
    void manyConnections() {
        final int seeds = Integer.getInteger("strait.sim.many.seeds", 40);
        for (long seed = 1; seed <= seeds; seed++) {
            final String error = run(seed, null);
            if (error != null) {
                final Path pcap = Path.of("target", "sim-failures", "many-seed-" + seed + ".pcap");
                final PcapWriter w = PcapWriter.inMemory(PcapWriter.LINKTYPE_RAW);
                run(seed, w);
                w.writeTo(pcap);
                System.err.println("SIM FAILURE many seed=" + seed + ": " + error + " pcap=" + pcap.toAbsolutePath());
                fail("many-connections seed " + seed + ": " + error + " pcap: " + pcap.toAbsolutePath());
            }
        }
    }

    static String run(final long seed, final PcapWriter pcap) {
        final SplittableRandom rnd = new SplittableRandom(seed * 31 + 5);
        final boolean cookies = seed % 2 == 0;
        final int n = 8 + rnd.nextInt(41);
        // SYN cookies lose the connection if the third ACK and the first data segment are both lost or
        // reordered (RFC 4987 §3.6, as Linux): the cookie runs use a wire without loss or reordering.
        final FaultPlan plan = cookies ? FaultPlan.clean(200_000 + rnd.nextLong(2_000_000))
            : FaultPlan.builder().delayNs(200_000 + rnd.nextLong(2_000_000)).jitterNs(rnd.nextLong(1_000_000))
                .loss(rnd.nextDouble() * 0.05).duplicate(rnd.nextDouble() * 0.02).corrupt(rnd.nextDouble() * 0.02)
                .build();
        final TcpConfig ca = TcpConfig.builder().maxConnections(64).listenBacklog(cookies ? 2 : 64)
            .sendBufferBytes(32 * 1024).receiveBufferBytes(32 * 1024).mslNs(5_000_000_000L)
            .maxSynRetransmits(12).congestionControl(rnd.nextBoolean() ? TcpConfig.CC_CUBIC : TcpConfig.CC_NEWRENO)
            .timestamps(rnd.nextBoolean()).sack(rnd.nextBoolean()).build();
        final TcpConfig cb = TcpConfig.builder().maxConnections(64).sendBufferBytes(32 * 1024)
            .receiveBufferBytes(32 * 1024).mslNs(5_000_000_000L).maxSynRetransmits(12).build();
        final VirtualClock clock = new VirtualClock(1_000_000_000L);
        final CountersManager cma = counters();
        final TcpEngine a = new TcpEngine(ca, EntropySource.seeded(seed), cma, "a.");
        final TcpEngine b = new TcpEngine(cb, EntropySource.seeded(~seed), counters(), "b.");
        final SimWire wire = new SimWire(seed, plan, clock);
        if (pcap != null) {
            wire.pcap(pcap);
        }
        wire.attach(a, IP_A, b, IP_B);
        final Dispatch server = new Dispatch((handle, port) -> newApp(a, seed, a.remotePort(handle), rnd, true));
        final Dispatch client = new Dispatch(null);
        a.listen(PORT, server);
        final List<App> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final long h = b.connect(IP_B, IP_A, PORT, client, clock.nowNs());
            if (h < 0) {
                return "connect failed";
            }
            final App app = newApp(b, seed, b.localPort(h), rnd, false);
            client.apps.put(h, app);
            all.add(app);
        }
        wire.runUntil(() -> a.connectionCount() == 0 && b.connectionCount() == 0 && allClosed(all)
            && allClosed(server.apps.values()), clock.nowNs() + 2_000_000_000_000L);
        if (server.apps.size() != n) {
            return "server saw " + server.apps.size() + " of " + n + " connections; counters " + dump(cma);
        }
        for (final App app : all) {
            if (app.error != null || !app.closed || app.received != app.expect.length
                || !Scenario.okReason(app.closeReason)) {
                return "client " + app + " error " + app.error + " reason " + app.closeReason;
            }
        }
        for (final App app : server.apps.values()) {
            if (app.error != null || !app.closed || app.received != app.expect.length
                || !Scenario.okReason(app.closeReason)) {
                return "server " + app + " error " + app.error + " reason " + app.closeReason;
            }
        }
        if (cookies && counterOf(cma, "a.syn_cookies_accepted") == 0) {
            return "no SYN cookie was used";
        }
        final String la = leaks(a);
        final String lb = leaks(b);
        return la != null || lb != null ? "leak A: " + la + " B: " + lb : null;
    }

    static long counterOf(final CountersManager m, final String label) {
        final long[] v = {-1};
        m.forEach((id, l) -> {
            if (l.equals(label)) {
                v[0] = m.getCounterValue(id);
            }
        });
        return v[0];
    }

    static boolean allClosed(final Iterable<App> apps) {
        for (final App app : apps) {
            if (!app.closed) {
                return false;
            }
        }
        return true;
    }

    /** Client port p: client sends stream(seed, p, 1), server sends stream(seed, p, 2); sizes from the port. */
    static App newApp(final TcpEngine e, final long seed, final int clientPort, final SplittableRandom rnd,
        final boolean server) {
        final SplittableRandom sizes = new SplittableRandom(seed ^ clientPort);
        final int up = sizes.nextInt(128 * 1024);
        final int down = sizes.nextInt(128 * 1024);
        final byte[] upBytes = stream(seed * 7919 + clientPort, up);
        final byte[] downBytes = stream(seed * 7919 + clientPort + 65536, down);
        return server ? new App(e, downBytes, upBytes, new SplittableRandom(rnd.nextLong()))
            : new App(e, upBytes, downBytes, new SplittableRandom(rnd.nextLong()));
    }

    interface Factory {
        App create(long handle, int remotePort);
    }

    /** Routes callbacks to one {@link App} per handle (the server creates them on onOpen). */
    static final class Dispatch implements TcpHandler {
        final Map<Long, App> apps = new HashMap<>();
        final Factory factory;

        Dispatch(final Factory factory) {
            this.factory = factory;
        }

        App app(final long h) {
            return apps.get(h);
        }

        @Override
        public void onOpen(final long h) {
            App app = apps.get(h);
            if (app == null) {
                app = factory.create(h, 0);
                apps.put(h, app);
            }
            app.onOpen(h);
        }

        @Override
        public int onData(final long h, final DirectBuffer buffer, final int offset, final int length) {
            return app(h).onData(h, buffer, offset, length);
        }

        @Override
        public void onReadComplete(final long h) {
            app(h).onReadComplete(h);
        }

        @Override
        public void onWritable(final long h) {
            app(h).onWritable(h);
        }

        @Override
        public void onPeerFin(final long h) {
            app(h).onPeerFin(h);
        }

        @Override
        public void onClose(final long h, final int reason) {
            final App app = app(h);
            if (app != null) {
                app.onClose(h, reason);
            }
        }
    }
}
