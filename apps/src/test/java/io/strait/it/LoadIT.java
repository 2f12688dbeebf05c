package io.strait.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 3 (active opens against Linux) and issue 4 (the load generator): {@code strait load} opens connections from
 * Strait's own stack against nginx, a Python HTTP server and a Python echo server in the peer namespace, and against
 * a second Strait over net_memif.
 */
class LoadIT {
    static Process nginx;
    static Process pyEcho;
    static Process pyHttp;
    static Path nginxDir;

    @BeforeAll
    static void startPeers() throws Exception {
        nginxDir = Files.createTempDirectory("strait-nginx");
        Files.writeString(nginxDir.resolve("nginx.conf"), """
            worker_processes 1;
            daemon off;
            pid %1$s/nginx.pid;
            error_log %1$s/error.log;
            events { worker_connections 4096; }
            http { access_log off; client_body_temp_path %1$s; proxy_temp_path %1$s; fastcgi_temp_path %1$s;
                   uwsgi_temp_path %1$s; scgi_temp_path %1$s;
                   server { listen 198.18.0.1:8080; location / { return 200 "hello\\n"; } } }
            """.formatted(nginxDir));
        nginx = new ProcessBuilder("ip", "netns", "exec", Cmd.NS, "nginx", "-c", nginxDir.resolve("nginx.conf")
            .toString()).redirectErrorStream(true).start();
        pyEcho = new ProcessBuilder("ip", "netns", "exec", Cmd.NS, "/usr/bin/python3", "-c", """
            import socketserver
            class H(socketserver.BaseRequestHandler):
                def handle(self):
                    while True:
                        d = self.request.recv(65536)
                        if not d: break
                        self.request.sendall(d)
            class S(socketserver.ThreadingTCPServer):
                allow_reuse_address = True
                daemon_threads = True
            S(('198.18.0.1', 7007), H).serve_forever()
            """).redirectErrorStream(true).start();
        pyHttp = new ProcessBuilder("ip", "netns", "exec", Cmd.NS, "/usr/bin/python3", "-m", "http.server", "8000",
            "--bind", "198.18.0.1", "--directory", nginxDir.toString()).redirectErrorStream(true).start();
        for (String port : new String[] {"8080", "7007", "8000"}) {
            final long deadline = System.nanoTime() + 20_000_000_000L;
            while (Cmd.peer(5, "sh", "-c", "ss -ltn | grep -c 198.18.0.1:" + port).out().strip().equals("0")) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("peer server on port " + port + " did not start");
                }
                Thread.sleep(200);
            }
        }
    }

    @AfterAll
    static void stopPeers() {
        for (Process p : new Process[] {nginx, pyEcho, pyHttp}) {
            if (p != null) {
                p.descendants().forEach(ProcessHandle::destroy);
                p.destroy();
            }
        }
    }

    record Report(long requests, long errors, double rps, double p50us) {
    }

    static Report load(String... args) {
        final Cmd.Result r = Cmd.strait(180, concat(new String[] {"load", "--json"}, args));
        assertEquals(0, r.exit(), r.toString());
        final String json = r.out().strip();
        return new Report(number(json, "requests"), number(json, "errors") + number(json, "connect_failures"),
            decimal(json, "requests_per_second"), decimal(json, "p50"));
    }

    static String[] concat(String[] a, String[] b) {
        final String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static long number(String json, String key) {
        return (long) decimal(json, key);
    }

    static double decimal(String json, String key) {
        final Matcher m = Pattern.compile("\"" + key + "\":([0-9.]+)").matcher(json);
        assertTrue(m.find(), key + " in " + json);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void httpAgainstNginxClosedLoop() {
        final Report r = load("--app", "http", "--target", "198.18.0.1:8080", "--connections", "16", "--duration",
            "5");
        assertEquals(0, r.errors());
        assertTrue(r.requests() > 5000, "requests " + r);
    }

    @Test
    void httpAgainstNginxOpenLoopKeepsTheRate() {
        final Report r = load("--app", "http", "--target", "198.18.0.1:8080", "--connections", "8", "--duration", "4",
            "--rate", "2000");
        assertEquals(0, r.errors());
        assertTrue(r.rps() > 1600 && r.rps() < 2400, "open loop near 2000 req/s: " + r);
    }

    @Test
    void echoAgainstAPythonServer() {
        final Report r = load("--app", "echo", "--target", "198.18.0.1:7007", "--connections", "4", "--duration",
            "3", "--size", "1000");
        assertEquals(0, r.errors());
        assertTrue(r.requests() > 1000, "requests " + r);
    }

    /** Python's http.server answers HTTP/1.0 and closes each connection: the generator reconnects, no errors. */
    @Test
    void httpAgainstPythonsHttpServer() {
        final Report r = load("--app", "http", "--target", "198.18.0.1:8000", "--connections", "2", "--duration",
            "3");
        assertEquals(0, r.errors());
        assertTrue(r.requests() > 100, "requests " + r);
    }

    @Test
    void httpAgainstASecondStraitOverMemif() throws Exception {
        final Path socket = Files.createTempDirectory("strait-memif").resolve("load.sock");
        try (StraitServer server = StraitServer.start("--app", "http", "--dev",
                "net_memif0,role=server,socket-abstract=no,socket=" + socket, "--ip", "198.18.4.1/24")) {
            final Report r = load("--app", "http", "--target", "198.18.4.1:80", "--connections", "8", "--duration",
                "3", "--dev", "net_memif0,role=client,socket-abstract=no,socket=" + socket, "--ip", "198.18.4.2/24");
            assertEquals(0, r.errors());
            assertTrue(r.requests() > 10_000, "requests " + r);
            // The client left first: the memif guard (MemifLeaveIT) keeps the server up through its teardown.
            assertEquals(0, server.stop(), "server exit status");
        }
    }

    @Test
    void badTargetIsOneClearLine() {
        final Cmd.Result r = Cmd.run(60, Map.of(), List.of(Cmd.ROOT.resolve("setup/strait").toString(), "load",
            "--app", "http", "--target", "198.18.0.1"));
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("--target A.B.C.D:PORT is required"), r.toString());
    }
}
