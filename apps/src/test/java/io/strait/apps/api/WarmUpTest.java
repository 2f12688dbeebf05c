package io.strait.apps.api;

import io.strait.apps.servers.EchoServer;
import io.strait.tcp.TcpConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
