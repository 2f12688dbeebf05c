package io.strait.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 2: the same dataplane over {@code net_memif} between two Strait processes (no kernel on the path), each
 * pinging the other: ICMP both ways, ARP resolved over memif.
 */
class MemifIT {
    @Test
    void twoStraitProcessesPingEachOtherOverMemif() throws Exception {
        final Path socket = Files.createTempDirectory("strait-memif").resolve("memif.sock");
        final String root = Cmd.ROOT.resolve("setup/strait").toString();
        final CompletableFuture<Cmd.Result> server = CompletableFuture.supplyAsync(() -> Cmd.run(120, Map.of(),
            List.of(root, "ping", "--dev", "net_memif0,role=server,socket-abstract=no,socket=" + socket, "--ip", "198.18.2.1/24",
                "--target", "198.18.2.2", "--count", "20", "--interval", "100", "--timeout", "20000",
                "--linger", "3000")));
        // The client needs the server's socket to exist.
        final long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Files.exists(socket) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(socket), "memif server created its socket");
        final Cmd.Result client = Cmd.run(120, Map.of(), List.of(root, "ping", "--dev",
            "net_memif0,role=client,socket-abstract=no,socket=" + socket, "--ip", "198.18.2.2/24", "--target", "198.18.2.1",
            "--count", "20", "--interval", "100", "--timeout", "20000", "--linger", "3000"));
        final Cmd.Result srv = server.get();
        assertEquals(0, client.exit(), "client -> server pings: " + client);
        assertEquals(0, srv.exit(), "server -> client pings: " + srv);
        assertTrue(client.out().contains("20 transmitted, 20 received"), client.out());
        assertTrue(srv.out().contains("20 transmitted, 20 received"), srv.out());
    }

    @Test
    void pingPongPastSixtyFiveThousandRequestsAgainstAStraitServer() throws Exception {
        // Ping-pong (--interval 0): each request leaves from the previous reply's cycle; ICMP sequence numbers have
        // 16 bits, so 70,000 requests wrap them once and every reply must still be matched to its request.
        final Path socket = Files.createTempDirectory("strait-memif").resolve("memif.sock");
        final String root = Cmd.ROOT.resolve("setup/strait").toString();
        final Process serve = new ProcessBuilder(root, "serve", "--app", "echo", "--cpus", "1", "--dev",
            "net_memif0,role=server,socket-abstract=no,socket=" + socket, "--ip", "198.18.2.1/24")
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            final long deadline = System.nanoTime() + 60_000_000_000L;
            while (!Files.exists(socket) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(Files.exists(socket), "memif server created its socket");
            final Cmd.Result client = Cmd.run(120, Map.of(), List.of("taskset", "-c", "0", root, "ping", "--dev",
                "net_memif0,role=client,socket-abstract=no,socket=" + socket, "--ip", "198.18.2.2/24", "--target",
                "198.18.2.1", "--count", "70000", "--interval", "0", "--timeout", "20000"));
            assertEquals(0, client.exit(), client.toString());
            assertTrue(client.out().contains("70000 transmitted, 70000 received, 0% loss"), client.out());
            assertFalse(client.out().contains("icmp_seq="), "ping-pong prints no reply lines");
        } finally {
            serve.destroy();
            serve.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
