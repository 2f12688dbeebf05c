package io.strait.it;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, kill -9: a Strait process killed outright leaves nothing that stops the next one. Its address and CPU
 * locks die with it (the kernel drops them), its DPDK runtime folder is removed as stale by the next start, and a
 * peer's half-open connection to the old process is reset by the new one, which serves at once.
 */
class RestartIT {
    @Test
    void aServerKilledWithSigkillIsReplacedAtOnceOnTheSameCpuAndAddress() throws Exception {
        final StraitServer first = StraitServer.start("--app", "echo", "--msl-ms", "1000");
        final long pid = first.pid();
        final Path runtime = Path.of("/var/run/dpdk/strait-" + pid);
        assertTrue(Files.isDirectory(runtime), "the running process has its DPDK runtime folder " + runtime);
        // A peer holds a connection open across the kill.
        final Process held = new ProcessBuilder("ip", "netns", "exec", Cmd.NS, "/usr/bin/python3", "-c", """
            import socket, time
            s = socket.create_connection(('198.18.0.2', 7), timeout=30)
            s.sendall(b'before\\n'); print(s.recv(100).decode().strip(), flush=True)
            time.sleep(6)
            try:
                s.sendall(b'after\\n'); d = s.recv(100)
                print('eof' if not d else 'data')
            except (ConnectionResetError, BrokenPipeError):
                print('reset')
            """).redirectErrorStream(true).start();
        final java.io.BufferedReader heldOut = new java.io.BufferedReader(
            new java.io.InputStreamReader(held.getInputStream()));
        assertEquals("before", heldOut.readLine(), "the peer's connection is up and echoing before the kill");
        assertEquals(0, Cmd.run(10, "kill", "-9", Long.toString(pid)).exit());
        first.stop(); // reaps it: exit 137, no SIGTERM handling ran
        try (StraitServer second = StraitServer.start("--app", "echo", "--msl-ms", "1000")) {
            assertTrue(second.readyLine().contains("poll_cpus 1 "), "same CPU: " + second.readyLine());
            assertFalse(Files.exists(runtime), "the killed process's runtime folder was removed as stale");
            assertEquals("again\n", Cmd.peer(20, "sh", "-c", "printf 'again\\n' | nc -q 2 198.18.0.2 7").out());
            final String out = heldOut.readLine();
            held.waitFor();
            assertEquals("reset", out, "the old connection is reset by the new process (RFC 9293 §3.10.7.1)");
            assertEquals(0, second.stop(), second.stderr());
        }
    }
}
