package io.strait.dataplane;

import io.strait.bindings.Affinity;
import io.strait.bindings.Dpdk;
import io.strait.bindings.DpdkException;
import io.strait.dataplane.wire.Ethernet;
import io.strait.dataplane.wire.Ipv4;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A started DPDK port with one {@link NetAgent} per core, each owning one queue pair and one mbuf pool.
 *
 * <p>Lifecycle: {@link #open(DataplaneConfig, CountersFile)} initialises the EAL (arguments built from the
 * configuration: device, memory, a unique file prefix per process), configures and starts the port; then either
 * {@link #start()} runs each agent on its own pinned thread, or {@link #invoker(int)} lets the embedding app drive
 * a core's loop from its own thread. {@link #close()} stops the threads, the port and the EAL.
 *
 * <p>DPDK's runtime folder ({@code /var/run/dpdk/strait-<pid>/}) is removed by {@link #close()} after the EAL
 * cleanup, and {@link #open} first removes those of Strait processes that are gone (see {@link EalRuntimeDirs}).
 */
public final class Dataplane implements AutoCloseable {
    private final DataplaneConfig config;
    private final AddressLock addressLock;
    private final int port;
    private final Dpdk.PortInfo info;
    private final int enabledCaps;
    private final long[] pools;
    private final NetAgent[] agents;
    private final List<AgentRunner> runners = new ArrayList<>();
    private final AgentInvoker[] invokers;
    private boolean closed;

    private final CpuLocks cpuLocks;
    /** rte_eal_cleanup ran in this process: DPDK 22.11 cannot initialise the EAL again. */
    private static volatile boolean ealCleanedUp;
    private JvmPauses jvmPauses;
    private ResourceGauges gauges;

    private Dataplane(DataplaneConfig config, AddressLock lock, CpuLocks cpuLocks, int port, Dpdk.PortInfo info,
                      int caps, long[] pools, NetAgent[] agents) {
        this.config = config;
        this.addressLock = lock;
        this.cpuLocks = cpuLocks;
        this.port = port;
        this.info = info;
        this.enabledCaps = caps;
        this.pools = pools;
        this.agents = agents;
        this.invokers = new AgentInvoker[agents.length];
    }

    /** The process's CPUs, read once at class load on the thread that starts Strait (before any pinning). */
    static final int[] ALLOWED_CPUS = io.strait.bindings.Affinity.allowedCpus();

    /** The EAL arguments for this configuration (program name first). */
    public static List<String> ealArguments(DataplaneConfig c) {
        final List<String> args = new ArrayList<>();
        args.add("strait");
        args.add("--file-prefix=" + EalRuntimeDirs.filePrefix(ProcessHandle.current().pid()));
        // Main lcore 0 floats over every CPU the process may use (its affinity mask, as taskset or a cpuset left
        // it): EAL must not pin the JVM thread that calls rte_eal_init, nor move it outside that mask.
        args.add("--lcores=0@(" + io.strait.bindings.Affinity.cpuList(ALLOWED_CPUS) + ")");
        args.add("--no-telemetry");
        args.add("--log-level=" + c.logLevel);
        if (!c.hugepages) {
            args.add("--no-huge");
            args.add("-m");
            args.add(Integer.toString(c.memoryMb));
        }
        if (c.hugepages && c.deviceName().startsWith("net_virtio_user")) {
            // vhost-user maps the frontend's memory region by region, at most 8: one file per memseg list
            // instead of one per page.
            args.add("--single-file-segments");
        }
        if (c.isVirtual()) {
            args.add("--no-pci");
            args.add("--vdev=" + c.devArgs());
        } else {
            args.add("-a");
            args.add(c.dev);
        }
        for (String extra : c.ealExtra.trim().split("\\s+")) {
            if (!extra.isEmpty()) {
                args.add(extra);
            }
        }
        return args;
    }

    /** Checks what can be checked before DPDK runs, so mistakes get one clear line. */
    static void preflight(DataplaneConfig c) {
        final String iface = c.devArg("iface");
        final boolean kernelInterface = !c.deviceName().startsWith("net_vhost") && !c.deviceName().startsWith("net_tap");
        if (kernelInterface && iface != null && !Files.exists(Path.of("/sys/class/net", iface))) {
            throw new IllegalStateException("no such network interface '" + iface + "' (from --dev " + c.dev
                + "); create the test network with setup/net up, or name an existing interface");
        }
        final String socket = c.devArg("socket");
        if (c.deviceName().startsWith("net_memif") && socket != null && "client".equals(c.devArg("role"))
            && !Files.exists(Path.of(socket))) {
            throw new IllegalStateException("memif socket " + socket + " does not exist; start the role=server "
                + "side first");
        }
        final String path = c.devArg("path");
        if (c.deviceName().startsWith("net_virtio_user") && path != null && !path.startsWith("/dev/vhost")
            && !Files.exists(Path.of(path))) {
            throw new IllegalStateException("vhost-user socket " + path + " does not exist; start the net_vhost "
                + "side first (virtio_user connects to it)");
        }
        if (c.deviceName().startsWith("net_virtio_user") && !c.hugepages) {
            throw new IllegalStateException(c.deviceName() + " shares its memory with the other side: run with "
                + "--hugepages (and reserve 2 MB pages: echo 512 > /proc/sys/vm/nr_hugepages)");
        }
    }

    /**
     * Initialises DPDK and starts the port. Counters for each core go into {@code counters}.
     *
     * @param perCore called for each core's agent before anything runs (to attach a TCP engine)
     */
    public static Dataplane open(DataplaneConfig c, CountersFile counters, Consumer<NetAgent> perCore) {
        preflight(c);
        if (ealCleanedUp) {
            throw new IllegalStateException("DPDK 22.11 initialises its EAL once per process, and this process already "
                + "ran a Strait and closed it: start a new process, or keep one Strait open for the process's life");
        }
        final AddressLock lock = AddressLock.acquire(c.ip);
        final CpuLocks cpuLocks;
        try {
            cpuLocks = CpuLocks.acquire(ALLOWED_CPUS, c.cpus, c.cores, c.preferFirstCpus);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        final EalRuntimeDirs runtimeDirs = EalRuntimeDirs.forCurrentUser();
        runtimeDirs.removeStale(); // left by Strait processes that were killed or crashed
        // A second open in a process whose EAL runs fails in ealInit: its cleanup must not touch the running EAL.
        final boolean ealOurs = !Dpdk.ealInitialized();
        final StartupTrace trace = new StartupTrace();
        try {
            trace.mark("locks and preflight");
            Dpdk.ealInit(ealArguments(c));
            trace.mark("EAL init");
            final int port = Dpdk.portByName(c.deviceName());
            if (port < 0) {
                throw new DpdkException("DPDK created no port named " + c.deviceName() + " from --dev " + c.dev
                    + " (" + Dpdk.portCount() + " port(s) exist); check the device arguments");
            }
            final Dpdk.PortInfo info = Dpdk.portInfo(port);
            if (c.cores > info.maxRxQueues() || c.cores > info.maxTxQueues()) {
                throw new DpdkException("port " + c.deviceName() + " (" + info.driver() + ") has "
                    + Math.min(info.maxRxQueues(), info.maxTxQueues()) + " queue pair(s), fewer than --cores "
                    + c.cores + (c.deviceName().startsWith("net_af_packet") ? "; add qpairs=" + c.cores
                    + " to --dev" : ""));
            }
            final long[] pools = new long[c.cores];
            for (int q = 0; q < c.cores; q++) {
                pools[q] = Dpdk.mempoolCreate("strait_rx" + q, c.mbufsPerQueue, c.mbufCache,
                    2048 + 128, -1);
            }
            trace.mark("mempools");
            final int want = c.offloads ? FrameIo.CAP_RX_IP_CKSUM | FrameIo.CAP_RX_TCP_CKSUM
                | FrameIo.CAP_TX_IP_CKSUM | FrameIo.CAP_TX_TCP_CKSUM : 0;
            final int caps = Dpdk.portStart(port, c.cores, c.rxDescriptors, c.txDescriptors, pools, want);
            trace.mark("port start");
            if ("net_memif".equals(info.driver()) && (caps & FrameIo.CAP_MEMIF_GUARD) == 0) {
                System.err.println("strait: warning: memif teardown guard off (this DPDK's memif layout is not the"
                    + " 22.11 one Strait checks): a peer leaving mid-burst can crash this process");
            }
            final NetAgent[] agents = new NetAgent[c.cores];
            final Steering steering = steering(c.cores, port, caps, info);
            for (int q = 0; q < c.cores; q++) {
                FrameIo io = new DpdkFrameIo(port, q, pools[q], Dpdk.mbufRoom(pools[q]), info.mac(), caps);
                if (c.impair != null) {
                    // Innermost, next to the port: the capture shows what Strait saw and sent.
                    io = new ImpairedFrameIo(io, c.impair, new SystemNanoClock(), counters.manager(), q);
                }
                if (c.pcap != null) {
                    io = new PcapFrameIo(io, Path.of(q == 0 ? c.pcap : c.pcap + "." + q));
                }
                trace.mark("frame I/O " + q);
                agents[q] = new NetAgent("strait-core" + q, io, new SystemNanoClock(),
                    new DataplaneCounters(counters.manager(), q), c.ip, c.prefixLength, c.gateway, c.arpCapacity);
                agents[q].steering(steering, q);
                trace.mark("agent " + q);
                if (perCore != null) {
                    perCore.accept(agents[q]);
                }
            }
            trace.mark("agents and engines");
            final Dataplane dp = new Dataplane(c, lock, cpuLocks, port, info, caps, pools, agents);
            dp.jvmPauses = new JvmPauses(counters.manager());
            trace.mark("JVM pause sampler");
            dp.gauges = new ResourceGauges(counters.manager(), pools, port, LinkWatch.source(c, port),
                ResourceGauges.kernelRxDropped(c));
            trace.mark("resource gauges");
            trace.print();
            return dp;
        } catch (RuntimeException e) {
            lock.close();
            cpuLocks.close();
            if (ealOurs) {
                Dpdk.ealCleanup();
                runtimeDirs.removeOwn();
            }
            throw e;
        }
    }

    /**
     * The flow ownership rule: the port's own RSS when it hashes TCP/IPv4 over the queues and its key and
     * redirection table can be read; otherwise (af_packet fanout, no RSS) a rule plus software steering.
     */
    static Steering steering(int cores, int port, int caps, Dpdk.PortInfo info) {
        final int ephemeralMin = 49152; // TcpConfig's default ephemeral range (RFC 6056 §2.1)
        final int ephemeralMax = 65535;
        if (cores > 1 && (caps & FrameIo.CAP_RSS) != 0 && info.rssKey() != null && info.rssKey().length >= 16
            && info.retaSize() > 0) {
            try {
                return Steering.rss(cores, info.rssKey(), Dpdk.portReta(port, info.retaSize()));
            } catch (DpdkException e) {
                // The table cannot be read: steer in software, which is right whatever the port does.
            }
        }
        return Steering.software(cores, ephemeralMin, ephemeralMax);
    }

    public NetAgent agent(int core) {
        return agents[core];
    }

    public int cores() {
        return agents.length;
    }

    public long mac() {
        return info.mac();
    }

    public Dpdk.PortInfo portInfo() {
        return info;
    }

    /** DPDK port id. */
    public int portId() {
        return port;
    }

    /** The mbuf pool of queue {@code q} (an opaque address). */
    public long pool(int q) {
        return pools[q];
    }

    public int enabledCaps() {
        return enabledCaps;
    }

    /** One line describing the running dataplane, for logs. */
    public String describe() {
        return "dev " + config.deviceName() + " (" + info.driver() + ") mac " + Ethernet.macToString(info.mac())
            + " ip " + Ipv4.toString(config.ip) + "/" + config.prefixLength + " cores " + agents.length
            + " offloads 0x" + Integer.toHexString(enabledCaps)
            + (isMemif() ? " memif_guard " + ((enabledCaps & FrameIo.CAP_MEMIF_GUARD) != 0 ? "on" : "off") : "");
    }

    private boolean isMemif() {
        return "net_memif".equals(info.driver());
    }

    /** Where the threads run, for the READY line: the poll CPUs, and the CPUs of every other JVM thread. */
    public String placement() {
        return "poll_cpus " + pollCpus() + " other_threads_cpus " + otherThreadCpus.replace(' ', '_');
    }

    private String pollCpus() {
        final int[] cpus = new int[agents.length];
        for (int q = 0; q < cpus.length; q++) {
            cpus[q] = cpuOf(q);
        }
        return Affinity.cpuList(cpus);
    }

    private IdleStrategy idleStrategy() {
        return switch (config.idle) {
            case "spin" -> new BusySpinIdleStrategy();
            case "yield" -> new YieldingIdleStrategy();
            case "backoff" -> new BackoffIdleStrategy();
            case "sleep" -> new SleepingMillisIdleStrategy(1);
            default -> throw new IllegalArgumentException("unknown idle strategy '" + config.idle
                + "' (spin, yield, backoff, sleep)");
        };
    }

    /** The CPU core {@code q}'s poll thread runs on: {@code cpus(...)}, else the last N of the process's mask. */
    public int cpuOf(int q) {
        return cpuLocks.cpu(q);
    }

    /** Kernel thread ids of the poll threads, recorded as each pins itself (0 until then). */
    private final int[] pollTids = new int[64];
    private final java.util.concurrent.atomic.AtomicInteger pinned = new java.util.concurrent.atomic.AtomicInteger();
    private volatile String otherThreadCpus = "all of the process's";
    private volatile boolean confined;

    /** After the poll threads stop: the process's threads get its whole mask back (an embedding JVM lives on). */
    private void releaseOtherThreads() {
        if (!confined) {
            return;
        }
        confined = false;
        try (java.util.stream.Stream<java.nio.file.Path> tasks = java.nio.file.Files.list(
                java.nio.file.Path.of("/proc/self/task"))) {
            tasks.forEach(t -> Affinity.setThreadAffinity(Integer.parseInt(t.getFileName().toString()),
                ALLOWED_CPUS));
        } catch (java.io.IOException | RuntimeException e) {
            // threads stay where they are: correct, only narrower
        }
    }

    /** Called on a poll thread once it is pinned: when all are, the JVM's other threads leave their CPUs. */
    private void pollThreadPinned(int core) {
        pollTids[core] = Affinity.currentTid();
        if (pinned.incrementAndGet() == agents.length) {
            confineOtherThreads();
        }
    }

    /**
     * Moves every thread of the process but the poll threads (compiler, GC, service threads, the main thread, and
     * through it the threads it starts later) off the poll CPUs, when the process's mask has CPUs left over: a poll
     * thread is then never time-sliced against its own JVM. With no CPU left over nothing moves.
     */
    private void confineOtherThreads() {
        final java.util.Set<Integer> poll = new java.util.HashSet<>();
        for (int q = 0; q < agents.length; q++) {
            poll.add(cpuOf(q));
        }
        final int[] others = java.util.Arrays.stream(ALLOWED_CPUS).filter(c -> !poll.contains(c)).toArray();
        if (others.length == 0) {
            otherThreadCpus = "shared with the poll threads (no CPU left in the mask)";
            return;
        }
        final java.util.Set<Integer> pollThreads = new java.util.HashSet<>();
        for (int q = 0; q < agents.length; q++) {
            pollThreads.add(pollTids[q]);
        }
        try (java.util.stream.Stream<java.nio.file.Path> tasks = java.nio.file.Files.list(
                java.nio.file.Path.of("/proc/self/task"))) {
            tasks.forEach(t -> {
                final int tid = Integer.parseInt(t.getFileName().toString());
                if (!pollThreads.contains(tid)) {
                    Affinity.setThreadAffinity(tid, others);
                }
            });
            otherThreadCpus = Affinity.cpuList(others);
            confined = true;
        } catch (java.io.IOException | RuntimeException e) {
            otherThreadCpus = "not confined (" + e.getMessage() + ")";
        }
    }

    /** Runs each core's loop on its own thread, pinned to its CPU, registered with the EAL. */
    public void start() {
        for (int q = 0; q < agents.length; q++) {
            // Default: the last N CPUs of the process's affinity mask, never a CPU outside it.
            final int cpu = cpuOf(q);
            final int core = q;
            final AgentRunner runner = new AgentRunner(idleStrategy(), Throwable::printStackTrace, null,
                new PinnedAgent(agents[q], cpu, () -> pollThreadPinned(core)));
            runners.add(runner);
            AgentRunner.startOnThread(runner);
        }
    }

    /** Drives core {@code core}'s loop from the caller's thread: call {@code invoke()} in your own loop. */
    public AgentInvoker invoker(int core) {
        return invoker(core, false);
    }

    /**
     * {@link #invoker(int)}, first pinning the calling thread to the core's CPU ({@link #cpuOf}) when {@code pin}:
     * for an app thread that becomes the core's poll thread (a Netty event loop).
     */
    public AgentInvoker invoker(int core, boolean pin) {
        if (invokers[core] == null) {
            if (pin) {
                Affinity.pinCurrentThread(cpuOf(core));
                pollThreadPinned(core);
            }
            Dpdk.registerThread();
            invokers[core] = new AgentInvoker(Throwable::printStackTrace, null, agents[core]);
            invokers[core].start();
        }
        return invokers[core];
    }

    /** True once {@link #close()} ran: the cores no longer run. */
    public boolean isClosed() {
        return closed;
    }

    /** True when the port's link is up. */
    public boolean linkUp() {
        return Dpdk.linkUp(port);
    }

    /** Port counters from the driver: packets in/out, bytes in/out, missed, errors in/out, no-mbuf. */
    public long[] portStats() {
        return Dpdk.portStats(port);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (gauges != null) {
            gauges.close(); // before the pools and the port go
        }
        for (AgentRunner r : runners) {
            r.close();
        }
        for (AgentInvoker i : invokers) {
            if (i != null) {
                i.close();
            }
        }
        Dpdk.portStop(port);
        for (long pool : pools) {
            Dpdk.mempoolFree(pool);
        }
        Dpdk.ealCleanup();
        ealCleanedUp = true;
        // DPDK leaves its runtime folder behind, rte_eal_cleanup included: ours goes with the EAL.
        EalRuntimeDirs.forCurrentUser().removeOwn();
        addressLock.close();
        cpuLocks.close();
        releaseOtherThreads();
        if (jvmPauses != null) {
            jvmPauses.close();
        }
    }

    /** Pins its thread and registers it with the EAL before the wrapped agent starts. */
    private record PinnedAgent(NetAgent agent, int cpu, Runnable pinned) implements org.agrona.concurrent.Agent {
        @Override
        public void onStart() {
            Affinity.pinCurrentThread(cpu);
            pinned.run();
            Dpdk.registerThread();
            agent.onStart();
        }

        @Override
        public int doWork() {
            return agent.doWork();
        }

        @Override
        public void onClose() {
            agent.onClose();
        }

        @Override
        public String roleName() {
            return agent.roleName();
        }
    }
}
