package io.strait.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, send buffers full: 40 clients ask the http app for {@code /bytes/1000000000} and never read. Their
 * windows close; the server's data waits in TCP's send buffers (the engine's off-heap slab, bounded per connection),
 * not in the heap or in mbufs, while wrk and curl are served as usual. The stalled connections stay ESTABLISHED
 * and are probed (RFC 9293 §3.8.6.1: a receiver may keep its window at zero indefinitely while it ACKs the probes,
 * MUST-35/36; Linux does the same and bounds only orphaned sockets, tcp_orphan_retries), so no timeout fires;
 * when the clients go (close with unread data: a RST) every TCB is freed.
 */
class StalledReaderIT {
    static final int STALLED = 40;
    static final String STALL = """
        import socket, sys
        socks = []
        for i in range(%d):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            s.connect(('198.18.0.2', 80))
            s.sendall(b'GET /bytes/1000000000 HTTP/1.1\\r\\nHost: stall\\r\\n\\r\\n')
            socks.append(s)
        print('ready', flush=True)
        sys.stdin.readline()
        """.formatted(STALLED);

    static StraitServer http;

    @BeforeAll
    static void start() {
        http = StraitServer.start("--app", "http");
    }

    @AfterAll
    static void stop() {
        if (http != null) {
            http.stopClean();
        }
    }

    @Test
    void stalledReadersHoldOnlyTheirWindowAndOthersAreServed() throws Exception {
        final Map<String, Long> before = http.stat();
        final Process stall = WireFaults.peerPython(STALL);
        final Map<String, Long> early;
        final Map<String, Long> late;
        final WrkRun run;
        final Cmd.Result download;
        try {
            WireFaults.awaitLine(stall, "ready", 30);
            Thread.sleep(2000); // the windows close
            early = http.stat();
            run = WrkRun.run("taskset -c 0", 4, 3, "http://198.18.0.2/");
            download = Cmd.peer(30, "sh", "-c", "curl -s --max-time 10 http://198.18.0.2/bytes/10000000 | sha256sum");
            Thread.sleep(4000);
            late = http.stat();
        } finally {
            stall.destroyForcibly().waitFor(); // the kernel closes the sockets: unread data, so RSTs
        }
        final Map<String, Long> after = WireFaults.awaitNoConnection(http, 20);
        final long sentEarly = early.get("tcp.bytes_out") - before.get("tcp.bytes_out");
        final String context = "\nearly: " + WireFaults.moved(before, early) + "\nlate: "
            + WireFaults.moved(before, late) + "\nafter: " + WireFaults.moved(before, after) + "\nwrk:\n"
            + run.report();
        System.out.println("stalled readers:" + context);

        assertEquals(0, run.errors(), "others are served" + context);
        assertEquals(0, run.non2xx(), context);
        assertTrue(run.requests() > 0, context);
        assertEquals(WireFaults.sha256OfPattern(10_000_000) + "  -", download.out().strip(), context);
        assertTrue(late.get("tcp.conn_established") >= STALLED, "the stalled connections are held" + context);
        // Only the windows went out: 40 x (16 KB receive buffer + the kernel's backlog) is a few MB, not 40 GB.
        assertTrue(sentEarly < STALLED * (4L << 20), "sent no more than the peers took: " + sentEarly + context);
        final long sentLate = late.get("tcp.bytes_out") - early.get("tcp.bytes_out");
        assertTrue(sentLate < STALLED * (1L << 20) + 10_000_000L + (64L << 20),
            "the stalled ones took next to nothing more: " + sentLate + context);
        // The data waits in the engine's send buffers: mbufs and heap stay flat.
        assertTrue(late.get("mbuf.in_use") <= before.get("mbuf.in_use") + 256, "mbufs flat" + context);
        assertTrue(late.get("jvm.heap_used_bytes") <= before.get("jvm.heap_used_bytes") + (64L << 20)
            || late.get("jvm.gc_collections") > before.get("jvm.gc_collections"), "heap flat" + context);
        // RFC 9293 §3.8.6.1: probed, not timed out.
        assertTrue(late.get("tcp.persist_probes") > early.get("tcp.persist_probes"), "zero windows probed" + context);
        assertEquals(before.getOrDefault("tcp.timeouts", 0L), late.getOrDefault("tcp.timeouts", 0L),
            "no connection timed out while the peer ACKs the probes" + context);
        assertEquals(0L, WireFaults.open(after), "every TCB freed once the clients are gone" + context);
        assertEquals(0L, after.getOrDefault("internal_errors", 0L), context);
        assertEquals(0L, after.getOrDefault("tcp.handler_errors", 0L), context);
    }
}
