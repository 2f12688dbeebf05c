package io.strait.it;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10 (no state held forever by a peer that stops cooperating): the http app closes a keep-alive connection
 * idle for {@code --http-keepalive-timeout-ms} after its last response, as nginx's keepalive_timeout, and only such a
 * connection: one that keeps sending requests, and one still reading a long answer slowly, are left alone.
 */
class KeepAliveTimeoutIT {
    @Test
    void idleKeepAliveConnectionsAreClosedAndBusyOnesAreNot() throws Exception {
        try (StraitServer http = StraitServer.start("--app", "http", "--http-keepalive-timeout-ms", "1000")) {
            final Cmd.Result r = Cmd.peer(120, "/usr/bin/python3", "-c", """
                import socket, time, threading
                REQ = b'GET / HTTP/1.1\\r\\nHost: strait\\r\\n\\r\\n'
                def answer(s, n):
                    got = b''
                    while len(got) < n:
                        b = s.recv(65536)
                        if not b: break
                        got += b
                    return got
                # 1: one request, then idle: closed by the server (EOF) after about a second
                idle = socket.create_connection(('198.18.0.2', 80), timeout=10)
                idle.sendall(REQ); first = answer(idle, 1)
                while not first.endswith(b'hello\\n'): first += idle.recv(4096)
                t0 = time.time(); eof = idle.recv(1) == b''; idle_s = time.time() - t0
                # 2: a request every 400 ms for 4 s: never idle 1 s, never closed
                busy = socket.create_connection(('198.18.0.2', 80), timeout=10)
                busy_ok = 0
                for i in range(10):
                    busy.sendall(REQ); got = b''
                    while not got.endswith(b'hello\\n'):
                        b = busy.recv(4096)
                        if not b: break
                        got += b
                    busy_ok += got.endswith(b'hello\\n'); time.sleep(0.4)
                # 3: a 20 MB answer read slowly over about 3 s: the answer is in progress, not idle
                slow = socket.socket(); slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
                slow.settimeout(10); slow.connect(('198.18.0.2', 80))
                slow.sendall(b'GET /bytes/20000000 HTTP/1.1\\r\\nHost: strait\\r\\n\\r\\n')
                n = 0; t0 = time.time()
                while True:
                    b = slow.recv(65536)
                    if not b: break
                    n += len(b); time.sleep(0.01)
                    if n >= 20000000 + 60: break
                print(int(eof), round(idle_s, 2), busy_ok, n >= 20000000, round(time.time() - t0, 1))
                """);
            assertEquals(0, r.exit(), r.toString());
            final String[] f = r.out().strip().split(" ");
            System.out.println("KeepAliveTimeoutIT: eof " + f[0] + " after " + f[1] + " s idle; busy requests "
                + f[2] + "/10; slow 20 MB reader complete " + f[3] + " in " + f[4] + " s");
            assertEquals("1", f[0], "the idle connection is closed: " + r.out());
            final double idleS = Double.parseDouble(f[1]);
            assertTrue(idleS > 0.8 && idleS < 3, "closed about a second after its last response: " + r.out());
            assertEquals("10", f[2], "a connection sending a request every 400 ms is never closed: " + r.out());
            assertEquals("True", f[3], "a slow reader gets its whole answer: " + r.out());
            assertTrue(Double.parseDouble(f[4]) > 1.2, "the slow read outlasted the timeout: " + r.out());
            final Map<String, Long> stat = http.stat();
            assertTrue(stat.getOrDefault("http.keepalive_timeouts", 0L) >= 1, "counted: " + stat);
            http.stopClean();
        }
    }
}
