package io.strait.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * CPU affinity from libc: pins the calling thread to one CPU ({@code sched_setaffinity(0, ...)}) and reads the
 * CPUs the calling thread may run on ({@code sched_getaffinity}), which a process started under {@code taskset}
 * or a cgroup cpuset has narrowed: defaults must come from this mask, never from the CPU count.
 */
public final class Affinity {
    private static final MethodHandle SET_AFFINITY = Linker.nativeLinker().downcallHandle(
        Linker.nativeLinker().defaultLookup().find("sched_setaffinity").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle GET_AFFINITY = Linker.nativeLinker().downcallHandle(
        Linker.nativeLinker().defaultLookup().find("sched_getaffinity").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));

    /**
     * The CPUs the calling thread may run on, ascending (the process's mask when called before any pinning, as
     * from the main thread at start). Falls back to 0..availableProcessors-1 if the kernel does not answer.
     */
    public static int[] allowedCpus() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment mask = arena.allocate(128);
            if ((int) GET_AFFINITY.invokeExact(0, 128L, mask) == 0) {
                int n = 0;
                final int[] cpus = new int[1024];
                for (int cpu = 0; cpu < 1024; cpu++) {
                    if ((mask.get(java.lang.foreign.ValueLayout.JAVA_BYTE, cpu / 8) & (1 << (cpu % 8))) != 0) {
                        cpus[n++] = cpu;
                    }
                }
                if (n > 0) {
                    return java.util.Arrays.copyOf(cpus, n);
                }
            }
        } catch (Throwable t) {
            // fall through
        }
        final int[] all = new int[Runtime.getRuntime().availableProcessors()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return all;
    }

    /** The EAL cpu-set syntax for {@code cpus}: "1,3,5". */
    public static String cpuList(final int[] cpus) {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cpus.length; i++) {
            sb.append(i == 0 ? "" : ",").append(cpus[i]);
        }
        return sb.toString();
    }

    private static final MethodHandle GETTID = Linker.nativeLinker().downcallHandle(
        Linker.nativeLinker().defaultLookup().find("gettid").orElseThrow(), FunctionDescriptor.of(JAVA_INT));

    private Affinity() {
    }

    /** The kernel's id of the calling thread (gettid), -1 if unknown. */
    public static int currentTid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            return -1;
        }
    }

    /** Confines thread {@code tid} of this process to {@code cpus}; false if the kernel refuses (or it is gone). */
    public static boolean setThreadAffinity(int tid, int[] cpus) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment mask = arena.allocate(128);
            for (int cpu : cpus) {
                if (cpu >= 0 && cpu < 1024) {
                    final long at = cpu / 8;
                    mask.set(java.lang.foreign.ValueLayout.JAVA_BYTE, at,
                        (byte) (mask.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at) | (1 << (cpu % 8))));
                }
            }
            return (int) SET_AFFINITY.invokeExact(tid, 128L, mask) == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /** Pins the calling thread to {@code cpu}; returns false (and leaves the thread unpinned) if the kernel refuses. */
    public static boolean pinCurrentThread(int cpu) {
        if (cpu < 0 || cpu >= 1024) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment mask = arena.allocate(128); // cpu_set_t: 1024 bits
            mask.set(java.lang.foreign.ValueLayout.JAVA_BYTE, cpu / 8, (byte) (1 << (cpu % 8)));
            return (int) SET_AFFINITY.invokeExact(0, 128L, mask) == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
