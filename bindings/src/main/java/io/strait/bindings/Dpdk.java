package io.strait.bindings;

import io.strait.bindings.gen.rte_eth_stats;
import io.strait.bindings.gen.strait_dpdk_h;
import io.strait.bindings.gen.strait_port_info;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * The one typed wrapper hand-written code uses to reach DPDK. Set-up calls go through the jextract-generated
 * bindings ({@code io.strait.bindings.gen}, never edited by hand); per-burst calls are in {@link FastPath}.
 *
 * <p>Everything here runs off the fast path: it may allocate and throws {@link DpdkException} with one clear line.
 */
public final class Dpdk {
    private static boolean ealInitialized;

    private Dpdk() {
    }

    /** Loads the shim (and with it DPDK's shared libraries). Throws a clear {@link DpdkException} if missing. */
    public static void load() {
        ShimLibrary.load();
    }

    /** {@code rte_eal_init} with these arguments (program name first); once per process. */
    public static synchronized void ealInit(List<String> args) {
        load();
        if (ealInitialized) {
            throw new DpdkException("the DPDK EAL is already initialised in this process");
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment argv = arena.allocate(ValueLayout.ADDRESS, args.size() + 1L);
            for (int i = 0; i < args.size(); i++) {
                argv.setAtIndex(ValueLayout.ADDRESS, i, arena.allocateFrom(args.get(i)));
            }
            argv.setAtIndex(ValueLayout.ADDRESS, args.size(), MemorySegment.NULL);
            final int rc = strait_dpdk_h.rte_eal_init(args.size(), argv);
            if (rc < 0) {
                throw new DpdkException("DPDK EAL initialisation failed: " + strerror(strait_dpdk_h.strait_errno())
                    + " (EAL arguments: " + String.join(" ", args.subList(1, args.size())) + ")");
            }
        }
        ealInitialized = true;
    }

    public static synchronized boolean ealInitialized() {
        return ealInitialized;
    }

    /** {@code rte_eal_cleanup}: releases hugepages, the runtime directory and devices. */
    public static synchronized void ealCleanup() {
        if (ealInitialized) {
            strait_dpdk_h.rte_eal_cleanup();
            ealInitialized = false;
        }
    }

    /** The text of a DPDK or libc error number (sign ignored). */
    public static String strerror(int errno) {
        final MemorySegment s = strait_dpdk_h.rte_strerror(Math.abs(errno));
        return s.equals(MemorySegment.NULL) ? "error " + errno : s.reinterpret(256).getString(0);
    }

    /** Port id of an ethdev by name (e.g. {@code net_af_packet0}), or -1. */
    public static int portByName(String name) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment id = arena.allocate(ValueLayout.JAVA_SHORT);
            final int rc = strait_dpdk_h.rte_eth_dev_get_port_by_name(arena.allocateFrom(name), id);
            return rc == 0 ? id.get(ValueLayout.JAVA_SHORT, 0) & 0xFFFF : -1;
        }
    }

    public static int portCount() {
        return strait_dpdk_h.rte_eth_dev_count_avail() & 0xFFFF;
    }

    /** What a port can do, read once at start. */
    public record PortInfo(long mac, int maxRxQueues, int maxTxQueues, int retaSize, int caps, int mtu,
                           byte[] rssKey, String driver) {
    }

    public static PortInfo portInfo(int port) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment info = strait_port_info.allocate(arena);
            final int rc = strait_dpdk_h.strait_port_info((short) port, info);
            if (rc != 0) {
                throw new DpdkException("cannot read port " + port + " information: " + strerror(rc));
            }
            final MemorySegment macBytes = strait_port_info.mac(info);
            long mac = 0;
            for (int i = 0; i < 6; i++) {
                mac = (mac << 8) | (macBytes.get(ValueLayout.JAVA_BYTE, i) & 0xFF);
            }
            final int keyLength = strait_port_info.rss_key_len(info) & 0xFF;
            final byte[] key = strait_port_info.rss_key(info).asSlice(0, keyLength).toArray(ValueLayout.JAVA_BYTE);
            return new PortInfo(mac, strait_port_info.max_rx_queues(info) & 0xFFFF,
                strait_port_info.max_tx_queues(info) & 0xFFFF, strait_port_info.reta_size(info) & 0xFFFF,
                strait_port_info.caps(info), strait_port_info.mtu(info),
                key, strait_port_info.driver(info).getString(0));
        }
    }

    /**
     * Creates a packet-buffer pool ({@code rte_pktmbuf_pool_create}).
     *
     * @return the pool's address (an opaque handle)
     */
    public static long mempoolCreate(String name, int mbufs, int cacheSize, int dataRoomBytes, int socket) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment pool = strait_dpdk_h.rte_pktmbuf_pool_create(arena.allocateFrom(name), mbufs,
                cacheSize, (short) 0, (short) dataRoomBytes, socket);
            if (pool.equals(MemorySegment.NULL)) {
                throw new DpdkException("cannot create mbuf pool " + name + " of " + mbufs + " buffers: "
                    + strerror(strait_dpdk_h.strait_errno()) + " (raise the memory size, --eal \"-m MB\")");
            }
            return pool.address();
        }
    }

    public static void mempoolFree(long pool) {
        strait_dpdk_h.rte_mempool_free(MemorySegment.ofAddress(pool));
    }

    /**
     * Mbufs of this pool not in it: in the port's rings, in flight or held by Strait
     * ({@code rte_mempool_in_use_count}, which counts the per-lcore caches as available). Any thread may call it;
     * the figure is a snapshot that a concurrent burst changes.
     */
    public static int mempoolInUse(long pool) {
        try {
            return (int) MempoolCount.IN_USE.invokeExact(MemorySegment.ofAddress(pool));
        } catch (Throwable t) {
            throw new DpdkException("rte_mempool_in_use_count failed: " + t);
        }
    }

    /** Linked on first use: jextract was not run over rte_mempool.h's counting functions. */
    private static final class MempoolCount {
        // unsigned int rte_mempool_in_use_count(const struct rte_mempool *mp), exported by librte_mempool, which
        // the shim names as needed (so the loader lookup finds it).
        static final java.lang.invoke.MethodHandle IN_USE = java.lang.foreign.Linker.nativeLinker().downcallHandle(
            java.lang.foreign.SymbolLookup.loaderLookup().find("rte_mempool_in_use_count").orElseThrow(
                () -> new DpdkException("symbol rte_mempool_in_use_count missing; rebuild with setup/build")),
            java.lang.foreign.FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    }

    /** Bytes of frame an mbuf of this pool holds (data room minus headroom). */
    public static int mbufRoom(long pool) {
        return strait_dpdk_h.strait_mbuf_room(MemorySegment.ofAddress(pool));
    }

    /**
     * Configures and starts a port with {@code queues} queue pairs; queue i takes mbufs from {@code pools[i]}.
     *
     * @return the {@code STRAIT_CAP_*} offloads actually enabled
     */
    public static int portStart(int port, int queues, int rxDescriptors, int txDescriptors, long[] pools,
                                int wantCaps) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment poolArray = arena.allocate(ValueLayout.ADDRESS, queues);
            for (int q = 0; q < queues; q++) {
                poolArray.setAtIndex(ValueLayout.ADDRESS, q, MemorySegment.ofAddress(pools[q]));
            }
            final int rc = strait_dpdk_h.strait_port_start((short) port, (short) queues, (short) rxDescriptors,
                (short) txDescriptors, poolArray, wantCaps);
            if (rc < 0) {
                throw new DpdkException("cannot start port " + port + " with " + queues + " queue(s): "
                    + strerror(rc));
            }
            return rc;
        }
    }

    /** The port's RSS redirection table (queue index per entry). */
    public static int[] portReta(int port, int retaSize) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment reta = arena.allocate(ValueLayout.JAVA_SHORT, retaSize);
            final int rc = strait_dpdk_h.strait_port_reta((short) port, reta, (short) retaSize);
            if (rc != 0) {
                throw new DpdkException("cannot read the RSS redirection table of port " + port + ": " + strerror(rc));
            }
            final int[] out = new int[retaSize];
            for (int i = 0; i < retaSize; i++) {
                out[i] = reta.getAtIndex(ValueLayout.JAVA_SHORT, i) & 0xFFFF;
            }
            return out;
        }
    }

    public static void portStop(int port) {
        strait_dpdk_h.rte_eth_dev_stop((short) port);
        strait_dpdk_h.rte_eth_dev_close((short) port);
    }

    /** Port statistics: packets in, packets out, bytes in, bytes out, missed, RX errors, TX errors, no-mbuf. */
    public static long[] portStats(int port) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment s = rte_eth_stats.allocate(arena);
            if (strait_dpdk_h.rte_eth_stats_get((short) port, s) != 0) {
                return new long[8];
            }
            return new long[] {rte_eth_stats.ipackets(s), rte_eth_stats.opackets(s), rte_eth_stats.ibytes(s),
                rte_eth_stats.obytes(s), rte_eth_stats.imissed(s), rte_eth_stats.ierrors(s),
                rte_eth_stats.oerrors(s), rte_eth_stats.rx_nombuf(s)};
        }
    }

    /** True when the port's link is up (a memif link is down until its peer connects). */
    public static boolean linkUp(int port) {
        return strait_dpdk_h.strait_link_up((short) port) == 1;
    }

    /** Registers the calling thread with the EAL (an lcore id for per-lcore mempool caches). */
    public static void registerThread() {
        if (strait_dpdk_h.strait_thread_register() != 0) {
            throw new DpdkException("cannot register thread with DPDK: " + strerror(strait_dpdk_h.strait_errno()));
        }
    }
}
