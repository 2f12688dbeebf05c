package io.strait.dataplane;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The heap-after-GC gauge the soak compares (jvm.heap_after_gc_bytes): it follows the live set, not allocation. */
class ResourceGaugesTest {
    private static final List<MemoryPoolMXBean> HEAP = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP).toList();
    private static final int MB = 1 << 20;
    private static byte[][] retained;

    @Test
    @DisplayName("After a full GC the gauge holds the live set: 64 MiB retained shows, and goes once released")
    void followsTheLiveSet() {
        retained = new byte[64][];
        for (int i = 0; i < retained.length; i++) {
            retained[i] = new byte[MB];
        }
        System.gc();
        final long held = ResourceGauges.heapAfterLastGc(HEAP);
        assertTrue(held >= 64L * MB, "64 MiB live after a GC, gauge says " + held);
        retained = null;
        System.gc();
        final long released = ResourceGauges.heapAfterLastGc(HEAP);
        assertTrue(held - released >= 60L * MB, "released 64 MiB: " + held + " -> " + released);
    }

    @Test
    @DisplayName("Garbage allocated after a GC does not move it (jvm.heap_used_bytes would)")
    void ignoresGarbageSinceTheLastGc() {
        System.gc();
        final long before = ResourceGauges.heapAfterLastGc(HEAP);
        long sink = 0;
        for (int i = 0; i < 16; i++) {
            sink += new byte[MB].length; // garbage, young: no collection needed for 16 MiB in a default heap
        }
        assertTrue(sink > 0);
        final long after = ResourceGauges.heapAfterLastGc(HEAP);
        assertTrue(Math.abs(after - before) < 8L * MB, "unchanged without a GC: " + before + " -> " + after);
    }

    @Test
    @org.junit.jupiter.api.DisplayName("Kernel drops are read from a kernel interface's statistics, for af_packet and af_xdp only")
    void kernelDropsOnlyForPortsOnKernelInterfaces() {
        final String lo = "lo"; // every Linux box has it, and its rx_dropped file
        final long now = ResourceGauges.kernelRxDropped(new DataplaneConfig().dev("net_af_packet0,iface=" + lo)
            ).getAsLong();
        org.junit.jupiter.api.Assertions.assertTrue(now >= 0);
        org.junit.jupiter.api.Assertions.assertEquals(0L, ResourceGauges.kernelRxDropped(new DataplaneConfig().dev("net_memif0,role=server")
            ).getAsLong());
        org.junit.jupiter.api.Assertions.assertEquals(0L, ResourceGauges.kernelRxDropped(new DataplaneConfig()
            .dev("net_af_packet0,iface=../../etc")).getAsLong(), "no path outside /sys/class/net");
        org.junit.jupiter.api.Assertions.assertEquals(0L, ResourceGauges.kernelRxDropped(new DataplaneConfig()
            .dev("net_af_packet0,iface=no-such-if0")).getAsLong(), "an interface that is gone reads 0");
    }
}
