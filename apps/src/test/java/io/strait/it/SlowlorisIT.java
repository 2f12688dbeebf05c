package io.strait.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, slowloris: 300 connections to the http app that send a request header one byte a second and never end
 * it. With a 3 s header timeout ({@code --http-header-timeout-ms}; 60 s by default, nginx's
 * client_header_timeout) each gets a 408 and is closed about 3 s after it opened, counted in
 * {@code http.header_timeouts} and said in one line on stderr for all of them; meanwhile wrk and curl are served
 * as usual, and keep-alive connections idle between complete requests are not touched (that would be a keep-alive
 * timeout, which the app does not have).
 */
class SlowlorisIT {
    static final int SLOW = 300;
    static final int TIMEOUT_MS = 3000;
    static final String SLOWLORIS = """
        import socket, time, select
        N, KA = %d, 5
        slow, opened, nextSend = [], [], []
        for i in range(N):
            s = socket.create_connection(('198.18.0.2', 80), timeout=10)
            s.sendall(b'GET / HTTP/1.1\\r\\nHost: slow\\r\\nX-')
            slow.append(s); opened.append(time.time()); nextSend.append(time.time() + 1.5)
        req = b'GET / HTTP/1.1\\r\\nHost: ka\\r\\n\\r\\n'
        def answer(s):
            got = b''
            while not got.endswith(b'hello\\n'):
                b = s.recv(4096)
                if not b: return False
                got += b
            return got.startswith(b'HTTP/1.1 200 OK')
        ka = [socket.create_connection(('198.18.0.2', 80), timeout=10) for i in range(KA)]
        kaFirst = sum(1 for s in ka if s.sendall(req) is None and answer(s))
        print('ready', flush=True)
        live = set(range(N)); after, got408, early = [], 0, 0
        end = time.time() + 15
        while live and time.time() < end:
            wait = max(0.0, min(nextSend[i] for i in live) - time.time())
            r, _, _ = select.select([slow[i] for i in live], [], [], wait)
            for s in r:
                i = slow.index(s)
                data = b''
                try:
                    while True:
                        b = s.recv(4096)
                        if not b: break
                        data += b
                except OSError:
                    pass
                got408 += data.startswith(b'HTTP/1.1 408 ')
                after.append(time.time() - opened[i]); live.discard(i)
            now = time.time()
            for i in list(live):
                if now >= nextSend[i]:
                    try:
                        slow[i].send(b'a')     # one more byte of a header name that never ends
                    except OSError:
                        pass
                    nextSend[i] += 1.0
        kaAfter = sum(1 for s in ka if s.sendall(req) is None and answer(s))
        print('closed', len(after), 'of', N, '408', got408, 'min %%.2f max %%.2f' %% (min(after), max(after)),
              'keepalive', kaFirst, kaAfter, flush=True)
        """.formatted(SLOW);

    static StraitServer http;

    @BeforeAll
    static void start() {
        http = StraitServer.start("--app", "http", "--http-header-timeout-ms", Integer.toString(TIMEOUT_MS));
    }

    @AfterAll
    static void stop() {
        if (http != null) {
            http.stopClean();
        }
    }

    @Test
    void slowHeadersAreClosedAfterTheTimeoutWhileOthersAreServed() throws Exception {
        final Map<String, Long> before = http.stat();
        final Process slow = WireFaults.peerPython(SLOWLORIS);
        final String result;
        final WrkRun run;
        final Cmd.Result download;
        final Map<String, Long> held;
        try {
            WireFaults.awaitLine(slow, "ready", 60);
            held = http.stat();
            run = WrkRun.run("taskset -c 0", 4, 2, "http://198.18.0.2/");
            download = Cmd.peer(30, "sh", "-c", "curl -s --max-time 10 http://198.18.0.2/bytes/1000000 | sha256sum");
            result = WireFaults.awaitLine(slow, "closed", 40);
        } finally {
            slow.destroyForcibly().waitFor();
        }
        final Map<String, Long> after = WireFaults.awaitNoConnection(http, 20);
        final String context = "\n" + result + "\nheld: " + held.get("tcp.conn_established") + "\n"
            + WireFaults.moved(before, after) + "\nstderr: " + http.stderr() + "\nwrk:\n" + run.report();
        System.out.println("slowloris:" + context);

        assertTrue(held.get("tcp.conn_established") >= SLOW, "the slow connections were all held" + context);
        assertEquals(0, run.errors(), "wrk is served while they are held" + context);
        assertEquals(0, run.non2xx(), context);
        assertTrue(run.requests() > 0, context);
        assertEquals(WireFaults.sha256OfPattern(1_000_000) + "  -", download.out().strip(), context);
        final String[] f = result.split(" ");
        assertEquals(Integer.toString(SLOW), f[1], "every slow connection was closed" + context);
        assertEquals(Integer.toString(SLOW), f[5], "each with a 408" + context);
        final double min = Double.parseDouble(f[7]);
        final double max = Double.parseDouble(f[9]);
        assertTrue(min >= TIMEOUT_MS / 1000.0 - 0.1, "none before the timeout" + context);
        assertTrue(max <= TIMEOUT_MS / 1000.0 + 2.0, "all soon after it" + context);
        assertEquals("5", f[11], context);
        assertEquals("5", f[12], "keep-alive connections idle between requests are not closed" + context);
        assertEquals(SLOW, after.get("http.header_timeouts") - before.getOrDefault("http.header_timeouts", 0L),
            "each counted" + context);
        // contains, not startsWith: a first-run build's ANSI resets can share the line (seen in CI).
        assertEquals(1, http.stderr().lines().filter(l -> l.contains("strait http: closed a connection whose"))
            .count(), "one log line for the lot (rate-limited)" + context);
        assertEquals(0L, WireFaults.open(after), context);
        assertEquals(0L, after.getOrDefault("internal_errors", 0L), context);
        assertEquals(0L, after.getOrDefault("tcp.handler_errors", 0L), context);
    }
}
