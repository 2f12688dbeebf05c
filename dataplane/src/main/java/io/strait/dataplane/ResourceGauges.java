package io.strait.dataplane;

import io.strait.bindings.Dpdk;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;

/**
 * What a flood or a leak would grow, sampled once a second by a daemon thread (never a poll thread) and published
 * as gauges for {@code strait stat}: mbufs out of the pools (in the port's rings, in flight or held), the JVM heap
 * in use and as the last collection of each heap pool left it, the driver's own RX drop counts (missed: its ring
 * overflowed before the poll thread came; no-mbuf: the pool was empty), the kernel's drops on the way to a port on
 * a kernel interface ({@link #kernelRxDropped}), and the link state ({@link LinkWatch}). A
 * run whose gauges come back to their starting values leaked nothing. Exhaustion conditions are reported on stderr,
 * one line per condition at most every 10 s ({@link PressureLog}).
 *
 * <p>Some drivers count no missed frames (DPDK 22.11's af_packet does not read the socket's drop count): a zero
 * there means "not counted" as much as "none".
 */
final class ResourceGauges implements AutoCloseable {
    private final long[] pools;
    private final int port;
    private final AtomicCounter mbufsInUse;
    private final AtomicCounter heapUsedBytes;
    private final AtomicCounter heapAfterGcBytes;
    private final AtomicCounter rxMissed;
    private final AtomicCounter rxNoMbuf;
    private final AtomicCounter rxErrors;
    private final AtomicCounter kernelRxDropped;
    private final java.util.function.LongSupplier kernelDrops;
    private final long kernelDropsAtStart;
    private final LinkWatch link;
    private final PressureLog pressure;
    private final java.util.function.BooleanSupplier linkUp;
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP).toList();
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param kernelDrops the kernel's own count of frames it dropped on the way to a port that sits on a kernel
     *                    interface (af_packet, af_xdp: {@link #kernelRxDropped}); 0 for others
     */
    ResourceGauges(CountersManager m, long[] pools, int port, java.util.function.BooleanSupplier linkUp,
                   java.util.function.LongSupplier kernelDrops) {
        this.pools = pools.clone();
        this.port = port;
        mbufsInUse = m.newCounter("mbuf.in_use");
        heapUsedBytes = m.newCounter("jvm.heap_used_bytes");
        heapAfterGcBytes = m.newCounter("jvm.heap_after_gc_bytes");
        rxMissed = m.newCounter("port.rx_missed");
        rxNoMbuf = m.newCounter("port.rx_nombuf");
        rxErrors = m.newCounter("port.rx_errors");
        kernelRxDropped = m.newCounter("port.kernel_rx_dropped");
        this.kernelDrops = kernelDrops;
        kernelDropsAtStart = kernelDrops.getAsLong();
        link = new LinkWatch(m, Integer.toString(port), System.err);
        this.linkUp = linkUp;
        pressure = new PressureLog(m, System.err);
        sample();
        thread = new Thread(this::run, "strait-gauges");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            if (running) {
                sample();
            }
        }
    }

    private void sample() {
        long inUse = 0;
        for (long pool : pools) {
            inUse += Dpdk.mempoolInUse(pool);
        }
        mbufsInUse.setRelease(inUse);
        heapUsedBytes.setRelease(memory.getHeapMemoryUsage().getUsed());
        heapAfterGcBytes.setRelease(heapAfterLastGc(heapPools));
        // Dpdk.portStats: packets in/out, bytes in/out, missed, RX errors, TX errors, no-mbuf.
        final long[] s = Dpdk.portStats(port);
        rxMissed.setRelease(s[4]);
        rxErrors.setRelease(s[5]);
        rxNoMbuf.setRelease(s[7]);
        kernelRxDropped.setRelease(Math.max(0, kernelDrops.getAsLong() - kernelDropsAtStart));
        final long nowMs = System.nanoTime() / 1_000_000;
        link.sample(linkUp.getAsBoolean(), nowMs);
        pressure.sample(nowMs);
    }

    /**
     * Bytes the heap pools held just after their last collection (each pool's collection usage, summed): after a
     * full GC, the live set. Unlike {@code jvm.heap_used_bytes} it does not move with allocation between GCs,
     * whole thread-local allocation buffers at a time, so a soak compares live sets with it.
     */
    static long heapAfterLastGc(final List<MemoryPoolMXBean> pools) {
        long sum = 0;
        for (final MemoryPoolMXBean p : pools) {
            final MemoryUsage u = p.getCollectionUsage(); // null where the pool has no collector
            if (u != null) {
                sum += u.getUsed();
            }
        }
        return sum;
    }

    /**
     * For a port on a kernel interface (af_packet, af_xdp with {@code iface=}): the interface's {@code rx_dropped},
     * frames the kernel dropped before the PMD could read them (on a veth: the per-CPU backlog full, beyond
     * net.core.netdev_max_backlog, when the peer sends a burst). The PMDs count none of these (DPDK 22.11's af_packet
     * reads no drop count), so without this a burst lost in the kernel leaves no trace in Strait's counters.
     * Counted from this process's start. 0 for other ports.
     */
    static java.util.function.LongSupplier kernelRxDropped(DataplaneConfig config) {
        final String name = config.deviceName();
        final String iface = config.devArg("iface");
        if (iface == null || !(name.startsWith("net_af_packet") || name.startsWith("net_af_xdp"))
            || iface.contains("/") || iface.contains("..")) {
            return () -> 0;
        }
        final java.nio.file.Path file = java.nio.file.Path.of("/sys/class/net", iface, "statistics", "rx_dropped");
        return () -> {
            try {
                return Long.parseLong(java.nio.file.Files.readString(file).strip());
            } catch (java.io.IOException | RuntimeException e) {
                return 0; // the interface went away: nothing to read, nothing new dropped
            }
        };
    }

    /** Stops the sampler and waits for it, so the pools and the port can be freed after this returns. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
