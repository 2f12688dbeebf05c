package io.strait.it;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Shared steps of the wire fault tests: clients run in the background in the peer, connection counts, bodies. */
final class WireFaults {
    /** Every TCB state a connection holds a slot in (TIME_WAIT is left out: it ends by itself after 2 MSL). */
    static final String[] OPEN_STATES = {"syn_received", "established", "close_wait", "last_ack", "fin_wait_1",
        "fin_wait_2", "closing"};

    private WireFaults() {
    }

    /** Connections holding a TCB in {@link #OPEN_STATES}. */
    static long open(Map<String, Long> stat) {
        long n = 0;
        for (String s : OPEN_STATES) {
            n += stat.getOrDefault("tcp.conn_" + s, 0L);
        }
        return n;
    }

    /** Waits (at most {@code seconds}) until no connection holds a TCB; returns the last counters read. */
    static Map<String, Long> awaitNoConnection(StraitServer server, int seconds) throws InterruptedException {
        final long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        Map<String, Long> stat = server.stat();
        while (open(stat) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            stat = server.stat();
        }
        return stat;
    }

    /** Waits (at most {@code seconds}) until {@code tcp.conn_established} reaches {@code n}. */
    static Map<String, Long> awaitEstablished(StraitServer server, long n, int seconds) throws InterruptedException {
        final long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        Map<String, Long> stat = server.stat();
        while (stat.getOrDefault("tcp.conn_established", 0L) != n && System.nanoTime() < deadline) {
            Thread.sleep(200);
            stat = server.stat();
        }
        return stat;
    }

    /** A shell command started in the peer namespace, pinned to CPU 0 (Strait's poll thread has CPU 1). */
    static Process peerShell(String command) {
        try {
            return new ProcessBuilder("ip", "netns", "exec", Cmd.NS, "taskset", "-c", "0", "sh", "-c", command)
                .redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            throw new AssertionError("cannot start " + command + ": " + e.getMessage(), e);
        }
    }

    /** Python 3 (Debian's) in the peer namespace, pinned to CPU 0, running {@code script}. */
    static Process peerPython(String script) {
        try {
            return new ProcessBuilder("ip", "netns", "exec", Cmd.NS, "taskset", "-c", "0", "/usr/bin/python3", "-u",
                "-c", script).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            throw new AssertionError("cannot start python: " + e.getMessage(), e);
        }
    }

    /** Waits for a background process; its whole output (it must end within {@code seconds}). */
    static String finish(Process p, int seconds) throws Exception {
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("did not end within " + seconds + " s: "
                + new String(p.getInputStream().readAllBytes()));
        }
        return new String(p.getInputStream().readAllBytes());
    }

    /** Reads lines of a running process until one starts with {@code prefix}; fails after {@code seconds}. */
    static String awaitLine(Process p, String prefix, int seconds) throws Exception {
        final java.io.BufferedReader r = p.inputReader();
        final List<String> seen = new ArrayList<>();
        final long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!r.ready()) {
                if (!p.isAlive() && !r.ready()) {
                    break;
                }
                Thread.sleep(50);
                continue;
            }
            final String line = r.readLine();
            if (line == null) {
                break;
            }
            seen.add(line);
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new AssertionError("no line starting with '" + prefix + "' within " + seconds + " s: " + seen);
    }

    /** SHA-256 of the http app's /bytes/N body: byte i is i mod 251 (../shared/CONTRACT.md). */
    static String sha256OfPattern(int n) throws Exception {
        final MessageDigest md = MessageDigest.getInstance("SHA-256");
        final byte[] chunk = new byte[251 * 4096];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) (i % 251);
        }
        int left = n;
        while (left > 0) {
            final int k = Math.min(left, chunk.length);
            md.update(chunk, 0, k);
            left -= k;
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** The change of each counter from {@code before} to {@code after}, totals only, those that moved. */
    static String moved(Map<String, Long> before, Map<String, Long> after) {
        final StringBuilder sb = new StringBuilder();
        after.forEach((k, v) -> {
            final long d = v - before.getOrDefault(k, 0L);
            if (d != 0 && !k.startsWith("core") && !k.contains("hiccup")) {
                sb.append(k).append(' ').append(d > 0 ? "+" : "").append(d).append(", ");
            }
        });
        return sb.toString();
    }
}
