package io.strait.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, the peer's kernel resetting every connection: 200 idle echo connections plus 10 streaming ones, then the
 * Linux peer resets them all, either by destroying its sockets ({@code ss -K}, which sends a RST from each, as
 * {@code tcp_abort} does) or by a firewall rule answering every segment from Strait with a RST (nftables
 * {@code reject with tcp reset}). Strait must accept those RSTs (RFC 9293 §3.10.7.4 second check; RFC 5961 §3.2:
 * one whose sequence number is not exactly RCV.NXT gets a challenge ACK, and the RST that answers it is exact), close
 * every connection (every TCB freed), count them ({@code tcp.resets_in}) and serve new connections.
 */
class PeerResetIT {
    static final int IDLE = 200;
    static final int STREAMING = 10;
    /** Clients: IDLE echo-checked connections held idle, STREAMING ones pumping 16 KB round trips; then a poke. */
    static final String CLIENTS = """
        import socket, threading, time, sys
        idle, stream = [], []
        for i in range(%d):
            s = socket.create_connection(('198.18.0.2', 7), timeout=10)
            s.sendall(b'x')
            assert s.recv(1) == b'x'
            idle.append(s)
        def pump(s):
            buf = b'y' * 16384
            try:
                while True:
                    s.sendall(buf)
                    got = 0
                    while got < len(buf):
                        b = s.recv(65536)
                        if not b:
                            return
                        got += len(b)
            except OSError:
                pass
        for i in range(%d):
            s = socket.create_connection(('198.18.0.2', 7), timeout=10)
            stream.append(s)
            threading.Thread(target=pump, args=(s,), daemon=True).start()
        print('ready', len(idle) + len(stream))
        sys.stdin.readline()          # the test says when to poke: every idle connection sends a byte
        sent = 0
        for s in idle:
            try:
                s.sendall(b'z'); sent += 1
            except OSError:
                pass
        print('poked', sent)
        sys.stdin.readline()
        """.formatted(IDLE, STREAMING);

    static StraitServer echo;

    @BeforeAll
    static void start() {
        echo = StraitServer.start("--app", "echo");
    }

    @AfterAll
    static void stop() {
        Cmd.peer(10, "nft", "delete", "table", "inet", "strait_reset");
        if (echo != null) {
            echo.stopClean();
        }
    }

    @Test
    void socketsDestroyedByTheKernel() throws Exception {
        resetAll(() -> {
            final Cmd.Result r = Cmd.peer(20, "ss", "-K", "dst", "198.18.0.2");
            assertEquals(0, r.exit(), "ss -K needs a kernel with CONFIG_INET_DIAG_DESTROY: " + r);
        }, false);
    }

    @Test
    void everySegmentRejectedWithATcpReset() throws Exception {
        resetAll(() -> {
            final Cmd.Result r = Cmd.peer(20, "nft", "add table inet strait_reset; "
                + "add chain inet strait_reset in { type filter hook input priority 0; }; "
                + "add rule inet strait_reset in ip saddr 198.18.0.2 tcp sport 7 reject with tcp reset");
            assertEquals(0, r.exit(), r.toString());
        }, true);
        assertEquals(0, Cmd.peer(10, "nft", "delete", "table", "inet", "strait_reset").exit());
        assertEquals("back\n", Cmd.peer(20, "sh", "-c", "printf 'back\\n' | nc -q 2 198.18.0.2 7").out(),
            "served once the rule is gone");
    }

    private static void resetAll(Runnable reset, boolean poke) throws Exception {
        final Map<String, Long> before = echo.stat();
        final Process clients = WireFaults.peerPython(CLIENTS);
        final java.io.Writer toClients = clients.outputWriter();
        try {
            WireFaults.awaitLine(clients, "ready " + (IDLE + STREAMING), 60);
            final Map<String, Long> held = WireFaults.awaitEstablished(echo, IDLE + STREAMING, 20);
            assertEquals(IDLE + STREAMING, held.get("tcp.conn_established"), "all held: " + held);
            reset.run();
            if (poke) { // the rule resets a connection when Strait sends on it: make every idle one echo
                toClients.write("\n");
                toClients.flush();
                WireFaults.awaitLine(clients, "poked", 20);
            }
            final Map<String, Long> after = WireFaults.awaitNoConnection(echo, 20);
            final String context = "\n" + WireFaults.moved(before, after);
            System.out.println((poke ? "nft reject" : "ss -K") + ":" + context);
            assertEquals(0L, WireFaults.open(after), "every connection closed, its TCB freed" + context);
            assertEquals(0L, after.getOrDefault("tcp.conn_time_wait", 0L), "a reset leaves no TIME_WAIT" + context);
            assertTrue(after.get("tcp.resets_in") - before.getOrDefault("tcp.resets_in", 0L) >= IDLE + STREAMING,
                "each reset counted" + context);
            assertEquals(0L, after.getOrDefault("internal_errors", 0L), context);
            assertEquals(0L, after.getOrDefault("tcp.handler_errors", 0L), context);
            assertTrue(after.get("mbuf.in_use") <= before.get("mbuf.in_use") + 64, "mbufs back" + context);
        } finally {
            clients.destroyForcibly().waitFor();
        }
        if (!poke) {
            assertEquals("back\n", Cmd.peer(20, "sh", "-c", "printf 'back\\n' | nc -q 2 198.18.0.2 7").out(),
                "a new connection is served");
        }
    }
}
