package io.strait.tcp;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * One preallocated off-heap slab per engine in two chunk classes: one small chunk per connection (send ring,
 * receive ring, transmit record), and a bounded pool of large chunks that connections whose bandwidth-delay product
 * outgrows the small rings borrow (the per-core memory budget of buffer autotuning). Chunks are handed out and
 * returned through int stacks; nothing is allocated after construction. Not thread-safe. The whole slab must fit
 * in 2 GiB (one direct ByteBuffer), so every ring is an int offset into one buffer.
 */
public final class BufferSlab {
    private final UnsafeBuffer buffer;
    private final int chunkBytes;
    private final int[] free;
    private int freeCount;
    private final int largeBase;
    private final int largeBytes;
    private final int[] largeFree;
    private int largeFreeCount;

    public BufferSlab(final int chunks, final int chunkBytes) {
        this(chunks, chunkBytes, 0, 0);
    }

    public BufferSlab(final int chunks, final int chunkBytes, final int largeChunks, final int largeChunkBytes) {
        final long small = (long) chunks * chunkBytes;
        final long total = small + (long) largeChunks * largeChunkBytes;
        if (total > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("slab of " + total + " bytes exceeds 2 GiB: lower maxConnections, "
                + "the buffer sizes or the large-buffer budget");
        }
        this.buffer = ZeroPages.allocate(this, (int) total); // lazily zeroed pages: no memset of the whole slab
        this.chunkBytes = chunkBytes;
        this.free = new int[chunks];
        for (int i = 0; i < chunks; i++) {
            free[i] = chunks - 1 - i;
        }
        freeCount = chunks;
        this.largeBase = (int) small;
        this.largeBytes = largeChunkBytes;
        this.largeFree = new int[largeChunks];
        for (int i = 0; i < largeChunks; i++) {
            largeFree[i] = largeChunks - 1 - i;
        }
        largeFreeCount = largeChunks;
    }

    /** @return the byte offset of a free chunk in {@link #buffer()}, or -1 when none is left */
    public int allocate() {
        return freeCount == 0 ? -1 : free[--freeCount] * chunkBytes;
    }

    public void release(final int chunkOffset) {
        free[freeCount++] = chunkOffset / chunkBytes;
    }

    /** @return the byte offset of a free large chunk, or -1 when the budget is spent */
    public int allocateLarge() {
        return largeFreeCount == 0 ? -1 : largeBase + largeFree[--largeFreeCount] * largeBytes;
    }

    public void releaseLarge(final int chunkOffset) {
        largeFree[largeFreeCount++] = (chunkOffset - largeBase) / largeBytes;
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

    public int freeLargeChunks() {
        return largeFreeCount;
    }

    public int largeChunks() {
        return largeFree.length;
    }
}
