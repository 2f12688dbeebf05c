package io.strait.apps.api;

import io.strait.dataplane.CountersFile;
import io.strait.dataplane.Dataplane;
import io.strait.dataplane.DataplaneConfig;
import io.strait.dataplane.FrameIo;
import io.strait.tcp.TcpConfig;
import io.strait.tcp.TcpEngine;
import org.agrona.concurrent.AgentInvoker;

import java.security.SecureRandom;
import java.util.function.Consumer;

/**
 * Strait embedded in a Java program: a DPDK port, one core (poll loop, TCP engine) per queue pair, and the
 * connections of your {@link ConnectionHandler}s.
 *
 * <pre>{@code
 * try (Strait strait = Strait.builder().dev("net_af_packet0,iface=strait0").ip("198.18.0.2/24").start()) {
 *     strait.listen(7, new ConnectionHandler() {            // an echo server, on every core
 *         public void onOpen(Connection c) { }
 *         public int onData(Connection c, DirectBuffer b, int off, int len) { return Math.max(0, c.write(b, off, len)); }
 *         public void onWritable(Connection c) { c.resumeRead(); }
 *         public void onClose(Connection c, int reason) { }
 *     });
 *     Thread.sleep(Long.MAX_VALUE);
 * }
 * }</pre>
 *
 * Threads: {@link #start()} runs each core on its own pinned thread (or, with {@link Builder#invoker(boolean)}, lets
 * you drive core 0 with {@link #invoker()}). {@link #listen} and {@link #connect} may be called from any thread; they
 * are handed to the cores through their bounded lock-free queues. Handlers run on the core's thread.
 */
public final class Strait implements AutoCloseable {
    private final Dataplane dataplane;
    private final CountersFile counters;
    private final StraitCore[] cores;
    private final java.util.concurrent.atomic.AtomicInteger nextCore = new java.util.concurrent.atomic.AtomicInteger();

    private final boolean invokerMode;
    private final boolean ownCounters;
    private final java.time.Duration closeGrace;
    private final Thread shutdownHook = new Thread(this::close, "strait-shutdown");
    private boolean closed;

    private Strait(Dataplane dataplane, CountersFile counters, boolean ownCounters, StraitCore[] cores,
                   boolean invokerMode, java.time.Duration closeGrace) {
        this.dataplane = dataplane;
        this.counters = counters;
        this.ownCounters = ownCounters;
        this.cores = cores;
        this.invokerMode = invokerMode;
        this.closeGrace = closeGrace;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Set-up of a Strait instance; every setter returns this. */
    public static final class Builder {
        private final DataplaneConfig dataplane = new DataplaneConfig();
        private TcpConfig tcp = TcpConfig.builder().maxConnections(4096).sendBufferBytes(128 * 1024)
            .receiveBufferBytes(128 * 1024).build();
        private boolean invoker;
        private int maxCounters = 4096;
        private CountersFile counters;
        private java.time.Duration closeGrace = java.time.Duration.ofSeconds(2);

        /** Any DPDK device argument: a PCI address or a vdev ({@code net_af_packet0,iface=X}, {@code net_memif0,...}). */
        public Builder dev(String devArgs) {
            dataplane.dev(devArgs);
            return this;
        }

        /** Address and prefix, "A.B.C.D/LEN" (the prefix is required: no silent /24). */
        public Builder ip(String cidr) {
            final int slash = cidr.indexOf('/');
            if (slash < 0) {
                throw new IllegalArgumentException("ip(\"" + cidr + "\"): give the prefix length too, as in \""
                    + cidr + "/24\"");
            }
            dataplane.ip(cidr);
            return this;
        }

        /** {@link #ip(String)} from an address and a prefix length. */
        public Builder ip(java.net.InetAddress address, int prefixLength) {
            ipv4(address);
            if (prefixLength < 1 || prefixLength > 32) {
                throw new IllegalArgumentException("prefix length " + prefixLength + " is not in 1..32");
            }
            return ip(address.getHostAddress() + "/" + prefixLength);
        }

        /** The number of cores {@link #start()} will run. */
        public int cores() {
            return dataplane.cores();
        }

        public Builder gateway(String gw) {
            dataplane.gateway(gw);
            return this;
        }

        /** Cores (queue pairs, poll threads); default 1. */
        public Builder cores(int n) {
            dataplane.cores(n);
            return this;
        }

        /** CPUs to pin the poll threads to. */
        public Builder cpus(int... cpus) {
            dataplane.cpus(cpus);
            return this;
        }

        /** TCP options: buffers, MSS, window scale, timestamps, SACK, congestion control, timers. */
        public Builder tcp(TcpConfig config) {
            this.tcp = config;
            return this;
        }

        /** Idle strategy of the poll threads: spin (default), yield, backoff, sleep. */
        public Builder idle(String idle) {
            dataplane.idle(idle);
            return this;
        }

        public Builder memoryMb(int mb) {
            dataplane.memoryMb(mb);
            return this;
        }

        public Builder hugepages(boolean on) {
            dataplane.hugepages(on);
            return this;
        }

        /** Extra EAL arguments, space-separated. */
        public Builder eal(String extra) {
            dataplane.ealExtra(extra);
            return this;
        }

        /**
         * Drive the cores from your own threads with {@link Strait#invoker(int)} instead of pinned threads Strait
         * starts (the Netty transport's event loops do this).
         */
        public Builder invoker(boolean on) {
            this.invoker = on;
            return this;
        }

        /**
         * Counters in a file the caller owns (and closes, after {@link Strait#close()}: so it can read the final
         * values); by default Strait makes its own and closes it.
         */
        public Builder counters(CountersFile file) {
            this.counters = file;
            return this;
        }

        /** How long {@link Strait#close()} lets connections finish gracefully before it resets them (2 s). */
        public Builder closeGrace(java.time.Duration grace) {
            if (grace.isNegative()) {
                throw new IllegalArgumentException("closeGrace must not be negative");
            }
            this.closeGrace = grace;
            return this;
        }

        /** The dataplane configuration, for settings this builder does not name. */
        public Builder dataplane(Consumer<DataplaneConfig> change) {
            change.accept(dataplane);
            return this;
        }

        /** Opens the port and starts the cores. Needs root and DPDK; failures are one clear line. */
        public Strait start() {
            final boolean ownCounters = this.counters == null;
            final CountersFile counters = ownCounters ? CountersFile.create(maxCounters) : this.counters;
            final StraitCore[] cores = new StraitCore[dataplane.cores()];
            final SecureRandom random = new SecureRandom();
            final Dataplane dp;
            try {
                dp = Dataplane.open(dataplane, counters, agent -> {
                    final int i = Integer.parseInt(agent.roleName().substring("strait-core".length()));
                    final TcpEngine engine = new TcpEngine(tcp, random::nextLong, counters.manager(),
                        "core" + i + ".tcp.");
                    // The port completes TCP checksums when it offered to (virtio, most NICs; not af_packet).
                    engine.txChecksumOffload((agent.caps() & FrameIo.CAP_TX_TCP_CKSUM) != 0);
                    if (agent.flowFilter() != null) {
                        engine.setFlowFilter(agent.flowFilter()); // active opens pick ports steered to this core
                    }
                    cores[i] = new StraitCore(i, engine, agent);
                    agent.transport(cores[i].transport());
                });
            } catch (RuntimeException e) {
                if (ownCounters) {
                    counters.close();
                }
                throw e;
            }
            final Strait strait = new Strait(dp, counters, ownCounters, cores, invoker, closeGrace);
            if (!invoker) {
                dp.start();
            }
            // SIGTERM skips try-with-resources: end the connections and release the port on the way out too.
            Runtime.getRuntime().addShutdownHook(strait.shutdownHook);
            return strait;
        }
    }

    public int cores() {
        return cores.length;
    }

    public StraitCore core(int i) {
        return cores[i];
    }

    /**
     * Accepts connections on {@code port} on every core; when it returns, every core is listening. Any thread. In
     * invoker mode it returns at once: each core takes the listen at its next cycle, and a failure (a port already
     * listened on) goes to that core's error handler.
     */
    public void listen(int port, ConnectionHandler handler) {
        java.util.Objects.requireNonNull(handler, "handler");
        listen(port, core -> handler);
    }

    /**
     * {@link #listen(int, ConnectionHandler)} with a handler made for each core by {@code perCore} (on that core's
     * thread): for apps that keep per-connection state in arrays indexed by {@link Connection#slot()}.
     */
    public void listen(int port, java.util.function.Function<StraitCore, ConnectionHandler> perCore) {
        checkPort(port);
        final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(cores.length);
        final RuntimeException[] failed = new RuntimeException[1];
        for (StraitCore core : cores) {
            submit(core, () -> {
                try {
                    core.listen(port, perCore.apply(core));
                } catch (RuntimeException e) {
                    failed[0] = e;
                    if (invokerMode) {
                        throw e; // nobody waits below: the core's error handler reports it
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        if (invokerMode) {
            // The app's threads drive the cores: each takes the listen at its next cycle (no waiting here, the
            // caller may be the very thread that drives a core).
            return;
        }
        try {
            if (!done.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("the cores did not take the listen on port " + port + " within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failed[0] != null) {
            throw failed[0];
        }
    }

    /** {@link #listen(int, ConnectionHandler)} on {@code local}'s port; its address must be ours or any. */
    public void listen(java.net.InetSocketAddress local, ConnectionHandler handler) {
        final int ip = ipv4(local.getAddress());
        if (ip != 0 && ip != cores[0].localIp()) {
            throw new IllegalArgumentException("cannot listen on " + local + ": this port's address is "
                + inet(cores[0].localIp()).getHostAddress());
        }
        listen(local.getPort(), handler);
    }

    /** {@link #connect(int, int, ConnectionHandler)} to a socket address. */
    public void connect(java.net.InetSocketAddress remote, ConnectionHandler handler) {
        connect(ipv4(remote.getAddress()), remote.getPort(), handler);
    }

    /**
     * {@link #connect(java.net.InetSocketAddress, ConnectionHandler)} that gives up after {@code timeout}: the
     * handler sees onClose with {@code CloseReason.TIMEOUT}. When no source port or slot is free it sees onClose
     * with {@code REFUSED} at once. Any thread.
     */
    public void connect(java.net.InetSocketAddress remote, ConnectionHandler handler, java.time.Duration timeout) {
        final int ip = ipv4(remote.getAddress());
        checkPort(remote.getPort());
        java.util.Objects.requireNonNull(timeout, "timeout");
        final StraitCore core = cores[Math.floorMod(nextCore.getAndIncrement(), cores.length)];
        submit(core, () -> {
            if (core.connect(remote, handler, timeout) < 0) {
                handler.onClose(core.connection(-1L), io.strait.tcp.CloseReason.REFUSED);
            }
        });
    }

    /** The port number check at the API edge: 1..65535, never silently truncated to 16 bits. */
    static void checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not in 1..65535");
        }
    }

    /** An IPv4 address as the big-endian int the engine uses; IPv6 is refused with a clear message. */
    public static int ipv4(java.net.InetAddress address) {
        if (!(address instanceof java.net.Inet4Address)) {
            throw new IllegalArgumentException("Strait speaks IPv4 only, not " + address);
        }
        final byte[] b = address.getAddress();
        return (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | b[3] & 0xFF;
    }

    /** The engine's big-endian int as an {@link java.net.InetAddress}. */
    public static java.net.InetAddress inet(int ip) {
        try {
            return java.net.InetAddress.getByAddress(new byte[] {(byte) (ip >>> 24), (byte) (ip >>> 16),
                (byte) (ip >>> 8), (byte) ip});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e); // four bytes are always an address
        }
    }

    /**
     * Opens a connection to {@code remoteIp:remotePort} from the next core (round robin). Any thread: the open
     * happens on the core; {@code onOpen} or {@code onClose(..., REFUSED or TIMEOUT)} tells how it went.
     */
    public void connect(int remoteIp, int remotePort, ConnectionHandler handler) {
        checkPort(remotePort);
        final StraitCore core = cores[Math.floorMod(nextCore.getAndIncrement(), cores.length)];
        submit(core, () -> core.connect(remoteIp, remotePort, handler));
    }

    private static void submit(StraitCore core, Runnable r) {
        while (!core.execute(r)) {
            Thread.onSpinWait();
        }
    }

    /** In invoker mode: call {@code invoke()} in your own loop to run core 0's poll cycle. */
    public AgentInvoker invoker() {
        return dataplane.invoker(0);
    }

    /**
     * In invoker mode: core {@code core}'s poll cycle, to {@code invoke()} from the one thread that drives it. With
     * {@code pin}, the calling thread is first pinned to the core's CPU.
     */
    public AgentInvoker invoker(int core, boolean pin) {
        if (!invokerMode) {
            throw new IllegalStateException("the cores run on their own threads; build with invoker(true)");
        }
        return dataplane.invoker(core, pin);
    }

    public Dataplane dataplane() {
        return dataplane;
    }

    /** The live counters (the same file {@code strait stat} reads). */
    public CountersFile counters() {
        return counters;
    }

    /**
     * Ends every connection, then stops the cores and releases the port. Connections get FIN after their queued
     * bytes and up to the builder's {@code closeGrace} to finish; those still open then are reset; every handler
     * sees onClose. In invoker mode the app's threads drive the cores and end their connections themselves (the
     * Netty transport closes its channels), so this only stops and releases. Idempotent; any thread but a core's.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!invokerMode && !dataplane.isClosed()) { // the app may have stopped the cores itself
            endConnections();
        }
        dataplane.close();
        if (ownCounters) {
            counters.close();
        }
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down
            }
        }
    }

    /** Graceful close on every core, wait up to closeGrace, then RST what is left and let one cycle send it. */
    private void endConnections() {
        onEveryCore(core -> core.closeAll(false));
        final long deadline = System.nanoTime() + closeGrace.toNanos();
        while (openConnections() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        onEveryCore(core -> core.closeAll(true));
        onEveryCore(core -> { }); // a cycle after the resets: they left in its TX burst
        onEveryCore(core -> { });
    }

    private int openConnections() {
        final java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        onEveryCore(core -> n.addAndGet(core.openConnections()));
        return n.get();
    }

    /** Runs {@code work} on every core and waits (at most 5 s) until all have run it. */
    private void onEveryCore(java.util.function.Consumer<StraitCore> work) {
        final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(cores.length);
        for (StraitCore core : cores) {
            submit(core, () -> {
                try {
                    work.accept(core);
                } finally {
                    done.countDown();
                }
            });
        }
        try {
            done.await(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
