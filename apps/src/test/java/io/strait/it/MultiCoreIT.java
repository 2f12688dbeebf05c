package io.strait.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several cores over one af_packet port: {@code serve --cores 2} with {@code qpairs=2}. The kernel's fanout
 * spreads flows over the two queues by its own hash, which Strait cannot predict, so each passive flow belongs to
 * the core a four-tuple hash names and segments that arrive on the other queue are handed over through the owner's
 * ring (software steering). 200 concurrent Linux connections each echo their own random bytes; both cores'
 * engines accept some of them.
 *
 * <p>It runs on the second link of {@code setup/net up --links 2} ({@code strait2}, Strait at 198.18.1.2, the
 * peer at 198.18.1.1) so that it can run while another Strait holds the first.
 */
class MultiCoreIT {
    static StraitServer echo;

    @BeforeAll
    static void start() {
        echo = StraitServer.start("--app", "echo", "--cores", "2", "--dev", "net_af_packet0,iface=strait2,qpairs=2",
            "--ip", "198.18.1.2/24");
        assertTrue(echo.readyLine().contains("cores 2"), echo.readyLine());
    }

    @AfterAll
    static void stop() {
        if (echo != null) {
            assertEquals(0, echo.stop(), "serve exits 0 on SIGTERM\n" + echo.stderr());
            assertTrue(!echo.stderr().contains("Exception"), echo.stderr());
        }
    }

    @Test
    void twoHundredConcurrentConnectionsOverTwoCoresEachEchoTheirOwnBytes() {
        final Cmd.Result r = Cmd.peer(180, "/usr/bin/python3", "-c", """
            import socket, os, threading
            n = 200
            barrier = threading.Barrier(n)
            ok = [False] * n
            def one(i):
                data = os.urandom(20000 + 37 * i)
                s = socket.create_connection(('198.18.1.2', 7), timeout=60)
                barrier.wait(60)  # every connection open at once before any data moves
                s.sendall(data); s.shutdown(socket.SHUT_WR)
                out = bytearray()
                while True:
                    b = s.recv(65536)
                    if not b: break
                    out.extend(b)
                s.close()
                ok[i] = bytes(out) == data
            ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
            for t in ts: t.start()
            for t in ts: t.join()
            print(sum(ok))
            """);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("200", r.out().strip(), r.toString());

        final Map<String, Long> stat = new TreeMap<>(echo.stat());
        final StringBuilder seen = new StringBuilder();
        for (Map.Entry<String, Long> e : stat.entrySet()) {
            if (e.getKey().matches("core\\d\\..*(passive_opens|active_opens|steer|rx_packets|tx_packets|rsts_out"
                + "|resets_in|drop_no_listener).*")) {
                seen.append(e.getKey()).append(' ').append(e.getValue()).append('\n');
            }
        }
        System.out.println("MultiCoreIT counters:\n" + seen);
        final long passive0 = stat.getOrDefault("core0.tcp.passive_opens", 0L);
        final long passive1 = stat.getOrDefault("core1.tcp.passive_opens", 0L);
        assertTrue(passive0 > 0 && passive1 > 0, "both cores accept connections:\n" + seen);
        assertEquals(200, passive0 + passive1, seen.toString());
        assertEquals(0, stat.getOrDefault("core0.drop.tcp_steer_ring_full", 0L)
            + stat.getOrDefault("core1.drop.tcp_steer_ring_full", 0L), seen.toString());
    }
}
