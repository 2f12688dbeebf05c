package io.strait.apps.cli;

import io.strait.dataplane.CountersFile;
import io.strait.dataplane.Dataplane;
import io.strait.dataplane.DataplaneConfig;
import io.strait.dataplane.NetAgent;
import io.strait.dataplane.wire.Ipv4;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/** {@code strait serve}: the apps of CONTRACT.md over a DPDK port, ARP and ICMP echo always. */
final class ServeCommand {
    static final String HELP = """
        usage: strait serve --app echo|discard|http [--port N] [--dev DEVARGS] [--ip A.B.C.D/LEN] [--gw A.B.C.D]
                            [--cores N] [--eal "EXTRA EAL ARGS"] [--cpus LIST] [--idle spin|yield|backoff|sleep]
                            [--mem MB] [--hugepages]
          echo     writes back every byte it receives until the peer closes (default port 7)
          discard  reads and drops everything (default port 9)
          http     HTTP/1.1: GET /, GET /bytes/N, POST /echo (default port 80)
          Defaults: --dev net_af_packet0,iface=strait0 --ip 198.18.0.2/24 --cores 1.
          --dev takes any DPDK device: a PCI address, net_af_packet0,iface=X, net_af_xdp0,iface=X,
          net_memif0,role=server,socket=PATH, net_tap0, net_ring0.
          Prints a line beginning with READY when it accepts connections; SIGINT or SIGTERM stops it cleanly,
          printing its counters.
        """;

    private ServeCommand() {
    }

    static int run(List<String> argv, PrintStream out, PrintStream err) {
        if (Main.wantsHelp(argv)) {
            out.print(HELP);
            return 0;
        }
        final Args a = new Args("serve", argv, Set.of("--app", "--port", "--dev", "--ip", "--gw", "--cores", "--eal",
            "--cpus", "--idle", "--mem"), Set.of("--hugepages"));
        final String app = a.get("--app", null);
        if (app == null) {
            throw new Args.UsageException("serve: --app echo|discard|http is required");
        }
        final int defaultPort = switch (app) {
            case "echo" -> 7;
            case "discard" -> 9;
            case "http" -> 80;
            default -> throw new Args.UsageException("serve: unknown --app '" + app + "' (echo, discard, http)");
        };
        final int port = a.getInt("--port", defaultPort, 1, 65535);
        final DataplaneConfig config = new DataplaneConfig()
            .dev(a.get("--dev", DataplaneConfig.DEFAULT_DEV))
            .ip(a.get("--ip", "198.18.0.2/24"))
            .gateway(a.get("--gw", ""))
            .cores(a.getInt("--cores", 1, 1, 64))
            .ealExtra(a.get("--eal", ""))
            .idle(a.get("--idle", "spin"))
            .memoryMb(a.getInt("--mem", 512, 64, 1 << 20))
            .hugepages(a.has("--hugepages"));
        if (a.has("--cpus")) {
            config.cpus(parseCpus(a.get("--cpus", "")));
        }
        Main.requireRoot("serve");

        final CountDownLatch stop = new CountDownLatch(1);
        installSignalHandlers(stop);
        try (CountersFile counters = CountersFile.create(4096)) {
            final Consumer<NetAgent> perCore = agent -> { };
            try (Dataplane dp = Dataplane.open(config, counters, perCore)) {
                dp.start();
                out.println("READY app=" + app + " port=" + port + " " + dp.describe());
                out.flush();
                try {
                    stop.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                out.println("stopping");
            }
            for (Map.Entry<String, Long> e : StatCommand.snapshot(counters.manager()).entrySet()) {
                if (e.getValue() != 0) {
                    out.println(e.getKey() + " " + e.getValue());
                }
            }
            out.flush();
        }
        return 0;
    }

    @SuppressWarnings("removal")
    private static void installSignalHandlers(CountDownLatch stop) {
        for (String name : new String[] {"INT", "TERM"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), s -> stop.countDown());
        }
    }

    static int[] parseCpus(String list) {
        final String[] parts = list.split(",");
        final int[] cpus = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                cpus[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new Args.UsageException("serve: --cpus takes a comma list of CPU numbers, not '" + list + "'");
            }
        }
        return cpus;
    }

    static String address(int ip) {
        return Ipv4.toString(ip);
    }
}
