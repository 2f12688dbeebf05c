package io.strait.it;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10 (no state held forever by a peer that stops cooperating): a Linux peer whose connection to the echo app
 * goes silent without a FIN or RST (an nftables rule in the peer drops everything Strait sends on it, as a crashed
 * host or a lost route would) is found by TCP keep-alive (RFC 1122 §4.2.3.6, {@code --tcp-keepalive}, on for echo
 * by default) and closed, its TCB freed; a second idle connection whose kernel answers the probes is kept and still
 * echoes afterwards.
 */
class VanishedPeerIT {
    private static final String CLIENTS = """
        import socket, sys
        def conn():
            s = socket.create_connection(('198.18.0.2', 7), timeout=10)
            s.sendall(b'hi\\n')
            assert s.recv(16) == b'hi\\n'
            return s
        gone, alive = conn(), conn()
        print('ready', gone.getsockname()[1], flush=True)
        sys.stdin.readline()          # the test: the silent one is gone; is the other still served?
        alive.sendall(b'still\\n')
        print('alive', alive.recv(16) == b'still\\n', flush=True)
        sys.stdin.readline()
        """;

    @Test
    void aSilentPeerIsClosedByKeepAliveAndAnAnsweringOneIsKept() throws Exception {
        try (StraitServer echo = StraitServer.start("--app", "echo", "--tcp-keepalive", "2,1,3")) {
            final Process clients = WireFaults.peerPython(CLIENTS);
            final java.io.Writer toClients = clients.outputWriter();
            try {
                final String port = WireFaults.awaitLine(clients, "ready ", 30).split(" ")[1];
                assertEquals(2L, WireFaults.awaitEstablished(echo, 2, 10).get("tcp.conn_established"));
                final Cmd.Result rule = Cmd.peer(20, "nft", "add table inet strait_vanish; "
                    + "add chain inet strait_vanish in { type filter hook input priority 0; }; "
                    + "add rule inet strait_vanish in ip saddr 198.18.0.2 tcp sport 7 tcp dport " + port + " drop");
                assertEquals(0, rule.exit(), rule.toString());
                final long t0 = System.nanoTime();
                final Map<String, Long> after = WireFaults.awaitEstablished(echo, 1, 30);
                final double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf("VanishedPeerIT: silent connection closed after %.1f s; keepalive_probes %d, "
                    + "keepalive_timeouts %d, rsts_out %d%n", s, after.get("tcp.keepalive_probes"),
                    after.get("tcp.keepalive_timeouts"), after.get("tcp.rsts_out"));
                assertEquals(1L, after.get("tcp.conn_established"), "the silent one closed: " + after);
                assertEquals(1L, after.getOrDefault("tcp.keepalive_timeouts", 0L), after.toString());
                assertTrue(after.getOrDefault("tcp.keepalive_probes", 0L) >= 3, "three probes unanswered: " + after);
                assertTrue(s > 2 && s < 15, "after about 2 s idle and 3 probes 1 s apart: " + s);
                assertEquals(0L, after.getOrDefault("tcp.conn_time_wait", 0L), "no TIME_WAIT: " + after);
                assertTrue(after.getOrDefault("tcp.rsts_out", 0L) >= 1, "a reset on giving up, as Linux: " + after);
                // Wait until the answering connection has been probed again (2 s idle) and so answered a probe.
                final long probesAtClose = after.get("tcp.keepalive_probes");
                final long deadline = System.nanoTime() + 15_000_000_000L;
                while (echo.counter("tcp.keepalive_probes") <= probesAtClose && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertTrue(echo.counter("tcp.keepalive_probes") > probesAtClose, "the answering one was probed");
                toClients.write("\n");
                toClients.flush();
                assertEquals("alive True", WireFaults.awaitLine(clients, "alive", 20));
                assertEquals(1L, echo.counter("tcp.conn_established"), "the answering one is kept");
                assertEquals(1L, echo.counter("tcp.keepalive_timeouts"));
            } finally {
                Cmd.peer(10, "nft", "delete", "table", "inet", "strait_vanish");
                clients.destroyForcibly().waitFor();
            }
            echo.stopClean();
        }
    }
}
