package io.strait.apps.api;

import io.strait.dataplane.CountersFile;
import io.strait.dataplane.Dataplane;
import io.strait.dataplane.DataplaneConfig;
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
    private int nextCore;

    private final boolean invokerMode;

    private Strait(Dataplane dataplane, CountersFile counters, StraitCore[] cores, boolean invokerMode) {
        this.dataplane = dataplane;
        this.counters = counters;
        this.cores = cores;
        this.invokerMode = invokerMode;
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

        /** Any DPDK device argument: a PCI address or a vdev ({@code net_af_packet0,iface=X}, {@code net_memif0,...}). */
        public Builder dev(String devArgs) {
            dataplane.dev(devArgs);
            return this;
        }

        /** Address and prefix, "A.B.C.D/LEN". */
        public Builder ip(String cidr) {
            dataplane.ip(cidr);
            return this;
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

        /** Drive the (single) core from your own thread with {@link Strait#invoker()} instead of a pinned thread. */
        public Builder invoker(boolean on) {
            this.invoker = on;
            return this;
        }

        /** The dataplane configuration, for settings this builder does not name. */
        public Builder dataplane(Consumer<DataplaneConfig> change) {
            change.accept(dataplane);
            return this;
        }

        /** Opens the port and starts the cores. Needs root and DPDK; failures are one clear line. */
        public Strait start() {
            if (invoker && dataplane.cores() != 1) {
                throw new IllegalArgumentException("invoker mode drives one core; set cores(1)");
            }
            final CountersFile counters = CountersFile.create(maxCounters);
            final StraitCore[] cores = new StraitCore[dataplane.cores()];
            final SecureRandom random = new SecureRandom();
            final Dataplane dp;
            try {
                dp = Dataplane.open(dataplane, counters, agent -> {
                    final int i = Integer.parseInt(agent.roleName().substring("strait-core".length()));
                    final TcpEngine engine = new TcpEngine(tcp, random::nextLong, counters.manager(),
                        "core" + i + ".tcp.");
                    if (agent.flowFilter() != null) {
                        engine.setFlowFilter(agent.flowFilter()); // active opens pick ports steered to this core
                    }
                    cores[i] = new StraitCore(i, engine, agent);
                    agent.transport(cores[i]);
                });
            } catch (RuntimeException e) {
                counters.close();
                throw e;
            }
            final Strait strait = new Strait(dp, counters, cores, invoker);
            if (!invoker) {
                dp.start();
            }
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
     * Accepts connections on {@code port} on every core; when it returns, every core is listening. Any thread (in
     * invoker mode: the thread that drives the core).
     */
    public void listen(int port, ConnectionHandler handler) {
        if (invokerMode) {
            cores[0].listen(port, handler);
            return;
        }
        final java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(cores.length);
        for (StraitCore core : cores) {
            submit(core, () -> {
                core.listen(port, handler);
                done.countDown();
            });
        }
        try {
            if (!done.await(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException("the cores did not take the listen on port " + port + " within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Opens a connection to {@code remoteIp:remotePort} from the next core (round robin). Any thread: the open
     * happens on the core; {@code onOpen} or {@code onClose(..., REFUSED or TIMEOUT)} tells how it went.
     */
    public void connect(int remoteIp, int remotePort, ConnectionHandler handler) {
        final StraitCore core = cores[Math.floorMod(nextCore++, cores.length)];
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

    public Dataplane dataplane() {
        return dataplane;
    }

    /** The live counters (the same file {@code strait stat} reads). */
    public CountersFile counters() {
        return counters;
    }

    @Override
    public void close() {
        dataplane.close();
        counters.close();
    }
}
