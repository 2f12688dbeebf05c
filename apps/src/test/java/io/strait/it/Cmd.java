package io.strait.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion with a timeout; captures stdout and stderr. For integration tests only. */
public final class Cmd {
    public static final Path ROOT = Path.of(System.getProperty("strait.root", "."));
    public static final String NS = "strait-peer";

    public record Result(int exit, String out, String err) {
        public String all() {
            return out + err;
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    private Cmd() {
    }

    public static Result run(int timeoutSeconds, String... argv) {
        return run(timeoutSeconds, Map.of(), List.of(argv));
    }

    public static Result run(int timeoutSeconds, Map<String, String> env, List<String> argv) {
        try {
            final ProcessBuilder pb = new ProcessBuilder(argv).directory(ROOT.toFile());
            pb.environment().putAll(env);
            final Path out = java.nio.file.Files.createTempFile("strait-it", ".out");
            final Path err = java.nio.file.Files.createTempFile("strait-it", ".err");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            final Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError("timed out after " + timeoutSeconds + " s: " + String.join(" ", argv)
                    + "\n" + java.nio.file.Files.readString(out) + java.nio.file.Files.readString(err));
            }
            final Result r = new Result(p.exitValue(), java.nio.file.Files.readString(out, StandardCharsets.UTF_8),
                java.nio.file.Files.readString(err, StandardCharsets.UTF_8));
            java.nio.file.Files.deleteIfExists(out);
            java.nio.file.Files.deleteIfExists(err);
            return r;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", argv) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Runs a command inside the peer namespace, where the Linux kernel is Strait's peer. */
    public static Result peer(int timeoutSeconds, String... argv) {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", NS));
        full.addAll(List.of(argv));
        return run(timeoutSeconds, Map.of(), full);
    }

    /** A scapy script run by Debian's python (the one that has scapy) inside the peer namespace. */
    public static Result scapy(int timeoutSeconds, String script) {
        return peer(timeoutSeconds, "/usr/bin/python3", "-c", "from scapy.all import *\nconf.verb=0\n" + script);
    }

    /** setup/strait with arguments, run to completion. */
    public static Result strait(int timeoutSeconds, String... args) {
        final List<String> full = new ArrayList<>();
        full.add(ROOT.resolve("setup/strait").toString());
        full.addAll(List.of(args));
        return run(timeoutSeconds, Map.of(), full);
    }
}
