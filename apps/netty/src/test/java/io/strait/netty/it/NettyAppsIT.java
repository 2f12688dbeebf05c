package io.strait.netty.it;

import io.strait.it.Cmd;
import io.strait.it.StraitServer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: serve's Netty apps (Netty's own HTTP/1.1, HTTP/2, TLS and gRPC handlers on Strait's transport) against
 * real clients in the peer namespace: curl, wrk, h2load, openssl s_client, Python grpcio.
 */
class NettyAppsIT {
    private static final String PATTERN_CHECK = " | /usr/bin/python3 -c \"import sys\nd = sys.stdin.buffer.read()"
        + "\npat = bytes(i % 251 for i in range(251))"
        + "\nok = all(d[k:k + 251] == pat[:len(d[k:k + 251])] for k in range(0, len(d), 251))\nprint(len(d), ok)\"";

    @Test
    void nettyHttpServesCurlWrkAndH2load() {
        try (StraitServer s = StraitServer.start("--app", "netty-http", "--msl-ms", "1000")) {
            assertTrue(s.readyLine().contains("transport=netty"), s.readyLine());
            Cmd.Result r = Cmd.peer(30, "curl", "-s", "-i", "http://198.18.0.2/");
            assertTrue(r.out().startsWith("HTTP/1.1 200 OK\r\n"), r.toString());
            assertTrue(r.out().toLowerCase().contains("content-length: 6\r\n"), r.out());
            assertTrue(r.out().endsWith("\r\n\r\nhello\n"), r.out());

            for (long n : new long[] {0, 1, 1449, 1_000_000, 50_000_000}) {
                r = Cmd.peer(120, "sh", "-c", "curl -s http://198.18.0.2/bytes/" + n + PATTERN_CHECK);
                assertEquals(n + " True", r.out().strip(), r.toString());
            }
            r = Cmd.peer(60, "sh", "-c", "curl -s --http2-prior-knowledge http://198.18.0.2/bytes/3000000"
                + PATTERN_CHECK);
            assertEquals("3000000 True", r.out().strip(), "h2c prior knowledge: " + r);

            r = Cmd.peer(120, "sh", "-c", "head -c 10000000 /dev/urandom > /tmp/strait-np.bin && "
                + "curl -s --data-binary @/tmp/strait-np.bin http://198.18.0.2/echo | cmp - /tmp/strait-np.bin && "
                + "echo same; rm -f /tmp/strait-np.bin");
            assertEquals("same", r.out().strip(), r.toString());

            r = Cmd.peer(30, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://198.18.0.2/nothing");
            assertEquals("404", r.out().strip(), r.toString());
            r = Cmd.peer(30, "sh", "-c", "printf 'GARBAGE\\r\\n\\r\\n' | nc -q 3 198.18.0.2 80");
            assertTrue(r.out().startsWith("HTTP/1.1 400 "), "malformed request: 400 and close\n" + r);

            r = Cmd.peer(60, "wrk", "-t1", "-c50", "-d5s", "http://198.18.0.2/");
            assertTrue(r.out().contains("Requests/sec:") && !r.out().contains("Socket errors")
                && !r.out().contains("Non-2xx"), r.toString());

            r = Cmd.peer(120, "h2load", "--h1", "-n", "20000", "-c", "8", "-m", "16", "http://198.18.0.2/");
            assertTrue(r.out().contains("20000 succeeded, 0 failed, 0 errored"), "HTTP/1.1 pipelined: " + r);

            r = Cmd.peer(120, "h2load", "-n", "50000", "-c", "4", "-m", "64", "http://198.18.0.2/");
            assertTrue(r.out().contains("50000 succeeded, 0 failed, 0 errored"), "h2c, 64 streams: " + r);
            assertTrue(r.out().contains("50000 2xx"), r.out());
            assertEquals(0, s.stop(), "serve exits 0 on SIGTERM\n" + s.stderr());
        }
    }

    @Test
    void nettyHttpsServesCurlAndOpensslWithAlpn() {
        try (StraitServer s = StraitServer.start("--app", "netty-https", "--msl-ms", "1000")) {
            Cmd.Result r = Cmd.peer(30, "curl", "-sk", "-i", "https://198.18.0.2/");
            assertTrue(r.out().startsWith("HTTP/2 200"), "ALPN picks h2 with curl: " + r);
            assertTrue(r.out().endsWith("\r\n\r\nhello\n"), r.out());
            r = Cmd.peer(30, "curl", "-sk", "--http1.1", "-i", "https://198.18.0.2/");
            assertTrue(r.out().startsWith("HTTP/1.1 200 OK\r\n"), r.toString());

            r = Cmd.peer(30, "sh", "-c", "printf 'GET / HTTP/1.1\\r\\nHost: s\\r\\nConnection: close\\r\\n\\r\\n' | "
                + "openssl s_client -connect 198.18.0.2:443 -alpn http/1.1 -quiet 2>/dev/null");
            assertTrue(r.out().startsWith("HTTP/1.1 200 OK") && r.out().endsWith("hello\n"), r.toString());
            r = Cmd.peer(30, "sh", "-c", "echo | openssl s_client -connect 198.18.0.2:443 -alpn h2 2>/dev/null");
            assertTrue(r.out().contains("ALPN protocol: h2"), r.toString());
            assertTrue(r.out().contains("TLSv1.3"), r.toString());

            r = Cmd.peer(120, "sh", "-c", "head -c 10000000 /dev/urandom > /tmp/strait-ns.bin && "
                + "a=$(sha256sum < /tmp/strait-ns.bin) && "
                + "b=$(curl -sk --data-binary @/tmp/strait-ns.bin https://198.18.0.2/echo | sha256sum) && "
                + "rm -f /tmp/strait-ns.bin && [ \"$a\" = \"$b\" ] && echo same");
            assertEquals("same", r.out().strip(), "10 MB both ways over TLS, equal SHA-256: " + r);
            r = Cmd.peer(120, "sh", "-c", "curl -sk https://198.18.0.2/bytes/20000000" + PATTERN_CHECK);
            assertEquals("20000000 True", r.out().strip(), r.toString());
            assertEquals(0, s.stop(), "serve exits 0 on SIGTERM\n" + s.stderr());
        }
    }

    @Test
    void nettyGrpcAnswersPythonGrpcio() {
        try (StraitServer s = StraitServer.start("--app", "netty-grpc", "--msl-ms", "1000")) {
            final Cmd.Result r = Cmd.peer(120, "/usr/bin/python3", "-c", """
                import grpc, os, hashlib
                ch = grpc.insecure_channel('198.18.0.2:50051', options=[
                    ('grpc.max_receive_message_length', 64 << 20), ('grpc.max_send_message_length', 64 << 20)])
                unary = ch.unary_unary('/strait.Echo/Unary')
                print(unary(b'hello strait', timeout=20) == b'hello strait')
                big = os.urandom(8_000_000)
                print(hashlib.sha256(unary(big, timeout=60)).digest() == hashlib.sha256(big).digest())
                msgs = [os.urandom(i % 3000) for i in range(2000)]
                out = list(ch.stream_stream('/strait.Echo/Stream')(iter(msgs), timeout=60))
                print(out == msgs, len(out))
                try:
                    ch.unary_unary('/strait.Echo/Nope')(b'x', timeout=20)
                    print('no error')
                except grpc.RpcError as e:
                    print(e.code())
                """);
            assertEquals("True\nTrue\nTrue 2000\nStatusCode.UNIMPLEMENTED", r.out().strip(), r.toString());
            assertEquals(0, s.stop(), "serve exits 0 on SIGTERM\n" + s.stderr());
        }
    }
}
