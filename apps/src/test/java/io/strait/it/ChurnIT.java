package io.strait.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 4: connection churn and many idle connections against Strait's http app, from the Linux peer. */
class ChurnIT {
    static StraitServer http;

    @BeforeAll
    static void start() {
        // The client closes first, so TIME_WAIT is on the Linux side: let it reuse ports (RFC 6191-style, timestamps).
        Cmd.peer(10, "sysctl", "-qw", "net.ipv4.tcp_tw_reuse=1");
        Cmd.peer(10, "sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65000");
        http = StraitServer.start("--app", "http");
    }

    @AfterAll
    static void stop() {
        if (http != null) {
            assertEquals(0, http.stop(), http.stderr());
        }
    }

    private static void assertNoConnectionLeft() throws InterruptedException {
        final String[] states = {"syn_received", "established", "close_wait", "last_ack", "fin_wait_1", "fin_wait_2",
            "closing"};
        final long deadline = System.nanoTime() + 30_000_000_000L;
        Map<String, Long> stat;
        while (true) {
            stat = http.stat();
            long open = 0;
            for (String s : states) {
                open += stat.getOrDefault("tcp.conn_" + s, 0L);
            }
            if (open == 0 || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(500);
        }
        for (String s : states) {
            assertEquals(0L, stat.getOrDefault("tcp.conn_" + s, 0L), "no connection left in " + s);
        }
    }

    @Test
    void hundredThousandSequentialShortConnections() throws Exception {
        final long before = http.counter("tcp.passive_opens");
        final Cmd.Result r = Cmd.peer(600, "ab", "-n", "100000", "-c", "1", "-r", "http://198.18.0.2/");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("Complete requests:      100000"), r.out());
        assertTrue(r.out().contains("Failed requests:        0"), r.out());
        assertTrue(!r.out().contains("Non-2xx"), r.out());
        assertTrue(http.counter("tcp.passive_opens") >= before + 100_000, "every request on its own connection");
        assertNoConnectionLeft();
    }

    @Test
    void tenThousandIdleKeepAliveConnectionsHeldThenAllServed() throws Exception {
        final Cmd.Result r = Cmd.peer(600, "/usr/bin/python3", "-c", """
            import socket, resource, time
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            req = b'GET / HTTP/1.1\\r\\nHost: strait\\r\\n\\r\\n'
            def answer(s):
                got = b''
                while not got.endswith(b'hello\\n'):
                    b = s.recv(4096)
                    if not b: return False
                    got += b
                return got.startswith(b'HTTP/1.1 200 OK')
            socks = []
            for i in range(10000):
                s = socket.create_connection(('198.18.0.2', 80), timeout=30)
                socks.append(s)
            print('open', len(socks))
            time.sleep(3)  # all idle, all held
            for s in socks: s.sendall(req)
            ok = sum(1 for s in socks if answer(s))
            print('served', ok)
            for s in socks: s.close()
            """);
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("open 10000"), r.toString());
        assertTrue(r.out().contains("served 10000"), r.toString());
        assertNoConnectionLeft();
    }
}
