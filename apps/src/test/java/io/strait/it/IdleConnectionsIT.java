package io.strait.it;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, exhaustion: 100,000 idle connections from the Linux peer (six source addresses, one client process
 * each) held open against the echo app, while another client is served; then every one of them echoes a sample,
 * and all close. An idle connection holds a TCB and its two small rings and nothing else: no timer, no mbuf. The
 * close of 100k connections at once must not be held up by the dataplane (it once was: the ARP entries of peers
 * idle for two minutes were forgotten, and the burst of FIN-ACKs was dropped while they were resolved again).
 */
class IdleConnectionsIT {
    private static final int CONNECTIONS = 100_000;
    private static final String[] SOURCES = {"198.18.0.20", "198.18.0.21", "198.18.0.22", "198.18.0.23",
        "198.18.0.24", "198.18.0.25"};

    @Test
    void hundredThousandIdleConnectionsHeldWhileOthersAreServedThenAllClose() throws Exception {
        for (String ip : SOURCES) {
            Cmd.peer(10, "ip", "addr", "add", ip + "/24", "dev", "strait1");
        }
        Cmd.peer(10, "sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65000");
        awaitPeerTimeWaitGone();
        final Path script = Files.createTempFile("strait-idle", ".py");
        Files.copy(IdleConnectionsIT.class.getResourceAsStream("idle_clients.py"), script,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Process clients = null;
        // 4 KB rings: 131,072 TCBs fit the per-core slab (the default 64 KB rings are sized for 12,288).
        try (StraitServer echo = StraitServer.start("--app", "echo", "--max-connections", "131072",
                "--buffer-kb", "4")) {
            clients = new ProcessBuilder("ip", "netns", "exec", Cmd.NS, "/usr/bin/python3", script.toString(),
                Integer.toString(CONNECTIONS), String.join(",", SOURCES), "198.18.0.2", "7")
                .redirectErrorStream(true).start();
            final Process watched = clients;
            Thread.ofVirtual().start(() -> { // a hung client cannot hang the test: its output ends
                try {
                    if (!watched.waitFor(10, TimeUnit.MINUTES)) {
                        watched.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            final BufferedReader out = new BufferedReader(
                new InputStreamReader(clients.getInputStream(), StandardCharsets.UTF_8));
            final OutputStream in = clients.getOutputStream();

            final String held = line(out, "held", clients);
            final String[] h = held.split(" ");
            assertEquals(CONNECTIONS, Integer.parseInt(h[1]), held);
            assertEquals("0", h[3], held);
            Map<String, Long> stat = echo.stat();
            assertEquals(CONNECTIONS, stat.getOrDefault("tcp.conn_established", 0L), "all held: " + held);
            final long heapBefore = stat.getOrDefault("jvm.heap_after_gc_bytes", 0L);
            System.out.println("IdleConnectionsIT: after the opens " + phase(stat));

            // Others are served meanwhile: a new client echoes, and a thousand round trips stay quick.
            assertEquals("back\n", Cmd.peer(20, "sh", "-c", "printf 'back\\n' | nc -q 2 198.18.0.2 7").out());
            final Cmd.Result rtt = Cmd.peer(60, "/usr/bin/python3", "-c", """
                import socket, time
                s = socket.create_connection(('198.18.0.2', 7), timeout=5)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                lat = []
                for i in range(1000):
                    t = time.perf_counter_ns(); s.sendall(b'x' * 64); n = 0
                    while n < 64: n += len(s.recv(64 - n))
                    lat.append(time.perf_counter_ns() - t)
                lat.sort()
                print(lat[500] // 1000, lat[990] // 1000)
                """);
            assertEquals(0, rtt.exit(), rtt.toString());
            final String[] q = rtt.out().strip().split(" ");
            System.out.println("IdleConnectionsIT: " + held + "; beside them, 64 B echo p50 " + q[0] + " us p99 " + q[1]
                + " us");
            assertTrue(Long.parseLong(q[1]) < 50_000, "echo p99 beside 100k idle connections: " + rtt.out());

            in.write('\n');
            in.flush();
            final String sampled = line(out, "sampled_ok", clients);
            System.out.println("IdleConnectionsIT: " + sampled + "; " + phase(echo.stat()));
            final String[] s = sampled.split(" ");
            assertEquals(s[1], s[3], "every sampled idle connection still echoes: " + sampled);

            in.write('\n');
            in.flush();
            System.out.println("IdleConnectionsIT: " + line(out, "closed_s", clients));
            // Every TCB comes back: the server saw each FIN, closed, and had its FIN acknowledged.
            final long deadline = System.nanoTime() + 60_000_000_000L;
            final long closeStart = System.nanoTime();
            while ((stat = echo.stat()).getOrDefault("tcp.tcbs_in_use", -1L) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            System.out.println("IdleConnectionsIT: after the closes " + phase(stat));
            System.out.printf("IdleConnectionsIT: all TCBs back %.1f s after the clients closed; rto_expiries %d,"
                    + " heap after GC %d -> %d MiB%n", (System.nanoTime() - closeStart) / 1e9,
                stat.getOrDefault("tcp.rto_expiries", 0L), heapBefore >> 20,
                stat.getOrDefault("jvm.heap_after_gc_bytes", 0L) >> 20);
            assertEquals(0L, stat.getOrDefault("tcp.tcbs_in_use", -1L), "every TCB back: " + stat);
            assertEquals(0L, stat.getOrDefault("drop.arp_pending_overflow", 0L), "nothing held up by ARP: " + stat);
            // Paced closes go through without timeouts (0 here). At full speed they do not on this 2-CPU box: the
            // closing clients starve the kernel's softirq thread, the veth's backlog overflows (tens of thousands
            // of port.kernel_rx_dropped) and both stacks retransmit; 1% leaves room for a busier machine.
            assertTrue(stat.getOrDefault("tcp.rto_expiries", 0L) < CONNECTIONS / 100,
                "the closes went through without timeouts: " + phase(stat));
            assertEquals(0L, stat.getOrDefault("internal_errors", 0L));
            assertEquals(0L, stat.getOrDefault("tcp.handler_errors", 0L));
            assertEquals(0L, stat.getOrDefault("tcp.drop_no_tcb_slot", 0L));
            assertTrue(clients.waitFor(30, TimeUnit.SECONDS), "the clients exit");
            echo.stopClean();
        } finally {
            if (clients != null && clients.isAlive()) {
                clients.destroyForcibly().waitFor();
            }
            for (String ip : SOURCES) {
                Cmd.peer(10, "ip", "addr", "del", ip + "/24", "dev", "strait1");
            }
            Files.deleteIfExists(script);
        }
    }

    private static String phase(Map<String, Long> stat) {
        final StringBuilder b = new StringBuilder();
        for (String k : List.of("tcp.rto_expiries", "tcp.retransmits", "tcp.tlp_probes", "tcp.syn_cookies_sent",
                "tcp.drop_not_acceptable_seq", "tcp.challenge_acks", "tcp.resets_in", "port.kernel_rx_dropped",
                "hiccup.long_cycles_over_1ms", "hiccup.stalls_over_1ms")) {
            b.append(k).append('=').append(stat.getOrDefault(k, 0L)).append(' ');
        }
        return b.toString().strip();
    }

    /** The clients' next line starting with {@code word}; fails with all they printed if their output ends. */
    private static String line(BufferedReader out, String word, Process p) throws Exception {
        final List<String> seen = new ArrayList<>();
        String l;
        while ((l = out.readLine()) != null) {
            if (l.startsWith(word + " ")) {
                return l;
            }
            seen.add(l);
        }
        throw new AssertionError("the clients printed no '" + word + "' line (exit "
            + (p.isAlive() ? "still running" : p.exitValue()) + "): " + String.join("\n", seen));
    }

    /**
     * A previous run within the last minute leaves up to 100k of the peer's client sockets in TIME_WAIT; opening
     * 100k again among them ran slow and retransmitted (seen running the test twice in a row). Waits (at most 70 s,
     * Linux's TIME_WAIT is 60 s) until fewer than 1000 are left.
     */
    private static void awaitPeerTimeWaitGone() throws InterruptedException {
        final long start = System.nanoTime();
        while (System.nanoTime() - start < 70_000_000_000L) {
            final String n = Cmd.peer(20, "sh", "-c", "ss -Htan state time-wait dst 198.18.0.2 | wc -l").out().strip();
            if (n.isEmpty() || Long.parseLong(n) < 1000) {
                break;
            }
            Thread.sleep(2000);
        }
        final long waited = (System.nanoTime() - start) / 1_000_000_000L;
        if (waited > 0) {
            System.out.println("IdleConnectionsIT: waited " + waited + " s for the peer's TIME_WAIT sockets of an "
                + "earlier run");
        }
    }
}
