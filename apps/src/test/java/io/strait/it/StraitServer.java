package io.strait.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** A running {@code setup/strait serve}: started, waited for READY, stopped with SIGTERM (which must exit 0). */
public final class StraitServer implements AutoCloseable {
    private final Process process;
    private final List<String> lines;
    private final StringBuilder err;
    private final String ready;
    private Thread outReader;
    private boolean stopped;
    private int exit = -1;

    private StraitServer(Process process, String ready, List<String> lines, StringBuilder err) {
        this.process = process;
        this.ready = ready;
        this.lines = lines;
        this.err = err;
    }

    public static StraitServer start(String... args) {
        return startWith(List.of(), args);
    }

    /** {@link #start} under a command prefix (for example {@code taskset -c 1}). */
    public static StraitServer startWith(List<String> prefix, String... args) {
        final List<String> argv = new ArrayList<>(prefix);
        argv.add(Cmd.ROOT.resolve("setup/strait").toString());
        argv.add("serve");
        argv.addAll(List.of(args));
        try {
            final Process p = new ProcessBuilder(argv).directory(Cmd.ROOT.toFile()).start();
            final List<String> out = new CopyOnWriteArrayList<>();
            final StringBuilder errText = new StringBuilder();
            final Thread errReader = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), errText));
            final String[] readyLine = new String[1];
            final Object lock = new Object();
            final Thread outReader = Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        out.add(line);
                        if (line.startsWith("READY")) {
                            synchronized (lock) {
                                readyLine[0] = line;
                                lock.notifyAll();
                            }
                        }
                    }
                } catch (IOException ignored) {
                    // process ended
                }
                synchronized (lock) {
                    lock.notifyAll();
                }
            });
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            synchronized (lock) {
                while (readyLine[0] == null && p.isAlive() && System.nanoTime() < deadline) {
                    lock.wait(200);
                }
            }
            if (readyLine[0] == null) {
                p.destroyForcibly().waitFor();
                errReader.join(2000);
                throw new AssertionError("strait serve did not print READY: " + String.join(" ", args)
                    + "\nstdout: " + out + "\nstderr: " + errText);
            }
            final StraitServer server = new StraitServer(p, readyLine[0], out, errText);
            server.outReader = outReader;
            return server;
        } catch (IOException e) {
            throw new AssertionError("cannot start strait serve: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void copy(java.io.InputStream in, StringBuilder sb) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (sb) {
                    sb.append(line).append('\n');
                }
            }
        } catch (IOException ignored) {
            // process ended
        }
    }

    public String readyLine() {
        return ready;
    }

    /** A field of the READY line, e.g. {@code mac}. */
    public String readyField(String name) {
        final String[] words = ready.split(" ");
        for (int i = 0; i < words.length; i++) {
            if (words[i].startsWith(name + "=")) {
                return words[i].substring(name.length() + 1);
            }
            if (words[i].equals(name) && i + 1 < words.length) {
                return words[i + 1];
            }
        }
        throw new AssertionError("READY line has no " + name + ": " + ready);
    }

    public long pid() {
        return process.pid();
    }

    /** The live counters of this server via {@code strait stat --pid}. */
    public Map<String, Long> stat() {
        final Cmd.Result r = Cmd.strait(60, "stat", "--pid", Long.toString(process.pid()));
        if (r.exit() != 0) {
            throw new AssertionError("strait stat failed: " + r);
        }
        final Map<String, Long> values = new HashMap<>();
        for (String line : r.out().split("\n")) {
            final int sp = line.lastIndexOf(' ');
            if (sp > 0 && !line.startsWith("#")) {
                values.put(line.substring(0, sp), Long.parseLong(line.substring(sp + 1)));
            }
        }
        return values;
    }

    public long counter(String name) {
        return stat().getOrDefault(name, 0L);
    }

    /** SIGTERM, then wait; returns the exit status (the contract says 0). */
    public int stop() {
        if (!stopped) {
            stopped = true;
            process.destroy(); // SIGTERM
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                    throw new AssertionError("strait serve did not stop within 60 s of SIGTERM");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exit = process.exitValue();
            try {
                outReader.join(5000); // all of stdout read
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return exit;
    }

    /** {@link #stop} and assert what every test expects of a stop: exit 0, and no exception on stderr. */
    public void stopClean() {
        org.junit.jupiter.api.Assertions.assertEquals(0, stop(), "serve exits 0 on SIGTERM\n" + stderr());
        org.junit.jupiter.api.Assertions.assertFalse(stderr().contains("Exception"), stderr());
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String output() {
        return String.join("\n", lines);
    }

    public String stderr() {
        synchronized (err) {
            return err.toString();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
