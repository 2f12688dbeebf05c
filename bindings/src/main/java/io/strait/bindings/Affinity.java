package io.strait.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** Pins the calling thread to one CPU ({@code sched_setaffinity(0, ...)} from libc). */
public final class Affinity {
    private static final MethodHandle SET_AFFINITY = Linker.nativeLinker().downcallHandle(
        Linker.nativeLinker().defaultLookup().find("sched_setaffinity").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));

    private Affinity() {
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
