package io.strait.apps.cli;

import io.strait.apps.api.ConnectionHandler;
import io.strait.apps.api.Strait;
import io.strait.apps.api.StraitCore;
import io.strait.dataplane.CountersFile;
import io.strait.dataplane.DataplaneConfig;
import io.strait.dataplane.wire.Ipv4;
import io.strait.apps.servers.DiscardServer;
import io.strait.apps.servers.EchoServer;
import io.strait.apps.servers.HttpResponseHead;
import io.strait.apps.servers.HttpServer;
import io.strait.tcp.TcpConfig;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/** {@code strait serve}: the apps of CONTRACT.md over a DPDK port, ARP and ICMP echo always. */
final class ServeCommand {
    static final String HELP = """
        usage: strait serve --app echo|discard|http|netty-http|netty-https|netty-grpc [--port N] [--dev DEVARGS] [--ip A.B.C.D/LEN] [--gw A.B.C.D]
                            [--cores N] [--eal "EXTRA EAL ARGS"] [--cpus LIST] [--idle spin|yield|backoff|sleep]
                            [--mem MB] [--hugepages] [--max-connections N] [--buffer-kb KB]
                            [--buffer-max-kb KB] [--buffer-budget-mb MB] [--cc newreno|cubic|bbr] [--msl-ms MS]
                            [--rto-min-ms MS] [--tlp-min-ms MS] [--mtu-probing on|off]
                            [--mtu-probe-interval-ms MS] [--pcap FILE]
                            [--impair loss=P,dup=P,reorder=P,corrupt=P,delay=MS,seed=N]
                            [--tls-cert PEM --tls-key PEM] [--warmup] [--aot] [--http-header-timeout-ms MS]
                            [--http-keepalive-timeout-ms MS] [--tcp-keepalive on|off|IDLE_S,INTERVAL_S,COUNT]
          echo         writes back every byte it receives until the peer closes (default port 7)
          discard      reads and drops everything (default port 9)
          http         HTTP/1.1: GET /, GET /bytes/N, POST /echo (default port 80)
          netty-http   the same routes from a Netty pipeline on Strait's Netty transport, HTTP/1.1 and
                       HTTP/2 cleartext (prior knowledge or Upgrade) on one port (default 80)
          netty-https  the same over TLS (JDK provider, ALPN h2 and http/1.1; a self-signed key pair made at
                       start unless --tls-cert and --tls-key are given) (default port 443)
          netty-grpc   gRPC-java: service strait.Echo, methods Unary and Stream answer raw bytes with the same
                       bytes (default port 50051)
          Defaults: --dev net_af_packet0,iface=strait0 --ip 198.18.0.2/24 --cores 1.
          --dev takes any DPDK device: a PCI address, net_af_packet0,iface=X, net_af_xdp0,iface=X,
          net_memif0,role=server,socket=PATH, net_tap0, net_ring0.
          TCP: --max-connections per core (12288), send and receive buffer per connection (64 KB), growing to
          --buffer-max-kb (4096) when the bandwidth-delay product needs it, within --buffer-budget-mb per core
          (256); congestion control as the host's Linux (net.ipv4.tcp_congestion_control: bbr, cubic, reno;
          else cubic), MSL (30000 ms: TIME_WAIT lasts 2 MSL, as Linux's 60 s), minimum RTO (200 ms) and
          tail-loss-probe floor added to 2 SRTT (2 ms), both as Linux; `strait stat` shows them (rto_min_us,
          tlp_min_us). Path MTU probing where ICMP is filtered (RFC 4821, as Linux tcp_mtu_probing=1): on; after
          three timeouts in a row of full-size segments the MSS falls to 1024 and probes search upward, again
          every --mtu-probe-interval-ms (600000, Linux's tcp_probe_interval) once a search has ended.
          --http-header-timeout-ms: the http app answers 408 and closes a connection whose request header is
          not complete this long after the connection opened or the request began (60000, nginx's
          client_header_timeout; 0: never); counted as http.header_timeouts, one line on stderr per 10 s at most.
          --http-keepalive-timeout-ms: the http app closes a keep-alive connection idle this long after its last
          response (75000, nginx's keepalive_timeout; 0: never); counted as http.keepalive_timeouts.
          --tcp-keepalive: TCP keep-alive probes (RFC 1122 §4.2.3.6) after IDLE_S idle, every INTERVAL_S, closing
          the connection after COUNT unanswered (on: Linux's 7200,75,9); on by default for echo and discard, which
          have no idle bound of their own, off for http; counted as tcp.keepalive_probes, tcp.keepalive_timeouts.
          --pcap FILE writes every frame in and out (pcap, nanosecond timestamps; core N > 0 writes FILE.N).
          --impair injects faults on Strait's own port in both directions (probabilities 0..1, delay in ms).
          --warmup: before READY, echo and http run the whole path of a core (agent, engine, app) against a
          private client over an in-memory port with the real port's checksum offloads, 200k exchanges or 10 s,
          then 300 bulk exchanges (256 KB) over the same port at 2% loss and 1% reordering, so that the JIT has
          compiled the core and its loss recovery before the first client. --aot (read by setup/strait, which starts the
          JVM): the JDK's AOT cache, keyed by a hash of the build; the first run of a build records it (serve it
          real traffic, then stop it), later runs load it. Measured here (p99 of the first 10k requests after
          READY against the last 10k of 40k): none 15-23x, --warmup 7-9x, --aot 25-30x, --aot --warmup 1.3x.
          Both are off by default (the README's warm-up section).
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
            "--cpus", "--idle", "--mem", "--max-connections", "--buffer-kb", "--buffer-max-kb", "--buffer-budget-mb",
            "--cc", "--msl-ms", "--rto-min-ms", "--tlp-min-ms", "--mtu-probing", "--mtu-probe-interval-ms", "--pcap",
            "--impair", "--tls-cert", "--tls-key", "--http-header-timeout-ms",
            "--http-keepalive-timeout-ms", "--tcp-keepalive"),
            Set.of("--hugepages", "--warmup", "--aot"));
        final String app = a.get("--app", null);
        if (app == null) {
            throw new Args.UsageException("serve: --app echo|discard|http|netty-http|netty-https|netty-grpc is "
                + "required");
        }
        final int defaultPort = switch (app) {
            case "echo" -> 7;
            case "discard" -> 9;
            case "http", "netty-http" -> 80;
            case "netty-https" -> 443;
            case "netty-grpc" -> 50051;
            default -> throw new Args.UsageException("serve: unknown --app '" + app
                + "' (echo, discard, http, netty-http, netty-https, netty-grpc)");
        };
        final int port = a.getInt("--port", defaultPort, 1, 65535);
        final Consumer<DataplaneConfig> settings = d -> {
            d.dev(a.get("--dev", DataplaneConfig.DEFAULT_DEV))
                .ip(a.get("--ip", "198.18.0.2/24"))
                .gateway(a.get("--gw", ""))
                .cores(a.getInt("--cores", 1, 1, 64))
                .ealExtra(a.get("--eal", ""))
                .idle(a.get("--idle", "spin"))
                .memoryMb(a.getInt("--mem", 512, 64, 1 << 20))
                .hugepages(a.has("--hugepages"))
                .pcap(a.get("--pcap", null))
                .impair(a.get("--impair", null));
            if (a.has("--cpus")) {
                d.cpus(parseCpus(a.get("--cpus", "")));
            }
        };
        final DataplaneConfig config = new DataplaneConfig();
        settings.accept(config); // checks every setting before anything starts
        final TcpConfig tcpConfig = tcpConfig(a);
        Main.requireRoot("serve");
        if (app.startsWith("netty-")) {
            return serveNetty(app, port, settings, tcpConfig, a.get("--tls-cert", null), a.get("--tls-key", null),
                out);
        }

        final CountDownLatch stop = new CountDownLatch(1);
        installSignalHandlers(stop);
        try (CountersFile counters = CountersFile.create(4096)) {
            // The embedding API, as any app: Strait runs the cores; each core gets its own server instance.
            try (Strait strait = Strait.builder().dataplane(settings).tcp(tcpConfig).counters(counters).start()) {
                final long headerTimeoutNs = a.getInt("--http-header-timeout-ms",
                    (int) (HttpServer.DEFAULT_HEADER_TIMEOUT_NS / 1_000_000), 0, 3_600_000) * 1_000_000L;
                final org.agrona.concurrent.status.AtomicCounter[] headerTimeouts =
                    new org.agrona.concurrent.status.AtomicCounter[strait.cores()];
                for (int i = 0; i < headerTimeouts.length && app.equals("http"); i++) {
                    headerTimeouts[i] = counters.manager().newCounter("core" + i + ".http.header_timeouts");
                }
                final long keepAliveTimeoutNs = a.getInt("--http-keepalive-timeout-ms",
                    (int) (HttpServer.DEFAULT_KEEPALIVE_TIMEOUT_NS / 1_000_000), 0, 3_600_000) * 1_000_000L;
                final org.agrona.concurrent.status.AtomicCounter[] idleTimeouts =
                    new org.agrona.concurrent.status.AtomicCounter[strait.cores()];
                for (int i = 0; i < idleTimeouts.length && app.equals("http"); i++) {
                    idleTimeouts[i] = counters.manager().newCounter("core" + i + ".http.keepalive_timeouts");
                }
                strait.listen(port, core -> app(app, core, headerTimeoutNs, headerTimeouts[core.index()],
                    keepAliveTimeoutNs, idleTimeouts[core.index()]));
                if (a.has("--warmup")) {
                    warmUp(app, tcpConfig, strait.dataplane().agent(0).caps(), headerTimeoutNs, keepAliveTimeoutNs);
                }
                out.println("READY app=" + app + " port=" + port + " " + strait.dataplane().describe() + " "
                    + strait.dataplane().placement());
                out.flush();
                try {
                    stop.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                out.println("stopping");
            } // close(): FIN to every connection, 2 s to finish, RST to the rest, then the port is released
            for (Map.Entry<String, Long> e : StatCommand.snapshot(counters.manager()).entrySet()) {
                if (e.getValue() != 0) {
                    out.println(e.getKey() + " " + e.getValue());
                }
            }
            out.flush();
        }
        return 0;
    }

    /**
     * The Netty apps: a Strait built from the same settings, driven by a Netty event loop group (strait-netty,
     * found by name so this module does not depend on it).
     */
    private static int serveNetty(String app, int port, Consumer<DataplaneConfig> settings, TcpConfig tcpConfig,
                                  String tlsCert,
                                  String tlsKey, PrintStream out) {
        final java.lang.reflect.Method serve;
        try {
            serve = Class.forName("io.strait.netty.apps.NettyServe").getMethod("serve", String.class, int.class,
                io.strait.apps.api.Strait.Builder.class, String.class, String.class, PrintStream.class,
                CountDownLatch.class, Consumer.class);
        } catch (ReflectiveOperationException e) {
            throw new Args.UsageException("serve: --app " + app + " needs the Netty transport (strait-netty) on the "
                + "class path; build it with setup/build");
        }
        final io.strait.apps.api.Strait.Builder builder = io.strait.apps.api.Strait.builder().tcp(tcpConfig)
            .dataplane(settings);
        final CountDownLatch stop = new CountDownLatch(1);
        installSignalHandlers(stop);
        final Consumer<io.strait.apps.api.Strait> printCounters = strait -> {
            for (Map.Entry<String, Long> e : StatCommand.snapshot(strait.counters().manager()).entrySet()) {
                if (e.getValue() != 0) {
                    out.println(e.getKey() + " " + e.getValue());
                }
            }
            out.flush();
        };
        try {
            serve.invoke(null, app, port, builder, tlsCert, tlsKey, out, stop, printCounters);
        } catch (java.lang.reflect.InvocationTargetException e) {
            final Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("serve: " + app + " failed: " + cause, cause);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        return 0;
    }

    /** The TCP configuration from the command line: a server's defaults (many connections, modest buffers). */
    static TcpConfig tcpConfig(Args a) {
        final int bufferBytes = a.getInt("--buffer-kb", 64, 4, 16 * 1024) * 1024;
        final int maxConnections = a.getInt("--max-connections", 12288, 16, 1 << 20);
        final int largeBytes = Math.max(a.getInt("--buffer-max-kb", 4096, 4, 64 * 1024) * 1024, bufferBytes);
        final long budgetBytes = a.getInt("--buffer-budget-mb", 256, 0, 1 << 20) * (1L << 20);
        final int largeBuffers = TcpConfig.largeBuffersFor(budgetBytes, largeBytes);
        final String cc = a.get("--cc", hostCongestionControl());
        final String probing = a.get("--mtu-probing", "on");
        if (!probing.equals("on") && !probing.equals("off")) {
            throw new Args.UsageException("serve: --mtu-probing takes on or off, not '" + probing + "'");
        }
        // RFC 9293 §3.8.4 (MUST-24): keep-alives default to off in the engine; an application may turn them on.
        // serve's echo and discard do, at Linux's timings: they have no idle bound of their own, and a peer that
        // vanishes without a FIN or RST (a crashed host, a dropped route) would hold their connection forever. The
        // http app has its header and keep-alive timeouts.
        final String app = a.get("--app", "");
        final String keepalive = a.get("--tcp-keepalive",
            app.equals("echo") || app.equals("discard") ? "on" : "off");
        final TcpConfig.Builder b = TcpConfig.builder();
        switch (keepalive) {
            case "off" -> b.keepalive(false);
            case "on" -> b.keepalive(true);
            default -> {
                final String[] f = keepalive.split(",", -1);
                if (f.length != 3) {
                    throw new Args.UsageException("serve: --tcp-keepalive takes on, off or IDLE_S,INTERVAL_S,COUNT "
                        + "(Linux's defaults: 7200,75,9), not '" + keepalive + "'");
                }
                b.keepalive(true)
                    .keepaliveIdleNs(keepaliveField(f[0], "IDLE_S", 32_767) * 1_000_000_000L)
                    .keepaliveIntervalNs(keepaliveField(f[1], "INTERVAL_S", 32_767) * 1_000_000_000L)
                    .keepaliveCount((int) keepaliveField(f[2], "COUNT", 127));
            }
        }
        final TcpConfig config = b
            .maxConnections(maxConnections)
            .sendBufferBytes(bufferBytes)
            .receiveBufferBytes(bufferBytes)
            .largeBuffers(largeBytes, largeBuffers)
            .mslNs(a.getInt("--msl-ms", 30_000, 1, 600_000) * 1_000_000L)
            .rtoMinNs(a.getInt("--rto-min-ms", 200, 1, 60_000) * 1_000_000L)
            .tlpMinNs(a.getInt("--tlp-min-ms", 2, 0, 60_000) * 1_000_000L)
            .mtuProbing(probing.equals("on"))
            .mtuProbeIntervalNs(a.getInt("--mtu-probe-interval-ms", 600_000, 0, 86_400_000) * 1_000_000L)
            .congestionControl(switch (cc) {
                case "newreno", "reno" -> TcpConfig.CC_NEWRENO;
                case "cubic" -> TcpConfig.CC_CUBIC;
                case "bbr" -> TcpConfig.CC_BBR;
                default -> throw new Args.UsageException("serve: --cc takes newreno, cubic or bbr, not '" + cc + "'");
            })
            .build();
        if (config.slabBytes() > Integer.MAX_VALUE - 64) {
            throw new Args.UsageException("serve: --max-connections x 2 x --buffer-kb plus --buffer-budget-mb must stay "
                + "under 2 GiB per core (it is " + (config.slabBytes() >> 20) + " MB)");
        }
        return config;
    }

    /** A field of --tcp-keepalive, 1..max (Linux's limits for TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT). */
    private static long keepaliveField(String v, String name, int max) {
        final long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new Args.UsageException("serve: --tcp-keepalive " + name + " must be a whole number, not '" + v + "'");
        }
        if (n < 1 || n > max) {
            throw new Args.UsageException("serve: --tcp-keepalive " + name + " must be 1.." + max + ", not " + n);
        }
        return n;
    }

    /** The host kernel's congestion control (net.ipv4.tcp_congestion_control), so both stacks on one machine match. */
    static String hostCongestionControl() {
        try {
            final String v = java.nio.file.Files.readString(java.nio.file.Path.of(
                "/proc/sys/net/ipv4/tcp_congestion_control")).trim();
            return switch (v) {
                case "bbr", "cubic" -> v;
                case "reno" -> "newreno";
                default -> "cubic";
            };
        } catch (java.io.IOException | RuntimeException e) {
            return "cubic";
        }
    }

    /** A request of the warm-up for the http app, and the length of the http app's answer to it. */
    private static final byte[] WARM_GET = "GET / HTTP/1.1\r\nHost: w\r\n\r\n".getBytes(
        java.nio.charset.StandardCharsets.US_ASCII);
    private static final int WARM_GET_RESPONSE = 86;

    /**
     * Before READY: the app behind a whole private core (agent, engine, app) over an in-memory port with the real
     * port's checksum capabilities, {@code WARM_EXCHANGES} exchanges on 8 connections (at most 10 s), so the JIT has
     * compiled the core's paths before the first real client ({@link io.strait.apps.api.WarmUp#runStack}).
     */
    private static void warmUp(String app, TcpConfig config, int caps, long headerTimeoutNs, long keepAliveTimeoutNs) {
        final long maxNs = 10_000_000_000L;
        final java.util.function.Function<StraitCore, ConnectionHandler> factory =
            core -> app(app, core, headerTimeoutNs, null, keepAliveTimeoutNs, null); // the served app, timeouts too
        final long start = System.nanoTime();
        final long done = switch (app) {
            case "http" -> io.strait.apps.api.WarmUp.runStack(factory, config, WARM_GET, WARM_GET_RESPONSE, 8,
                WARM_EXCHANGES, caps, maxNs);
            case "echo" -> io.strait.apps.api.WarmUp.runStack(factory, config, new byte[64], 64, 8, WARM_EXCHANGES,
                caps, maxNs);
            default -> -1; // discard answers nothing: its path is the engine's receive path, warmed by any client
        };
        if (done < 0) {
            return;
        }
        // Then bulk responses over a lossy, reordering port: loss recovery compiled and profiled before READY.
        final long lossyStart = System.nanoTime();
        final long lossy = switch (app) {
            case "http" -> io.strait.apps.api.WarmUp.runStack(factory, config, WARM_BULK_GET,
                (int) HttpResponseHead.bytesResponseLength(WARM_BULK_BYTES), 4, WARM_BULK_EXCHANGES, caps, WARM_BULK_MAX_NS,
                WARM_LOSS, WARM_REORDER);
            default -> { // a request the client's send buffer takes whole, whatever --buffer-kb says
                final int size = Math.min(WARM_BULK_ECHO, config.sendBufferBytes / 2);
                yield io.strait.apps.api.WarmUp.runStack(factory, config, new byte[size], size, 4,
                    WARM_BULK_EXCHANGES, caps, WARM_BULK_MAX_NS, WARM_LOSS, WARM_REORDER);
            }
        };
        System.err.println("strait: warm-up: " + done + " exchanges in " + (lossyStart - start) / 1_000_000
            + " ms, then " + lossy + " bulk exchanges at " + WARM_LOSS * 100 + "% loss in "
            + (System.nanoTime() - lossyStart) / 1_000_000 + " ms");
    }

    private static final int WARM_BULK_BYTES = 256 * 1024;
    private static final byte[] WARM_BULK_GET = ("GET /bytes/" + WARM_BULK_BYTES + " HTTP/1.1\r\nHost: w\r\n\r\n")
        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** The echo warm-up's request and answer, at most half the send buffer (the client writes it whole). */
    private static final int WARM_BULK_ECHO = 32 * 1024;
    private static final long WARM_BULK_EXCHANGES = 300;
    private static final long WARM_BULK_MAX_NS = 2_000_000_000L;
    private static final double WARM_LOSS = 0.02;
    private static final double WARM_REORDER = 0.01;

    /** Exchanges of the warm-up: the JIT's C2 is still compiling the core's paths after 20k real requests. */
    static final long WARM_EXCHANGES = Long.getLong("strait.warmup.exchanges", 200_000);

    static ConnectionHandler app(String app, StraitCore core, long headerTimeoutNs,
                                 org.agrona.concurrent.status.AtomicCounter headerTimeouts, long keepAliveTimeoutNs,
                                 org.agrona.concurrent.status.AtomicCounter keepAliveTimeouts) {
        return switch (app) {
            case "echo" -> EchoServer.INSTANCE;
            case "discard" -> DiscardServer.INSTANCE;
            default -> {
                final HttpServer http = new HttpServer(core.tcpConfig());
                if (headerTimeoutNs > 0) {
                    http.headerTimeout(core, headerTimeoutNs, headerTimeouts);
                }
                if (keepAliveTimeoutNs > 0) {
                    http.keepAliveTimeout(core, keepAliveTimeoutNs, keepAliveTimeouts);
                }
                yield http;
            }
        };
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
