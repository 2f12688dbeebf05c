package io.strait.bench.dataplane;

import io.strait.dataplane.FrameIo;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An allocation-free in-memory port for benchmarks: each {@link #receive} hands out the same 32 buffers, refilled
 * from a template (the previous burst's replies were written in place); {@link #transmit} takes everything and
 * counts it; the TX stash comes from a small private pool.
 */
final class ReplayFrameIo implements FrameIo {
    private final UnsafeBuffer memory;
    private final byte[] template;
    private final long mac;
    long transmitted;

    ReplayFrameIo(byte[] template, long mac) {
        this.template = template;
        this.mac = mac;
        this.memory = new UnsafeBuffer(BufferUtil.allocateDirectAligned((BURST + 64) * 2048, 64));
    }

    @Override
    public int receive(long[] bufs, long[] addrs, int[] lens, int[] flags, int max) {
        final int n = Math.min(max, BURST);
        for (int i = 0; i < n; i++) {
            memory.putBytes(i * 2048, template);
            bufs[i] = i;
            addrs[i] = memory.addressOffset() + i * 2048L;
            lens[i] = template.length;
            flags[i] = 0;
        }
        return n;
    }

    @Override
    public int transmit(long[] bufs, long[] addrs, int[] lens, int count) {
        transmitted += count;
        return count;
    }

    @Override
    public boolean allocate(long[] bufs, long[] addrs, int count) {
        for (int i = 0; i < count; i++) {
            bufs[i] = BURST + (i % 64);
            addrs[i] = memory.addressOffset() + (BURST + (i % 64)) * 2048L;
        }
        return true;
    }

    @Override
    public void free(long[] bufs, int count) {
    }

    @Override
    public int frameRoom() {
        return 2048;
    }

    @Override
    public long mac() {
        return mac;
    }

    @Override
    public int caps() {
        return 0;
    }
}
