package io.strait.it;

import io.strait.apps.api.Connection;
import io.strait.apps.api.ConnectionHandler;
import io.strait.apps.api.Strait;
import io.strait.apps.api.StraitCore;
import io.strait.tcp.CloseReason;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11, section 3: the embedding API in this JVM against the Linux peer: clear errors at the edge, attachments,
 * timers on the core, a connect timeout, and close() ending connections with FIN and onClose. One Strait for the
 * whole class: DPDK 22.11's EAL initialises once per process (the README says so).
 */
class EmbeddingApiIT {
    @Test
    void edgeErrorsTimersAttachmentsConnectTimeoutAndAnOrderlyClose() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> Strait.builder().ip("198.19.1.2"),
            "an address without its prefix is refused, not silently /24");
        final CompletableFuture<Long> timerFired = new CompletableFuture<>();
        final CompletableFuture<Integer> timeoutReason = new CompletableFuture<>();
        final CompletableFuture<String> attachedAtClose = new CompletableFuture<>();
        final CountDownLatch opened = new CountDownLatch(1);
        final Strait strait = Strait.builder().dev("net_af_packet0,iface=strait0").ip("198.18.0.2/24").start();
        try {
            final ConnectionHandler h = new Nothing();
            assertThrows(IllegalArgumentException.class, () -> strait.listen(70000, h), "70000 is not a port");
            strait.listen(7300, h);
            final IllegalStateException twice = assertThrows(IllegalStateException.class, () -> strait.listen(7300, h));
            assertTrue(twice.getMessage().contains("already listening on port 7300"), twice.getMessage());
            assertThrows(IllegalArgumentException.class,
                () -> strait.listen(new InetSocketAddress("198.18.0.9", 7301), h), "not our address");

            strait.listen(7302, new Nothing() {
                @Override
                public void onOpen(Connection c) {
                    c.attach("state of " + c.remotePort());
                    opened.countDown();
                }

                @Override
                public void onClose(Connection c, int reason) {
                    attachedAtClose.complete(c.attachment() + " reason " + CloseReason.name(reason));
                }
            });
            final StraitCore core = strait.core(0);
            final long scheduledAt = System.nanoTime();
            while (!core.execute(() -> core.schedule(200_000_000L,
                () -> timerFired.complete((System.nanoTime() - scheduledAt) / 1_000_000)))) {
                Thread.onSpinWait();
            }
            final long t0 = System.nanoTime();
            strait.connect(new InetSocketAddress("198.18.0.77", 80), new Nothing() { // nobody answers ARP there
                @Override
                public void onClose(Connection c, int reason) {
                    timeoutReason.complete(reason);
                }
            }, Duration.ofMillis(1000));

            final long ms = timerFired.get(5, TimeUnit.SECONDS);
            assertTrue(ms >= 195 && ms < 1000, "timer of 200 ms fired after " + ms + " ms");
            assertEquals(CloseReason.TIMEOUT, timeoutReason.get(10, TimeUnit.SECONDS));
            final long connectMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(connectMs >= 950 && connectMs < 4000, "connect gave up after " + connectMs + " ms");

            // Another thread streams 20 MB through a ConnectionRef: the outbound queue holds what the engine cannot
            // take yet, accepts less past its limit (the sender waits and retries), and close() sends FIN after it.
            final long streamBytes = 20_000_000L;
            strait.listen(7303, new Nothing() {
                @Override
                public void onOpen(Connection c) {
                    final io.strait.apps.api.ConnectionRef ref = c.ref();
                    Thread.ofPlatform().start(() -> {
                        final byte[] chunk = new byte[251 * 256];
                        for (int i = 0; i < chunk.length; i++) {
                            chunk[i] = (byte) (i % 251);
                        }
                        long sent = 0;
                        while (sent < streamBytes) {
                            final int n = (int) Math.min(chunk.length, streamBytes - sent);
                            int done = 0;
                            while (done < n) {
                                final int accepted = ref.send(chunk, done, n - done).join();
                                if (accepted < 0) {
                                    return;
                                }
                                done += accepted;
                                if (accepted == 0) {
                                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                                }
                            }
                            sent += n;
                        }
                        ref.close();
                    });
                }
            });
            final Cmd.Result streamed = Cmd.peer(120, "/usr/bin/python3", "-c", """
                import socket, time
                s = socket.create_connection(('198.18.0.2', 7303), timeout=60)
                time.sleep(2)  # not reading at first: the engine and the outbound queue fill
                pat = bytes(i % 251 for i in range(251))
                n = 0; ok = True; buf = b''
                while True:
                    c = s.recv(1 << 20)
                    if not c: break
                    buf += c
                    k = (len(buf) // 251) * 251
                    ok = ok and all(buf[j:j + 251] == pat for j in range(0, k, 251))
                    n += k; buf = buf[k:]
                n += len(buf); ok = ok and buf == pat[:len(buf)]
                print(n, ok)
                """);
            assertEquals(streamBytes + " True", streamed.out().strip(), streamed.toString());

            // A peer holds a connection open; close() must end it with FIN (the peer reads EOF) and run onClose.
            final CompletableFuture<Cmd.Result> peer = CompletableFuture.supplyAsync(() -> Cmd.peer(60,
                "/usr/bin/python3", "-c", """
                import socket, time
                s = socket.create_connection(('198.18.0.2', 7302), timeout=30)
                t = time.time()
                print('eof' if s.recv(10) == b'' else 'data')
                """));
            assertTrue(opened.await(20, TimeUnit.SECONDS), "the peer connected");
            strait.close();
            assertEquals("eof", peer.get(30, TimeUnit.SECONDS).out().strip(), "close() sent FIN");
            final String closed = attachedAtClose.get(5, TimeUnit.SECONDS);
            assertTrue(closed.startsWith("state of ") && closed.contains("reason"), closed);
        } finally {
            strait.close();
        }
    }

    static class Nothing implements ConnectionHandler {
        @Override
        public void onOpen(Connection c) {
        }

        @Override
        public int onData(Connection c, DirectBuffer b, int offset, int length) {
            return length;
        }

        @Override
        public void onClose(Connection c, int reason) {
        }
    }
}
