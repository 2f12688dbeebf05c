package io.strait.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, on the wire: hping3 floods at full speed (SYN with spoofed sources, ACK, RST and FIN with random
 * sequence numbers at the listening port, ICMP echo, UDP garbage at a closed port) while wrk and curl keep using
 * Strait's http app from the same peer. For each flood: a wrk run without the flood, then the same run with it plus
 * byte-exact curl downloads; at least 99% of the legitimate requests succeed, the server answers afterwards, the
 * counters account for the flood packets that reached Strait, and no mbuf or connection is left behind.
 *
 * <p>Placement on this 2-CPU box: Strait's poll thread has CPU 1 (serve's default), and everything in the peer
 * (hping3, wrk, curl, and the kernel's veth work they trigger) is pinned to CPU 0, so the flood generator never
 * time-slices the poll thread. The port's af_packet ring is 4096 frames instead of the PMD's default 512 (see
 * {@link #DEV}). Latency percentiles with and without the flood are printed for each flood; the ratio is not
 * asserted (see the class's note in the report): on two shared CPUs it measures the box more than Strait.
 */
class FloodIT {
    /**
     * af_packet's default ring (512 frames) holds 2.5 ms of a 200 kpps flood: any longer stall of the poll thread
     * (preemption on a shared box) overflows it, and the kernel drops legitimate segments with the flood's, which
     * costs the client a 200 ms retransmission timeout. 4096 frames hold 20 ms, as a NIC's RX ring would.
     */
    static final String DEV = "net_af_packet0,iface=strait0,framecnt=4096";
    static final String PIN = "taskset -c 0";
    static final String URL = "http://198.18.0.2/";
    static final int CONNECTIONS = 4;
    static final int SECONDS = 3;
    static final int DOWNLOADS = 20;
    static final int DOWNLOAD_BYTES = 100_000;
    /** Output-side drops: they count our replies (to spoofed sources, or RSTs not queued), not the flood's packets. */
    static final Set<String> OUTPUT_DROPS = Set.of("drop.ip_no_route", "drop.arp_unresolved",
        "drop.arp_pending_overflow", "drop.tx_queue_full", "tcp.drop_rst_queue_full");
    static final Pattern TRANSMITTED = Pattern.compile("(\\d+) packets transmitted");

    static StraitServer http;
    static final List<String> table = new ArrayList<>();

    /**
     * One flood: hping3's arguments, the counter that must carry most of it, and the counters that must not move
     * (besides the ones every flood checks).
     *
     * @param handledBy counters (besides every input drop counter) that count a flood packet handled, not dropped
     */
    record Flood(String name, List<String> hping, String main, List<String> handledBy) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Flood> floods() {
        return Stream.of(
            // RFC 4987: the backlog fills, then SYN cookies answer (their SYN-ACKs to spoofed sources have no
            // route and are dropped on output; martian sources are dropped on input).
            new Flood("syn", List.of("-S", "-p", "80", "--rand-source"), "tcp.syn_cookies_sent",
                List.of("tcp.syn_cookies_sent", "tcp.passive_opens")),
            // RFC 9293 §3.10.7.2: an ACK at LISTEN (not a valid cookie) is answered by a RST, one for one.
            new Flood("ack", List.of("-A", "-p", "80"), "tcp.drop_cookie_rejected", List.of("tcp.challenge_acks",
                "tcp.challenge_acks_rate_limited")),
            // RFC 9293 §3.10.7.2 first: a RST at LISTEN is ignored; RFC 5961 §3 for one hitting a live connection.
            new Flood("rst", List.of("-R", "-p", "80"), "tcp.drop_invalid_state", List.of("tcp.challenge_acks",
                "tcp.challenge_acks_rate_limited")),
            // RFC 9293 §3.10.7.2 fourth: neither SYN nor RST at LISTEN: dropped.
            new Flood("fin", List.of("-F", "-p", "80"), "tcp.drop_invalid_state", List.of("tcp.challenge_acks",
                "tcp.challenge_acks_rate_limited")),
            // RFC 1122 §3.2.2.6: every echo request is answered.
            new Flood("icmp", List.of("-1"), "icmp.echo_requests_in", List.of("icmp.echo_requests_in")),
            // No UDP in Strait: garbage at a closed UDP port is dropped as an unsupported protocol.
            new Flood("udp-garbage", List.of("-2", "-p", "5555", "-d", "200"), "drop.ip_protocol_unsupported",
                List.of()));
    }

    @BeforeAll
    static void start() {
        http = StraitServer.start("--app", "http", "--dev", DEV);
    }

    @AfterAll
    static void stop() {
        System.out.println("flood | legit ok % | p50 base/flood us | p99 base/flood us | sent | explained % | "
            + "counters");
        table.forEach(System.out::println);
        if (http != null) {
            http.stopClean();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("floods")
    void legitimateClientsAreServedThroughTheFlood(Flood flood) throws Exception {
        final WrkRun base = WrkRun.run(PIN, CONNECTIONS, SECONDS, URL);
        final Map<String, Long> before = http.stat();
        final List<String> hping = new ArrayList<>(List.of("ip", "netns", "exec", Cmd.NS, "taskset", "-c", "0",
            "hping3", "--flood", "-q"));
        hping.addAll(flood.hping());
        hping.add("198.18.0.2");
        final Process flooder = new ProcessBuilder(hping).redirectErrorStream(true).start();
        final String hpingOut;
        final WrkRun flooded;
        final Cmd.Result downloads;
        final Map<String, Long> during;
        try {
            Thread.sleep(300);
            assertTrue(flooder.isAlive(), () -> "hping3 runs: " + output(flooder));
            final Process curl = new ProcessBuilder("ip", "netns", "exec", Cmd.NS, "taskset", "-c", "0", "sh", "-c",
                "for i in $(seq " + DOWNLOADS + "); do curl -s --max-time 5 -o /tmp/strait-flood.bin " + URL
                    + "bytes/" + DOWNLOAD_BYTES + " && sha256sum < /tmp/strait-flood.bin || echo fail; done")
                .redirectErrorStream(true).start();
            flooded = WrkRun.run(PIN, CONNECTIONS, SECONDS, URL);
            during = http.stat();
            if (!curl.waitFor(DOWNLOADS * 6L, TimeUnit.SECONDS)) {
                curl.destroyForcibly().waitFor();
                throw new AssertionError("the curl downloads did not end within " + DOWNLOADS * 6 + " s");
            }
            downloads = new Cmd.Result(curl.exitValue(), new String(curl.getInputStream().readAllBytes()), "");
        } finally {
            // SIGINT: hping3 prints how many packets it sent. ip netns exec and taskset exec it, so the pid is its.
            Cmd.run(5, "kill", "-INT", Long.toString(flooder.pid()));
            if (!flooder.waitFor(10, TimeUnit.SECONDS)) {
                flooder.destroyForcibly().waitFor();
            }
        }
        hpingOut = new String(flooder.getInputStream().readAllBytes());
        final Matcher sent = TRANSMITTED.matcher(hpingOut);
        assertTrue(sent.find(), "hping3's count: " + hpingOut);
        final long transmitted = Long.parseLong(sent.group(1));
        final Map<String, Long> after = http.stat();

        // Legitimate traffic: wrk's requests and curl's downloads, each checked byte for byte.
        final String expected = sha256Of(DOWNLOAD_BYTES);
        final long downloadsOk = downloads.out().lines().filter(l -> l.startsWith(expected)).count();
        final long downloadsBad = downloads.out().lines().filter(l -> !l.startsWith(expected) && !l.equals("fail"))
            .count();
        final long attempted = flooded.requests() + flooded.errors() + DOWNLOADS;
        final double okPercent = 100.0 * (flooded.requests() - flooded.non2xx() + downloadsOk) / attempted;

        // Accounting: every flood packet that reached Strait is counted once, by an input drop counter or by the
        // counter of the answer it got. Legitimate traffic moves none of these.
        long explained = 0;
        final StringBuilder moved = new StringBuilder();
        for (Map.Entry<String, Long> e : after.entrySet()) {
            final String k = e.getKey();
            final long d = e.getValue() - before.getOrDefault(k, 0L);
            if (k.startsWith("core") || d == 0) {
                continue;
            }
            final boolean inputDrop = (k.startsWith("drop.") || k.startsWith("tcp.drop_"))
                && !OUTPUT_DROPS.contains(k);
            if (inputDrop || flood.handledBy().contains(k)) {
                explained += d;
            }
            if (inputDrop || OUTPUT_DROPS.contains(k) || k.startsWith("tcp.syn_cookies") || k.startsWith("icmp.")
                || k.startsWith("tcp.challenge") || k.equals("tcp.rsts_out") || k.equals("tcp.retransmits")
                || k.startsWith("tcp.conn_") || k.startsWith("port.") || k.equals("mbuf.in_use")
                || k.equals("jvm.heap_used_bytes") || k.equals("rx_packets")) {
                moved.append(k).append(" +").append(d).append(' ');
            }
        }
        final double explainedPercent = 100.0 * explained / transmitted;
        table.add(String.format("%s | %.2f | %.0f/%.0f | %.0f/%.0f | %d | %.1f | %s", flood, okPercent,
            base.p50Us(), flooded.p50Us(), base.p99Us(), flooded.p99Us(), transmitted, explainedPercent, moved));
        final String context = flood + ": " + table.getLast() + "\nwrk base:\n" + base.report() + "\nwrk flood:\n"
            + flooded.report() + "\ncurl:\n" + downloads.out() + "\nhping3: " + hpingOut;

        assertEquals(0, downloadsBad, "no download came back with other bytes: " + context);
        assertTrue(okPercent >= 99.0, "at least 99% of the legitimate requests succeed: " + context);
        assertTrue(after.getOrDefault(flood.main(), 0L) - before.getOrDefault(flood.main(), 0L) > transmitted / 2,
            flood.main() + " carries the flood: " + context);
        assertTrue(explainedPercent >= 90 && explainedPercent <= 101, "the counters account for the flood: "
            + context);
        assertEquals(0L, after.getOrDefault("drop.mbuf_exhausted", 0L), "the mbuf pool never ran dry: " + context);
        // Memory flat: mbufs out of the pool and heap in use (sampled each second) back near where they were.
        // The heap grows only by what the app allocates per request; 64 MB is far below a per-packet allocation
        // (hundreds of thousands of flood packets) yet above the sampling's own noise.
        assertTrue(after.get("mbuf.in_use") <= before.get("mbuf.in_use") + 64, "mbufs back: " + context);
        assertTrue(after.get("jvm.heap_used_bytes") <= before.get("jvm.heap_used_bytes") + (64L << 20)
            || after.get("jvm.gc_collections") > before.get("jvm.gc_collections"), "heap flat: " + context);
        assertEquals(0L, after.getOrDefault("internal_errors", 0L), context);
        assertEquals(0L, after.getOrDefault("tcp.handler_errors", 0L), context);
        // Half-open state stays bounded by the backlog (the rest is answered statelessly by cookies).
        assertTrue(during.getOrDefault("tcp.conn_syn_received", 0L) <= 256, "SYN_RECEIVED bounded: " + during);
        // The server still answers, on a new connection, once the flood is over.
        final Cmd.Result hello = Cmd.peer(20, "curl", "-s", "--max-time", "5", URL);
        assertEquals("hello\n", hello.out(), "served after the flood: " + hello);
        assertNoConnectionLeft();
    }

    /** wrk's and curl's connections close; the flood created none that stays (SYN_RECEIVED ones time out). */
    private static void assertNoConnectionLeft() throws InterruptedException {
        final String[] states = {"established", "close_wait", "last_ack", "fin_wait_1", "fin_wait_2", "closing"};
        final long deadline = System.nanoTime() + 15_000_000_000L;
        Map<String, Long> stat;
        long open;
        do {
            stat = http.stat();
            open = 0;
            for (String s : states) {
                open += stat.getOrDefault("tcp.conn_" + s, 0L);
            }
            if (open > 0) {
                Thread.sleep(200);
            }
        } while (open > 0 && System.nanoTime() < deadline);
        assertEquals(0L, open, "no connection left behind: " + stat);
    }

    private static String output(Process p) {
        try {
            return new String(p.getInputStream().readAllBytes()); // only once p has ended
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /** SHA-256 of the http app's /bytes/N body: byte i is i mod 251 (../shared/CONTRACT.md). */
    private static String sha256Of(int n) throws Exception {
        final byte[] body = new byte[n];
        for (int i = 0; i < n; i++) {
            body[i] = (byte) (i % 251);
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    }
}
