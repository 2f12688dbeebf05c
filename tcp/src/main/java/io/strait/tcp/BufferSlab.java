package io.strait.tcp;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * One preallocated off-heap slab per engine, cut into equal chunks (one per connection: send ring then receive
 * ring). Chunks are handed out and returned through an int stack; nothing is allocated after construction.
 * Not thread-safe. The whole slab must fit in 2 GiB (one direct ByteBuffer).
 */
public final class BufferSlab {
    private final UnsafeBuffer buffer;
    private final int chunkBytes;
    private final int[] free;
    private int freeCount;

    public BufferSlab(final int chunks, final int chunkBytes) {
        final long total = (long) chunks * chunkBytes;
        if (total > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("slab of " + total + " bytes exceeds 2 GiB: lower maxConnections "
                + "or the buffer sizes");
        }
        this.buffer = new UnsafeBuffer(ByteBuffer.allocateDirect((int) total));
        this.chunkBytes = chunkBytes;
        this.free = new int[chunks];
        for (int i = 0; i < chunks; i++) {
            free[i] = chunks - 1 - i;
        }
        freeCount = chunks;
    }

    /** @return the byte offset of a free chunk in {@link #buffer()}, or -1 when none is left */
    public int allocate() {
        return freeCount == 0 ? -1 : free[--freeCount] * chunkBytes;
    }

    public void release(final int chunkOffset) {
        free[freeCount++] = chunkOffset / chunkBytes;
    }

    public UnsafeBuffer buffer() {
        return buffer;
    }

    public int freeChunks() {
        return freeCount;
    }

    public int chunks() {
        return free.length;
    }
}
