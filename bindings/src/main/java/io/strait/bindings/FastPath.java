package io.strait.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The shim's per-burst calls as {@code static final} method handles linked as critical (no thread-state
 * transition: each call is short and never blocks). Arguments that are arrays are raw native addresses
 * ({@code long}), so a call allocates nothing.
 *
 * <p>These four handles are written by hand rather than taken from the generated bindings because jextract links
 * every function the same (non-critical) way; everything off the fast path goes through the generated code.
 */
public final class FastPath {
    private static final MethodHandle RX_BURST;
    private static final MethodHandle TX_BURST;
    private static final MethodHandle ALLOC_BULK;
    private static final MethodHandle FREE_BULK;

    static {
        ShimLibrary.load();
        final Linker linker = Linker.nativeLinker();
        final SymbolLookup lookup = SymbolLookup.loaderLookup();
        final Linker.Option critical = Linker.Option.critical(false);
        // uint16_t strait_rx_burst(uint16_t port, uint16_t queue, void **mbufs, struct strait_pkt *pkts, uint16_t n)
        RX_BURST = linker.downcallHandle(find(lookup, "strait_rx_burst"),
            FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_LONG, JAVA_LONG, JAVA_SHORT), critical);
        // uint16_t strait_tx_burst(uint16_t port, uint16_t queue, void **mbufs, const uint32_t *lens, uint16_t n)
        TX_BURST = linker.downcallHandle(find(lookup, "strait_tx_burst"),
            FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_LONG, JAVA_LONG, JAVA_SHORT), critical);
        // int strait_alloc_bulk(void *pool, void **mbufs, uint64_t *addrs, uint16_t n)
        ALLOC_BULK = linker.downcallHandle(find(lookup, "strait_alloc_bulk"),
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_SHORT), critical);
        // void strait_free_bulk(void **mbufs, uint16_t n)
        FREE_BULK = linker.downcallHandle(find(lookup, "strait_free_bulk"),
            FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_SHORT), critical);
    }

    private FastPath() {
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new DpdkException("symbol " + name + " missing from "
            + ShimLibrary.NAME + "; rebuild with setup/build"));
    }

    /**
     * Receives up to {@code n} packets. {@code mbufsAddr} is a native array of n pointers, {@code pktsAddr} a
     * native array of n {@code struct strait_pkt} (16 bytes: address, length, flags).
     *
     * @return packets received
     */
    public static int rxBurst(int port, int queue, long mbufsAddr, long pktsAddr, int n) {
        try {
            return (short) RX_BURST.invokeExact((short) port, (short) queue, mbufsAddr, pktsAddr, (short) n) & 0xFFFF;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Sends {@code n} mbufs from the native pointer array at {@code mbufsAddr}; {@code lensAddr} holds a uint32 per
     * mbuf: frame length in the low 16 bits, {@code STRAIT_TX_*} offload bits above.
     *
     * @return mbufs the port took; the rest still belong to the caller
     */
    public static int txBurst(int port, int queue, long mbufsAddr, long lensAddr, int n) {
        try {
            return (short) TX_BURST.invokeExact((short) port, (short) queue, mbufsAddr, lensAddr, (short) n) & 0xFFFF;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Allocates {@code n} mbufs from {@code pool}; returns true on success (all or nothing). */
    public static boolean allocBulk(long pool, long mbufsAddr, long addrsAddr, int n) {
        try {
            return (int) ALLOC_BULK.invokeExact(pool, mbufsAddr, addrsAddr, (short) n) == 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Frees {@code n} mbufs from the native pointer array at {@code mbufsAddr}. */
    public static void freeBulk(long mbufsAddr, int n) {
        try {
            FREE_BULK.invokeExact(mbufsAddr, (short) n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
