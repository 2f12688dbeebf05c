package io.strait.dataplane.sim;

import io.strait.dataplane.FrameIo;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Two in-memory ports joined back to back, allocation-free: what one end transmits the other receives, in order;
 * both draw their buffers from one pool (a buffer handle is its address). With {@link #OFFLOADS} the ends advertise
 * checksum offload, and a frame sent with the offload flags arrives marked good, as between two NICs (benchmarks
 * then measure Strait's code and not software checksums); with other capabilities (a real port's, for a warm-up)
 * the software paths run. {@link #impair} makes the pipe lossy and reordering in both directions (seeded), so that
 * a warm-up also runs loss recovery. Single-threaded: both ends are polled by the same thread. For benchmarks and
 * warm-ups.
 */
public final class FramePipe {
    static final int FRAME_ROOM = 2048;
    /** IPv4 and TCP checksum offload both ways. */
    public static final int OFFLOADS = FrameIo.CAP_RX_IP_CKSUM | FrameIo.CAP_RX_TCP_CKSUM | FrameIo.CAP_TX_IP_CKSUM
        | FrameIo.CAP_TX_TCP_CKSUM;

    /** Held for the pipe's life: the buffers are its memory (a dropped slab is freed under the frames). */
    private final UnsafeBuffer slab;
    private final long[] free;
    private int freeCount;
    private final int caps;
    private long lossThreshold;    // P(loss) as an unsigned 64-bit threshold; 0: none
    private long reorderThreshold; // P(a frame overtakes the one before it)
    private long random;
    private long dropped;
    private long reordered;
    public final End a;
    public final End b;

    /** Checksum offload both ways ({@link #OFFLOADS}). */
    public FramePipe(int buffers, long macA, long macB) {
        this(buffers, macA, macB, OFFLOADS);
    }

    /** @param caps what both ends advertise ({@link FrameIo}'s CAP_ bits; only the checksum ones act) */
    public FramePipe(int buffers, long macA, long macB, int caps) {
        this.caps = caps;
        slab = new UnsafeBuffer(BufferUtil.allocateDirectAligned(buffers * FRAME_ROOM, 64));
        free = new long[buffers];
        for (int i = 0; i < buffers; i++) {
            free[i] = slab.addressOffset() + (long) i * FRAME_ROOM;
        }
        freeCount = buffers;
        a = new End(macA, buffers);
        b = new End(macB, buffers);
        a.peer = b;
        b.peer = a;
    }

    /**
     * From now on each frame sent either way is lost with probability {@code loss} (its buffer back to the pool) or,
     * with probability {@code reorder}, overtakes the frame queued before it; {@code 0, 0} ends it. Seeded
     * (SplitMix64), allocation-free.
     */
    public void impair(double loss, double reorder, long seed) {
        if (!(loss >= 0 && loss < 1 && reorder >= 0 && reorder < 1)) {
            throw new IllegalArgumentException("loss and reorder are probabilities in [0, 1): " + loss + ", " + reorder);
        }
        lossThreshold = (long) (loss * 0x1p63) << 1;
        reorderThreshold = (long) (reorder * 0x1p63) << 1;
        random = seed;
    }

    /** Frames lost to {@link #impair}. */
    public long dropped() {
        return dropped;
    }

    /** Frames that overtook another under {@link #impair}. */
    public long reordered() {
        return reordered;
    }

    private boolean chance(long threshold) {
        if (threshold == 0) {
            return false;
        }
        long z = (random += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return Long.compareUnsigned(z ^ (z >>> 31), threshold) < 0;
    }

    /** Buffers not in the pool (held by an end's receive queue or a caller). */
    public int outstanding() {
        return free.length - freeCount;
    }

    public final class End implements FrameIo {
        private final long mac;
        private final long[] queue;
        private final int[] lengths;
        private final int[] verdicts;
        private int head;
        private int size;
        End peer;

        End(long mac, int capacity) {
            this.mac = mac;
            this.queue = new long[capacity];
            this.lengths = new int[capacity];
            this.verdicts = new int[capacity];
        }

        private void arrive(long buf, int length, int txFlags) {
            final int at = (head + size) % queue.length; // never full: the queue holds every buffer of the pool
            queue[at] = buf;
            lengths[at] = length;
            verdicts[at] = ((txFlags & TX_IP_CKSUM) != 0 ? RX_IP_CKSUM_GOOD : 0)
                | ((txFlags & TX_TCP_CKSUM) != 0 ? RX_L4_CKSUM_GOOD : 0);
            size++;
        }

        /** The last two queued frames change places. */
        private void swapLast() {
            final int last = (head + size - 1) % queue.length;
            final int before = (head + size - 2) % queue.length;
            final long buf = queue[last];
            final int length = lengths[last];
            final int verdict = verdicts[last];
            queue[last] = queue[before];
            lengths[last] = lengths[before];
            verdicts[last] = verdicts[before];
            queue[before] = buf;
            lengths[before] = length;
            verdicts[before] = verdict;
        }

        @Override
        public int receive(long[] bufs, long[] addrs, int[] lens, int[] flags, int max) {
            final int n = Math.min(max, size);
            for (int i = 0; i < n; i++) {
                bufs[i] = queue[head];
                addrs[i] = queue[head];
                lens[i] = lengths[head];
                flags[i] = verdicts[head];
                head = (head + 1) % queue.length;
            }
            size -= n;
            return n;
        }

        @Override
        public int transmit(long[] bufs, long[] addrs, int[] lens, int count) {
            for (int i = 0; i < count; i++) {
                if (addrs[i] != bufs[i]) {
                    throw new IllegalStateException("frame not at the start of its buffer");
                }
                if (chance(lossThreshold)) {
                    free[freeCount++] = bufs[i];
                    dropped++;
                    continue;
                }
                peer.arrive(bufs[i], lens[i] & 0xFFFF, lens[i]);
                if (peer.size >= 2 && chance(reorderThreshold)) {
                    peer.swapLast();
                    reordered++;
                }
            }
            return count;
        }

        @Override
        public boolean allocate(long[] bufs, long[] addrs, int count) {
            if (freeCount < count) {
                return false;
            }
            for (int i = 0; i < count; i++) {
                final long buf = free[--freeCount];
                bufs[i] = buf;
                addrs[i] = buf;
            }
            return true;
        }

        @Override
        public void free(long[] bufs, int count) {
            for (int i = 0; i < count; i++) {
                free[freeCount++] = bufs[i];
            }
        }

        @Override
        public int frameRoom() {
            return FRAME_ROOM;
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
}
