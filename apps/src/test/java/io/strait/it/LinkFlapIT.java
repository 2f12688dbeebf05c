package io.strait.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, link faults: the veth taken down for 2 s and up again while curl downloads and wrk run against the http
 * app. On either end (the peer's {@code strait1} inside the namespace, or {@code strait0}, the af_packet port's own
 * interface in the root namespace) TCP rides it out as between two Linux hosts: segments sent into the dead link are
 * lost, both sides retransmit on their timers (RFC 6298 §5, with backoff), and once the link is back every transfer
 * completes byte-exact, no request fails, new connections are served and nothing is left open. The retransmission
 * timeouts are counted ({@code tcp.rto_expiries}), and the port's link state is seen ({@code port.link_up},
 * {@code port.link_down_events}, one line on stderr each way).
 */
class LinkFlapIT {
    static final String URL = "http://198.18.0.2/";
    /** 3 downloads of 24 MB at 8 MB/s: 3 s each, so the 2 s outage falls in their middle. */
    static final int DOWNLOADS = 3;
    static final int BYTES = 24_000_000;
    static final int OUTAGE_MS = 2000;

    static StraitServer http;

    @BeforeAll
    static void start() {
        http = StraitServer.start("--app", "http");
    }

    @AfterAll
    static void stop() {
        if (http != null) {
            Cmd.run(10, "ip", "link", "set", "strait0", "up");
            Cmd.peer(10, "ip", "link", "set", "strait1", "up");
            http.stopClean();
        }
    }

    @Test
    void peerSideDownAndUp() throws Exception {
        flap(List.of("ip", "netns", "exec", Cmd.NS, "ip", "link", "set", "strait1"));
    }

    @Test
    void straitSideDownAndUp() throws Exception {
        flap(List.of("ip", "link", "set", "strait0"));
    }

    private static void flap(List<String> link) throws Exception {
        final Map<String, Long> before = http.stat();
        final List<Process> curls = new ArrayList<>();
        for (int i = 0; i < DOWNLOADS; i++) {
            curls.add(WireFaults.peerShell("curl -s --max-time 40 --limit-rate 8M " + URL + "bytes/" + BYTES
                + " | sha256sum"));
        }
        // wrk's requests wait through the outage on their connections' retransmissions: a 20 s timeout, not 2 s.
        final Process wrk = WireFaults.peerShell("wrk -t1 -c8 -d8s --timeout 20s --latency " + URL);
        Thread.sleep(1500);
        final List<String> down = new ArrayList<>(link);
        down.add("down");
        final List<String> up = new ArrayList<>(link);
        up.add("up");
        assertEquals(0, Cmd.run(10, Map.of(), down).exit());
        final Map<String, Long> during;
        try {
            Thread.sleep(OUTAGE_MS - 500);
            during = http.stat();
            Thread.sleep(500);
        } finally {
            assertEquals(0, Cmd.run(10, Map.of(), up).exit());
        }
        final String expected = WireFaults.sha256OfPattern(BYTES);
        final List<String> sums = new ArrayList<>();
        for (Process c : curls) {
            sums.add(WireFaults.finish(c, 60).strip());
        }
        final WrkRun run = WrkRun.parse(WireFaults.finish(wrk, 60));
        final Cmd.Result hello = Cmd.peer(20, "curl", "-s", "--max-time", "5", URL);
        final Map<String, Long> after = WireFaults.awaitNoConnection(http, 20);
        final String context = "\nduring: " + WireFaults.moved(before, during) + "\nafter: "
            + WireFaults.moved(before, after) + "\nlink_up during " + during.get("port.link_up") + "\nstderr: "
            + http.stderr() + "\nwrk:\n" + run.report() + "\nsums: " + sums;
        System.out.println(String.join(" ", link) + " down " + OUTAGE_MS + " ms:" + context);

        for (String s : sums) {
            assertEquals(expected + "  -", s, "every download completes byte-exact across the outage" + context);
        }
        assertTrue(run.requests() > 0, context);
        assertEquals(0, run.errors(), "no wrk request failed: they waited for the link" + context);
        assertEquals(0, run.non2xx(), context);
        assertEquals("hello\n", hello.out(), "a new connection is served after the outage: " + hello + context);
        assertTrue(after.get("tcp.rto_expiries") > before.get("tcp.rto_expiries"),
            "the outage shows as retransmission timeouts" + context);
        assertEquals(0L, during.get("port.link_up"), "the down link is seen" + context);
        assertEquals(1L, after.get("port.link_up"), context);
        assertEquals(1L, after.get("port.link_down_events") - before.get("port.link_down_events"),
            "the outage is counted once" + context);
        assertTrue(http.stderr().contains("link down") && http.stderr().contains("link up again"),
            "and said in one line each way" + context);
        assertEquals(0L, WireFaults.open(after), "no connection left open" + context);
        assertEquals(0L, after.getOrDefault("internal_errors", 0L), context);
        assertEquals(0L, after.getOrDefault("tcp.handler_errors", 0L), context);
        assertTrue(after.get("mbuf.in_use") <= before.get("mbuf.in_use") + 64, "mbufs back" + context);
    }
}
