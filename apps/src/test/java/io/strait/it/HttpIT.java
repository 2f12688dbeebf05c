package io.strait.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 4 (part): Strait's http app against real clients in the peer namespace. */
class HttpIT {
    static StraitServer http;

    @BeforeAll
    static void start() {
        http = StraitServer.start("--app", "http", "--msl-ms", "1000");
    }

    @AfterAll
    static void stop() {
        if (http != null) {
            assertEquals(0, http.stop(), "serve exits 0 on SIGTERM\n" + http.stderr());
        }
    }

    @Test
    void curlGetRoot() {
        final Cmd.Result r = Cmd.peer(30, "curl", "-s", "-i", "http://198.18.0.2/");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("HTTP/1.1 200 OK\r\n"), r.out());
        assertTrue(r.out().contains("Content-Length: 6\r\n"), r.out());
        assertTrue(r.out().endsWith("\r\n\r\nhello\n"), r.out());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 1448, 1449, 1_000_000, 100_000_000})
    void curlBytesCheckedByteForByte(long n) {
        final Cmd.Result r = Cmd.peer(300, "sh", "-c", "curl -s -D /tmp/strait-h.txt http://198.18.0.2/bytes/" + n
            + " | /usr/bin/python3 -c \"import sys\nd = sys.stdin.buffer.read()\npat = bytes(i % 251 for i in range(251))"
            + "\nok = all(d[k:k + 251] == pat[:len(d[k:k + 251])] for k in range(0, len(d), 251))\nprint(len(d), ok)\"");
        assertEquals(0, r.exit(), r.toString());
        assertEquals(n + " True", r.out().strip(), r.toString());
    }

    @Test
    void postEchoOfTenMegabytes() {
        final Cmd.Result r = Cmd.peer(120, "sh", "-c", "head -c 10000000 /dev/urandom > /tmp/strait-post.bin && "
            + "curl -s --data-binary @/tmp/strait-post.bin http://198.18.0.2/echo | cmp - /tmp/strait-post.bin && "
            + "echo same; rm -f /tmp/strait-post.bin");
        assertEquals("same", r.out().strip(), r.toString());
    }

    @Test
    void wrkTenSecondsHundredConnectionsNoErrors() {
        final Cmd.Result r = Cmd.peer(60, "wrk", "-t1", "-c100", "-d10s", "http://198.18.0.2/");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(!r.out().contains("Socket errors") && !r.out().contains("Non-2xx"), r.out());
        assertTrue(r.out().contains("Requests/sec:"), r.out());
    }

    @Test
    void abKeepAlive() {
        final Cmd.Result r = Cmd.peer(120, "ab", "-k", "-n", "20000", "-c", "50", "http://198.18.0.2/");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("Failed requests:        0"), r.out());
        assertTrue(r.out().contains("Complete requests:      20000"), r.out());
        assertTrue(!r.out().contains("Non-2xx"), r.out());
    }

    @Test
    void h2loadPipelined() {
        final Cmd.Result r = Cmd.peer(120, "h2load", "--h1", "-n", "200000", "-c", "64", "-m", "16",
            "http://198.18.0.2/");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("200000 succeeded, 0 failed, 0 errored, 0 timeout"), r.out());
        assertTrue(r.out().contains("status codes: 200000 2xx"), r.out());
    }

    @Test
    void pythonHttpClientKeepAliveGetsAndPost() {
        final Cmd.Result r = Cmd.peer(60, "/usr/bin/python3", "-c", """
            import http.client
            c = http.client.HTTPConnection('198.18.0.2', 80, timeout=10)
            ok = True
            for i in range(50):
                c.request('GET', '/')
                resp = c.getresponse()
                ok = ok and resp.status == 200 and resp.read() == b'hello\\n'
            c.request('GET', '/bytes/1449')
            resp = c.getresponse()
            body = resp.read()
            ok = ok and resp.status == 200 and body == bytes(i % 251 for i in range(1449))
            c.request('POST', '/echo', body=b'x' * 70000)
            resp = c.getresponse()
            ok = ok and resp.status == 200 and resp.read() == b'x' * 70000
            # http.client sends the whole body before reading: the server must not deadlock on its echo
            import os
            big = os.urandom(10 * 1000 * 1000)
            c.request('POST', '/echo', body=big)
            resp = c.getresponse()
            ok = ok and resp.status == 200 and resp.read() == big
            c.request('GET', '/missing')
            resp = c.getresponse()
            ok = ok and resp.status == 404 and resp.read() == b''
            c.request('GET', '/', headers={'Connection': 'close'})
            resp = c.getresponse()
            ok = ok and resp.status == 200 and resp.getheader('Connection') == 'close' and resp.read() == b'hello\\n'
            print('ok' if ok else 'mismatch')
            """);
        assertEquals("ok", r.out().strip(), r.toString());
    }

    @Test
    void pipelinedAndMalformedRequestsOverRawSockets() {
        final Cmd.Result r = Cmd.peer(60, "/usr/bin/python3", "-c", """
            import socket
            def talk(data, read_until_close=True):
                s = socket.create_connection(('198.18.0.2', 80), timeout=10)
                s.sendall(data)
                out = b''
                while True:
                    b = s.recv(65536)
                    if not b: break
                    out += b
                s.close()
                return out
            # three pipelined requests, the last asks to close: three answers in order, then the close
            out = talk(b'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET /bytes/3 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'
                       b'GET /nope HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')
            print('pipelined', out.count(b'HTTP/1.1 200 OK') == 2 and out.endswith(b'\\r\\n\\r\\n')
                  and b'hello\\n' in out and b'\\x00\\x01\\x02' in out and b'404 Not Found' in out)
            print('bad-line', talk(b'GARBAGE\\r\\n\\r\\n').startswith(b'HTTP/1.1 400'))
            print('bare-lf', talk(b'GET / HTTP/1.1\\nHost: x\\n\\n').startswith(b'HTTP/1.1 400'))
            print('cl-te', talk(b'POST /echo HTTP/1.1\\r\\nContent-Length: 3\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\nabc').startswith(b'HTTP/1.1 400'))
            print('big-header', talk(b'GET / HTTP/1.1\\r\\nX: ' + b'a' * 10000 + b'\\r\\n\\r\\n').startswith(b'HTTP/1.1 431'))
            print('version', talk(b'GET / HTTP/2.0\\r\\n\\r\\n').startswith(b'HTTP/1.1 505'))
            print('bytes-too-big', b'404' in talk(b'GET /bytes/2147483648 HTTP/1.1\\r\\nConnection: close\\r\\n\\r\\n'))
            chunked = talk(b'POST /echo HTTP/1.1\\r\\nTransfer-Encoding: chunked\\r\\nConnection: close\\r\\n\\r\\n'
                           b'5;ext=1\\r\\nhello\\r\\n6\\r\\n world\\r\\n0\\r\\nTrailer: x\\r\\n\\r\\n')
            body = chunked.split(b'\\r\\n\\r\\n', 1)[1]
            print('chunked-echo', b'hello' in body and b' world' in body and body.endswith(b'0\\r\\n\\r\\n'))
            """);
        assertEquals(0, r.exit(), r.toString());
        for (String check : new String[] {"pipelined", "bad-line", "bare-lf", "cl-te", "big-header", "version",
            "bytes-too-big", "chunked-echo"}) {
            assertTrue(r.out().contains(check + " True"), check + ": " + r);
        }
    }

    /** Strait closes first on Connection: close, so its side goes through TIME_WAIT (2 MSL = 2 s here), then CLOSED. */
    @Test
    void timeWaitSeenInStatThenGone() throws Exception {
        final Cmd.Result r = Cmd.peer(60, "sh", "-c",
            "for i in 1 2 3 4 5; do curl -s -H 'Connection: close' http://198.18.0.2/ >/dev/null; done; echo done");
        assertEquals("done", r.out().strip(), r.toString());
        assertTrue(http.counter("tcp.conn_time_wait") > 0, "TIME_WAIT visible in strait stat");
        final long deadline = System.nanoTime() + 20_000_000_000L;
        while (http.counter("tcp.conn_time_wait") > 0 && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        assertEquals(0, http.counter("tcp.conn_time_wait"), "TIME_WAIT expired after 2 MSL");
    }
}
