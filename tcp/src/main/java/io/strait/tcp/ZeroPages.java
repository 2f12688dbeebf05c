package io.strait.tcp;

import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Large zeroed off-heap memory without zeroing it: anonymous pages from {@code mmap}, which the kernel hands out
 * zero-filled on first touch, so a 1.5 GB slab costs nothing until connections use it (a direct ByteBuffer memsets
 * the whole of it first: over a second at start-up). Unmapped when the buffer's owner becomes unreachable. Falls
 * back to a direct ByteBuffer where {@code mmap} cannot be called.
 */
final class ZeroPages {
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS_NORESERVE = 0x02 | 0x20 | 0x4000;
    private static final Cleaner CLEANER = Cleaner.create();
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;

    static {
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        try {
            final Linker linker = Linker.nativeLinker();
            mmap = linker.downcallHandle(linker.defaultLookup().find("mmap").orElseThrow(),
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
            munmap = linker.downcallHandle(linker.defaultLookup().find("munmap").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        } catch (RuntimeException | LinkageError e) {
            mmap = null; // no native access: direct ByteBuffers
        }
        MMAP = mmap;
        MUNMAP = munmap;
    }

    private ZeroPages() {
    }

    /** {@code bytes} of zeroed memory as a buffer; {@code owner}'s reachability decides its lifetime. */
    static UnsafeBuffer allocate(final Object owner, final int bytes) {
        if (MMAP != null && bytes > 0) {
            try {
                final MemorySegment at = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, (long) bytes,
                    PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS_NORESERVE, -1, 0L);
                final long address = at.address();
                if (address != -1L && address != 0L) {
                    final MethodHandle unmap = MUNMAP;
                    final long length = bytes;
                    CLEANER.register(owner, () -> {
                        try {
                            final int ignored = (int) unmap.invokeExact(MemorySegment.ofAddress(address), length);
                        } catch (Throwable t) {
                            // the process ends with it mapped: nothing else to do
                        }
                    });
                    return new UnsafeBuffer(address, bytes);
                }
            } catch (Throwable t) {
                // fall through
            }
        }
        return new UnsafeBuffer(ByteBuffer.allocateDirect(bytes));
    }
}
