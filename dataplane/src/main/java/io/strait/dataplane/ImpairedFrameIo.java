package io.strait.dataplane;

import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * {@code serve --impair SPEC}: faults on Strait's own port, both directions, for tests on kernels without netem.
 * Each direction is a FIFO lane (fixed arrays): frames enter it with their faults applied — lost (freed), corrupted
 * (one byte of the IPv4 packet flipped, so the IPv4 or TCP checksum must catch it; ARP is never corrupted),
 * duplicated (a copy in a fresh buffer), reordered (swapped with the frame before it) — and leave when their delay
 * is up. Seeded (SplitMix64), allocation-free, on the core's thread.
 */
public final class ImpairedFrameIo extends ForwardingFrameIo {
    private static final int LANE = 1024;

    private final ImpairSpec spec;
    private final NanoClock clock;
    private final Lane rx;
    private final Lane tx;
    private final UnsafeBuffer frame = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer copy = new UnsafeBuffer(0, 0);
    private final long[] one = new long[1];
    private final long[] oneAddr = new long[1];
    private final long[] scratchBufs = new long[BURST];
    private final long[] scratchAddrs = new long[BURST];
    private final int[] scratchLens = new int[BURST];
    private final int[] scratchFlags = new int[BURST];
    private long random;

    public ImpairedFrameIo(FrameIo port, ImpairSpec spec, NanoClock clock, CountersManager counters, int core) {
        super(port);
        this.spec = spec;
        this.clock = clock;
        this.random = spec.seed() * 0x9E3779B97F4A7C15L + core;
        this.rx = new Lane(counters, "core" + core + ".impair.rx_");
        this.tx = new Lane(counters, "core" + core + ".impair.tx_");
    }

    private long next() {
        long z = (random += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private boolean chance(double p) {
        return p > 0 && (next() >>> 11) * 0x1.0p-53 < p;
    }

    /** One direction's queue of frames waiting for their time. */
    private final class Lane {
        final long[] bufs = new long[LANE];
        final long[] addrs = new long[LANE];
        final int[] lens = new int[LANE];
        final int[] flags = new int[LANE];
        final long[] dueNs = new long[LANE];
        int head;
        int count;
        final AtomicCounter lost;
        final AtomicCounter corrupted;
        final AtomicCounter duplicated;
        final AtomicCounter reordered;
        final AtomicCounter overflow;

        Lane(CountersManager m, String prefix) {
            lost = m.newCounter(prefix + "lost");
            corrupted = m.newCounter(prefix + "corrupted");
            duplicated = m.newCounter(prefix + "duplicated");
            reordered = m.newCounter(prefix + "reordered");
            overflow = m.newCounter(prefix + "queue_overflow");
        }

        boolean full() {
            return count == LANE;
        }

        /** Applies the faults to one frame and queues what survives. */
        void admit(long buf, long addr, int lenFlags, int rxFlags, long nowNs) {
            if (chance(spec.loss())) {
                lost.incrementRelease();
                freeOne(buf);
                return;
            }
            final int len = lenFlags & 0xFFFF;
            if (len > 14 + 20 && chance(spec.corrupt())) {
                frame.wrap(addr, len);
                if ((frame.getShort(12, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF) == 0x0800) {
                    final int at = 14 + (int) Long.remainderUnsigned(next(), len - 14);
                    frame.putByte(at, (byte) (frame.getByte(at) ^ (1 << (next() & 7))));
                    corrupted.incrementRelease();
                    rxFlags &= ~(RX_IP_CKSUM_GOOD | RX_L4_CKSUM_GOOD); // a NIC verdict no longer holds
                }
            }
            push(buf, addr, lenFlags, rxFlags, nowNs + spec.delayNs());
            if (chance(spec.dup()) && !full() && port.allocate(one, oneAddr, 1)) {
                frame.wrap(addr, len);
                copy.wrap(oneAddr[0], len);
                copy.putBytes(0, frame, 0, len);
                duplicated.incrementRelease();
                push(one[0], oneAddr[0], lenFlags, rxFlags, nowNs + spec.delayNs());
            }
            if (count >= 2 && chance(spec.reorder())) {
                final int a = (head + count - 1) % LANE;
                final int b = (head + count - 2) % LANE;
                swap(a, b);
                reordered.incrementRelease();
            }
        }

        private void push(long buf, long addr, int lenFlags, int rxFlags, long due) {
            if (full()) {
                overflow.incrementRelease();
                freeOne(buf);
                return;
            }
            final int i = (head + count) % LANE;
            bufs[i] = buf;
            addrs[i] = addr;
            lens[i] = lenFlags;
            flags[i] = rxFlags;
            dueNs[i] = due;
            count++;
        }

        private void swap(int a, int b) {
            long t = bufs[a];
            bufs[a] = bufs[b];
            bufs[b] = t;
            t = addrs[a];
            addrs[a] = addrs[b];
            addrs[b] = t;
            int u = lens[a];
            lens[a] = lens[b];
            lens[b] = u;
            u = flags[a];
            flags[a] = flags[b];
            flags[b] = u;
            // keep due times in queue order so the FIFO stays sorted
        }

        /** Frames whose time is up, at most max, into the arrays; returns how many. */
        int due(long[] outBufs, long[] outAddrs, int[] outLens, int[] outFlags, int max, long nowNs) {
            int n = 0;
            while (n < max && count > 0 && dueNs[head] - nowNs <= 0) {
                outBufs[n] = bufs[head];
                outAddrs[n] = addrs[head];
                outLens[n] = lens[head];
                if (outFlags != null) {
                    outFlags[n] = flags[head];
                }
                n++;
                head = (head + 1) % LANE;
                count--;
            }
            return n;
        }

        /** Puts back frames the port did not take, at the head, in order. */
        void unshift(long[] b, long[] a, int[] l, int from, int to) {
            for (int k = to - 1; k >= from; k--) {
                head = (head - 1 + LANE) % LANE;
                bufs[head] = b[k];
                addrs[head] = a[k];
                lens[head] = l[k];
                dueNs[head] = Long.MIN_VALUE;
                count++;
            }
        }
    }

    private void freeOne(long buf) {
        scratchBufs[0] = buf;
        port.free(scratchBufs, 1);
    }

    @Override
    public int receive(long[] bufs, long[] addrs, int[] lens, int[] flags, int max) {
        final long now = clock.nanoTime();
        flushTx(now);
        if (!rx.full()) {
            final int n = port.receive(scratchBufs, scratchAddrs, scratchLens, scratchFlags,
                Math.min(BURST, LANE - rx.count));
            for (int i = 0; i < n; i++) {
                final long buf = scratchBufs[i];
                rx.admit(buf, scratchAddrs[i], scratchLens[i], scratchFlags[i], now);
            }
        }
        return rx.due(bufs, addrs, lens, flags, max, now);
    }

    @Override
    public int transmit(long[] bufs, long[] addrs, int[] lens, int count) {
        final long now = clock.nanoTime();
        int taken = 0;
        while (taken < count && tx.count < LANE - 1) {
            tx.admit(bufs[taken], addrs[taken], lens[taken], 0, now);
            taken++;
        }
        flushTx(now);
        return taken;
    }

    private final long[] txBufs = new long[BURST];
    private final long[] txAddrs = new long[BURST];
    private final int[] txLens = new int[BURST];

    private void flushTx(long now) {
        while (true) {
            final int n = tx.due(txBufs, txAddrs, txLens, null, BURST, now);
            if (n == 0) {
                return;
            }
            final int sent = port.transmit(txBufs, txAddrs, txLens, n);
            if (sent < n) {
                tx.unshift(txBufs, txAddrs, txLens, sent, n);
                return;
            }
        }
    }

    @Override
    public void close() {
        for (Lane lane : new Lane[] {rx, tx}) {
            while (lane.count > 0) {
                freeOne(lane.bufs[lane.head]);
                lane.head = (lane.head + 1) % LANE;
                lane.count--;
            }
        }
        port.close();
    }
}
