package io.strait.apps.cli;

import io.strait.apps.api.Strait;
import io.strait.apps.load.LoadGenerator;
import io.strait.apps.load.LoadReport;
import io.strait.dataplane.DataplaneConfig;
import io.strait.dataplane.wire.Ipv4;
import io.strait.tcp.TcpConfig;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** {@code strait load} (CONTRACT.md "Load"): active opens from Strait itself, closed or open loop. */
final class LoadCommand {
    static final String HELP = """
        usage: strait load --app echo|http --target A.B.C.D:PORT [--connections N] [--duration SECONDS]
                           [--rate REQ_PER_S] [--size BYTES] [--dev DEVARGS] [--ip A.B.C.D/LEN] [--gw A.B.C.D]
                           [--cores N] [--cpus LIST] [--eal "EXTRA EAL ARGS"] [--close] [--warmup SECONDS] [--json]
                           [--hugepages]
          Opens N connections (default 16) from Strait's own stack and keeps each busy for the duration
          (default 10 s): echo sends --size bytes (default 64) and waits for them back; http sends GET / (or
          GET /bytes/SIZE with --size) and reads the response. Without --rate it is closed loop; with --rate it
          is open loop and latency counts from each request's intended send time (no coordinated omission).
          --close (http): each request says Connection: close, so every connection carries one request and the
          server closes it; requests/s is then the connection rate (connect, one request, close).
          --warmup S runs the load S seconds before the measured duration and leaves them out of the report.
          Prints a progress line every second on stderr, then requests/s, bytes/s and latency percentiles
          (p50, p90, p99, p99.9, max); --json prints the report as JSON. Exits 1 if any request failed.
          If every connection's first attempt is refused and none is ever accepted (nothing listens on the
          port), stops at once with "connection refused by A:P" and exits 1.
          Poll threads take the first free CPUs of the process's mask (--cpus to choose), serve's the last, so
          both fit on one machine; a CPU another Strait process spins on is never shared.
          --hugepages backs DPDK's memory with hugepages (virtio_user needs shared memory).
          Defaults: --dev net_af_packet0,iface=strait0 --ip 198.18.0.2/24
        """;

    private LoadCommand() {
    }

    static int run(List<String> argv, PrintStream out, PrintStream err) {
        if (Main.wantsHelp(argv)) {
            out.print(HELP);
            return 0;
        }
        final Args a = new Args("load", argv, Set.of("--app", "--target", "--connections", "--duration", "--rate",
            "--size", "--dev", "--ip", "--gw", "--cores", "--eal", "--cpus", "--warmup"), Set.of("--json", "--close",
            "--hugepages"));
        final String appName = a.get("--app", null);
        if (appName == null) {
            throw new Args.UsageException("load: --app echo|http is required");
        }
        final int app = switch (appName) {
            case "echo" -> LoadGenerator.ECHO;
            case "http" -> LoadGenerator.HTTP;
            default -> throw new Args.UsageException("load: unknown --app '" + appName + "' (echo, http)");
        };
        final String target = a.get("--target", null);
        if (target == null || target.indexOf(':') < 0) {
            throw new Args.UsageException("load: --target A.B.C.D:PORT is required");
        }
        final int targetIp = Ipv4.parse(target.substring(0, target.indexOf(':')));
        final int targetPort;
        try {
            targetPort = Integer.parseInt(target.substring(target.indexOf(':') + 1));
        } catch (NumberFormatException e) {
            throw new Args.UsageException("load: --target port must be a number: '" + target + "'");
        }
        if (targetPort < 1 || targetPort > 65535) {
            throw new Args.UsageException("load: --target port must be 1..65535");
        }
        final int connections = a.getInt("--connections", 16, 1, 60_000);
        final int duration = a.getInt("--duration", 10, 1, 86_400);
        final int warmup = a.getInt("--warmup", 0, 0, 3_600);
        final double rate = a.getDouble("--rate", 0);
        if (rate < 0) {
            throw new Args.UsageException("load: --rate must be positive");
        }
        final int size = a.getInt("--size", app == LoadGenerator.ECHO ? 64 : 0, 0, 1 << 24);
        if (app == LoadGenerator.ECHO && size == 0) {
            throw new Args.UsageException("load: --size must be at least 1 for echo");
        }
        final boolean closeEach = a.has("--close");
        if (closeEach && app != LoadGenerator.HTTP) {
            throw new Args.UsageException("load: --close needs --app http (the server must close first)");
        }
        final int cores = a.getInt("--cores", 1, 1, 64);
        Main.requireRoot("load");

        // Room for the connections plus those closing (TIME_WAIT is 2 s here: 2 x MSL of 1 s).
        final int maxConnections = Math.max(4096, Integer.highestOneBit(connections * 2 / cores + 16) * 2);
        final TcpConfig tcp = TcpConfig.builder().maxConnections(maxConnections).sendBufferBytes(64 * 1024)
            .receiveBufferBytes(64 * 1024).mslNs(1_000_000_000L).build();
        // Without --cpus: the first free CPUs of the mask (serve takes the last), never one another Strait spins on.
        final int[] cpus = a.has("--cpus") ? ServeCommand.parseCpus(a.get("--cpus", "")) : null;
        final LoadGenerator[] generators = new LoadGenerator[cores];
        try (Strait strait = Strait.builder()
                .dev(a.get("--dev", DataplaneConfig.DEFAULT_DEV))
                .ip(a.get("--ip", "198.18.0.2/24"))
                .gateway(a.get("--gw", ""))
                .cores(cores)
                .dataplane(d -> {
                    d.preferFirstCpus(true);
                    if (cpus != null) {
                        d.cpus(cpus);
                    }
                })
                .eal(a.get("--eal", ""))
                .hugepages(a.has("--hugepages")) // virtio_user needs shared (hugepage) memory
                .tcp(tcp)
                .start()) {
            for (int i = 0; i < cores; i++) {
                final int share = connections / cores + (i < connections % cores ? 1 : 0);
                final double shareRate = rate * share / connections;
                final int core = i;
                generators[i] = new LoadGenerator(strait.core(i), app, targetIp, targetPort, share, shareRate, size,
                    target, maxConnections, closeEach);
                while (!strait.core(i).execute(() -> strait.core(core).addTask(generators[core]))) {
                    Thread.onSpinWait();
                }
            }
            if (warmup > 0) {
                if (!runUntil(System.nanoTime() + warmup * 1_000_000_000L, generators, connections)) {
                    return refused(generators, target, err);
                }
                err.printf("load: warm-up of %d s done (%d requests), measuring%n", warmup,
                    LoadReport.sum(generators, LoadReport.REQUESTS));
                for (LoadGenerator g : generators) {
                    g.resetStats();
                }
            }
            final long startNs = System.nanoTime();
            final LoadReport report = new LoadReport(appName, target, connections, rate, size);
            long lastRequests = 0;
            for (int second = 1; second <= duration; second++) {
                if (!runUntil(startNs + second * 1_000_000_000L, generators, connections)) {
                    return refused(generators, target, err);
                }
                final long done = LoadReport.sum(generators, LoadReport.REQUESTS);
                err.printf("load: %3d s  %10d requests  %9.0f req/s  %d errors%n", second, done,
                    (double) (done - lastRequests), LoadReport.sum(generators, LoadReport.ERRORS));
                lastRequests = done;
            }
            final long elapsedNs = System.nanoTime() - startNs;
            stopAll(generators);
            strait.dataplane().close(); // joins the core threads: their histograms are safe to read after this
            report.collect(generators, elapsedNs);
            out.println(a.has("--json") ? report.json() : report.text());
            return report.failed() ? 1 : 0;
        }
    }

    /** Asks every generator to close its connections and waits for them (5 s at most). */
    private static void stopAll(LoadGenerator[] generators) {
        for (LoadGenerator g : generators) {
            g.stop();
        }
        final long stopDeadline = System.nanoTime() + 5_000_000_000L;
        for (LoadGenerator g : generators) {
            while (!g.stopped() && System.nanoTime() < stopDeadline) {
                Thread.onSpinWait();
            }
        }
    }

    /** Nothing listens at the target: one line instead of a count of refusals, and a failed exit. */
    private static int refused(LoadGenerator[] generators, String target, PrintStream err) {
        stopAll(generators);
        err.println("strait load: connection refused by " + target);
        return 1;
    }

    /**
     * Sleeps until {@code deadlineNs}, looking every 20 ms whether the target refuses outright
     * ({@link LoadReport#refusedOutright}); false as soon as it does.
     */
    private static boolean runUntil(long deadlineNs, LoadGenerator[] generators, int connections) {
        while (!LoadReport.refusedOutright(generators, connections)) {
            final long left = deadlineNs - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            sleepUntil(System.nanoTime() + Math.min(left, 20_000_000L));
        }
        return false;
    }

    private static void sleepUntil(long deadlineNs) {
        long left;
        while ((left = deadlineNs - System.nanoTime()) > 0) {
            try {
                Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
