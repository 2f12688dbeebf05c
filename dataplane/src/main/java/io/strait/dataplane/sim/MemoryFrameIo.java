package io.strait.dataplane.sim;

import io.strait.dataplane.FrameIo;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayDeque;

/**
 * A port in memory, for tests and benchmarks without DPDK: a pool of fixed-size off-heap buffers, a receive queue
 * the test fills ({@link #inject}), and a transmit queue the test drains ({@link #sent}). {@link #txLimit} makes
 * {@link #transmit} take fewer frames than offered, to exercise partial bursts. {@link #outstanding()} is the leak
 * check: buffers not back in the pool.
 *
 * <p>Test code only: it allocates in {@link #inject} and keeps Java queues.
 */
public final class MemoryFrameIo implements FrameIo {
    private final int frameRoom;
    private final long mac;
    private final int caps;
    private final UnsafeBuffer slab;
    private final long[] freeList;
    private int freeCount;
    private final int poolSize;
    private final ArrayDeque<long[]> rx = new ArrayDeque<>();
    private final ArrayDeque<long[]> tx = new ArrayDeque<>();
    /** Most frames one transmit call takes (default: all). */
    public int txLimit = Integer.MAX_VALUE;
    /** When true, allocate() fails (pool exhausted). */
    public boolean exhausted;

    public MemoryFrameIo(int buffers, int frameRoom, long mac, int caps) {
        this.frameRoom = frameRoom;
        this.mac = mac;
        this.caps = caps;
        this.poolSize = buffers;
        this.slab = new UnsafeBuffer(BufferUtil.allocateDirectAligned(buffers * frameRoom, 64));
        this.freeList = new long[buffers];
        for (int i = 0; i < buffers; i++) {
            freeList[i] = slab.addressOffset() + (long) i * frameRoom;
        }
        this.freeCount = buffers;
    }

    /** Queues a received frame (copied into a pool buffer) with the given checksum flags. */
    public void inject(byte[] frame, int flags) {
        if (freeCount == 0) {
            throw new IllegalStateException("pool exhausted");
        }
        final long buf = freeList[--freeCount];
        new UnsafeBuffer(buf, frameRoom).putBytes(0, frame);
        rx.add(new long[] {buf, frame.length, flags});
    }

    /** The next transmitted frame's bytes (its buffer returns to the pool), or null. */
    public byte[] sent() {
        final long[] f = tx.poll();
        if (f == null) {
            return null;
        }
        final byte[] bytes = new byte[(int) (f[1] & 0xFFFF)];
        new UnsafeBuffer(f[0], frameRoom).getBytes(0, bytes);
        freeList[freeCount++] = f[0];
        return bytes;
    }

    /** TX flags (offload bits) of the next frame to be returned by {@link #sent()}, or -1. */
    public int peekSentFlags() {
        final long[] f = tx.peek();
        return f == null ? -1 : (int) (f[1] & ~0xFFFF);
    }

    public int sentCount() {
        return tx.size();
    }

    /** Buffers handed out and not yet returned (received, held or in the TX queue of the caller). */
    public int outstanding() {
        return poolSize - freeCount - tx.size();
    }

    @Override
    public int receive(long[] bufs, long[] addrs, int[] lens, int[] flags, int max) {
        int n = 0;
        while (n < max && !rx.isEmpty()) {
            final long[] f = rx.poll();
            bufs[n] = f[0];
            addrs[n] = f[0];
            lens[n] = (int) f[1];
            flags[n] = (int) f[2];
            n++;
        }
        return n;
    }

    @Override
    public int transmit(long[] bufs, long[] addrs, int[] lens, int count) {
        final int n = Math.min(count, txLimit);
        for (int i = 0; i < n; i++) {
            tx.add(new long[] {bufs[i], lens[i]});
        }
        return n;
    }

    @Override
    public boolean allocate(long[] bufs, long[] addrs, int count) {
        if (exhausted || freeCount < count) {
            return false;
        }
        for (int i = 0; i < count; i++) {
            final long b = freeList[--freeCount];
            bufs[i] = b;
            addrs[i] = b;
        }
        return true;
    }

    @Override
    public void free(long[] bufs, int count) {
        for (int i = 0; i < count; i++) {
            freeList[freeCount++] = bufs[i];
        }
    }

    @Override
    public int frameRoom() {
        return frameRoom;
    }

    @Override
    public long mac() {
        return mac;
    }

    @Override
    public int caps() {
        return caps;
    }
}
