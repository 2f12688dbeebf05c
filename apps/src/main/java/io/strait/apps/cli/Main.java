package io.strait.apps.cli;

import io.strait.bindings.DpdkException;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code strait} command line (../shared/CONTRACT.md): {@code serve}, {@code stat}, {@code load}, {@code ping}.
 * Every failure is one line on stderr and a non-zero exit: 2 for a usage mistake, 1 for anything else.
 */
public final class Main {
    static final String USAGE = """
        usage: strait <command> [options]     (run 'strait <command> --help' for a command's options)

        commands:
          serve   serve echo, discard or http over a DPDK port (answers ARP and ping whatever the app)
          stat    print the live counters of running 'serve' processes
          load    open connections from Strait itself and measure requests/s and latency
          ping    send ICMP echo requests from Strait and report the replies
          bench   the benchmark harness: Strait against the Linux stack side by side (setup/bench --help)

        The embedded default port is net_af_packet0,iface=strait0 with address 198.18.0.2/24: create that test
        network with 'setup/net up'. Strait needs root (DPDK) and a JDK 25 (setup/strait finds one).
        """;

    private Main() {
    }

    public static void main(String[] argv) {
        final int status = run(argv, System.out, System.err);
        System.out.flush();
        System.exit(status);
    }

    static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            (argv.length == 0 ? err : out).print(USAGE);
            return argv.length == 0 ? 2 : 0;
        }
        final String command = argv[0];
        final List<String> rest = Arrays.asList(argv).subList(1, argv.length);
        try {
            return switch (command) {
                case "serve" -> ServeCommand.run(rest, out, err);
                case "stat" -> StatCommand.run(rest, out, err);
                case "ping" -> PingCommand.run(rest, out, err);
                case "load" -> LoadCommand.run(rest, out, err);
                default -> throw new Args.UsageException("unknown command '" + command
                    + "' (serve, stat, load, ping; see strait --help)");
            };
        } catch (Args.UsageException e) {
            err.println("strait " + e.getMessage());
            return 2;
        } catch (DpdkException | IllegalStateException | IllegalArgumentException e) {
            err.println("strait " + command + ": " + e.getMessage());
            return 1;
        }
    }

    /** True when running as root (DPDK needs it for af_packet, memif sockets and the runtime directory). */
    static void requireRoot(String command) {
        if (new com.sun.security.auth.module.UnixSystem().getUid() != 0) {
            throw new IllegalStateException("must run as root (DPDK opens raw sockets and its runtime directory); "
                + "try: sudo setup/strait " + command);
        }
    }

    static boolean wantsHelp(List<String> args) {
        return args.contains("--help") || args.contains("-h");
    }
}
