package io.strait.dataplane;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * One core's transmit side below IPv4: the queue of frames for the next TX burst, and the stash of free buffers
 * new frames are written into.
 *
 * <pre>
 *   stash (up to STASH free buffers, refilled in one bulk allocate)
 *     | take(): one buffer becomes the open claim, out() points at it
 *     v
 *   claim --- release(): written and handed on (to enqueue, or held by ARP)
 *     |   `-- abandon(): never committed (a contained exception), back to the stash
 *     v
 *   queue (up to TX_QUEUE frames) --- flush(): one transmit per cycle; what the port did not take stays, in order
 * </pre>
 *
 * <p>Received frames answered in place (ARP and ICMP echo replies) join the queue directly. A full queue drops the
 * new frame and counts it. Per frame nothing is allocated. Called on the owning core's thread only.
 */
final class TxQueue {
    /** Frames the TX queue holds before new ones are dropped (and counted). */
    static final int TX_QUEUE = 1024;
    /** Buffers taken from the pool per refill of the TX stash (one bulk call). */
    static final int STASH = 32;

    private final FrameIo io;
    private final DataplaneCounters c;
    private final long[] bufs = new long[TX_QUEUE];
    private final long[] addrs = new long[TX_QUEUE];
    private final int[] lens = new int[TX_QUEUE];
    private int count;
    private final long[] stashBufs = new long[STASH];
    private final long[] stashAddrs = new long[STASH];
    private int stashCount;
    private final long[] one = new long[1];
    private final UnsafeBuffer out = new UnsafeBuffer(0, 0);
    private long claimBuf;
    private long claimAddr;

    TxQueue(FrameIo io, DataplaneCounters counters) {
        this.io = io;
        this.c = counters;
    }

    /**
     * Takes a buffer from the stash (refilled from the pool when empty) as the open claim, {@link #out()} pointing
     * at its {@link FrameIo#frameRoom()} bytes; false (counted) when the pool is empty.
     */
    boolean take() {
        if (stashCount == 0) {
            if (!io.allocate(stashBufs, stashAddrs, STASH)) {
                c.mbufExhausted.incrementRelease();
                return false;
            }
            stashCount = STASH;
        }
        stashCount--;
        claimBuf = stashBufs[stashCount];
        claimAddr = stashAddrs[stashCount];
        out.wrap(claimAddr, io.frameRoom());
        return true;
    }

    /** The claimed buffer's memory (valid from {@link #take()} until the next take). */
    UnsafeBuffer out() {
        return out;
    }

    /** The claimed buffer, handed on by the caller: no longer this queue's to put back. */
    long release() {
        final long buf = claimBuf;
        claimBuf = 0;
        return buf;
    }

    /** The claimed buffer's data address. */
    long claimAddr() {
        return claimAddr;
    }

    /** A claim left open (claimed, never committed) goes back to the stash, which it came from, so there is room. */
    void abandon() {
        if (claimBuf != 0) {
            stashBufs[stashCount] = claimBuf;
            stashAddrs[stashCount] = claimAddr;
            stashCount++;
            claimBuf = 0;
        }
    }

    /** Queues a frame for the next flush; {@code lenFlags} is its length with {@code TX_*} offload bits above. */
    void enqueue(long buf, long addr, int lenFlags) {
        if (count == TX_QUEUE) {
            c.txFull.incrementRelease();
            free(buf);
            return;
        }
        bufs[count] = buf;
        addrs[count] = addr;
        lens[count] = lenFlags;
        count++;
    }

    /** One TX burst; what the port did not take stays queued, in order, for the next cycle. Returns frames sent. */
    int flush() {
        if (count == 0) {
            return 0;
        }
        final int sent = io.transmit(bufs, addrs, lens, count);
        long bytes = 0;
        for (int i = 0; i < sent; i++) {
            bytes += lens[i] & 0xFFFF;
        }
        c.txPackets.getAndAddRelease(sent);
        c.txBytes.getAndAddRelease(bytes);
        if (sent < count) {
            c.txRetries.incrementRelease();
            System.arraycopy(bufs, sent, bufs, 0, count - sent);
            System.arraycopy(addrs, sent, addrs, 0, count - sent);
            System.arraycopy(lens, sent, lens, 0, count - sent);
        }
        count -= sent;
        return sent;
    }

    /** Frames waiting for TX (left by a partial burst). */
    int queued() {
        return count;
    }

    /** Returns one buffer to its pool. */
    void free(long buf) {
        one[0] = buf;
        io.free(one, 1);
    }

    /** Frees what is still queued and the stash (at close, after the last flush). */
    void close() {
        if (count > 0) {
            io.free(bufs, count);
            count = 0;
        }
        if (stashCount > 0) {
            io.free(stashBufs, stashCount);
            stashCount = 0;
        }
    }
}
