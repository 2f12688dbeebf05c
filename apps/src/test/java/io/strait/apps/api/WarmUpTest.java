package io.strait.apps.api;

import io.strait.apps.servers.EchoServer;
import io.strait.tcp.TcpConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WarmUpTest {
    @Test
    void stackWarmUpCompletesEveryExchangeOfAnEchoApp() {
        final TcpConfig config = TcpConfig.builder().maxConnections(64).build();
        final long t0 = System.nanoTime();
        final long done = WarmUp.runStack(core -> EchoServer.INSTANCE, config, new byte[64], 64, 8, 2_000, 0,
            30_000_000_000L);
        System.out.println("warm-up: " + done + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertEquals(2_000, done);
    }

    @Test
    void lossyPhaseRunsLossRecoveryAndCompletesEveryBulkExchange() {
        final TcpConfig config = TcpConfig.builder().maxConnections(64).build();
        final io.strait.apps.servers.HttpServer http = new io.strait.apps.servers.HttpServer(config);
        final byte[] get = "GET /bytes/262144 HTTP/1.1\r\nHost: w\r\n\r\n".getBytes(
            java.nio.charset.StandardCharsets.US_ASCII);
        final org.agrona.concurrent.status.CountersManager counters = WarmUp.counters();
        final long done = WarmUp.runStack(core -> http, config, get,
            (int) io.strait.apps.servers.HttpResponseHead.bytesResponseLength(262144), 4, 60, 0, 60_000_000_000L, 0.02,
            0.01, counters);
        assertEquals(60, done, "every response counted whole, through loss and reordering");
        final java.util.Map<String, Long> c = new java.util.HashMap<>();
        counters.forEach((value, id, label) -> c.put(label, value));
        assertTrue(c.get("warm.s.retransmits") > 100, "the server recovered from its losses: " + c);
        assertTrue(c.get("warm.s.sack_retransmits") > 0, "by SACK: " + c);
    }
}
