package io.strait.tcp;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * The engine's TCBs: a fixed pool of slots with generations (a stale handle is caught), the four-tuple table,
 * one slab chunk per connection (send ring, receive ring, transmit record), and the TIME_WAIT list that is reaped
 * oldest first when the pool runs dry. Single-threaded.
 */
final class TcbPool {
    final Tcb[] tcbs;
    final ConnectionTable table;
    private final int[] freeSlots;
    private int freeCount;
    /** TIME_WAIT TCBs, oldest first (slot, generation). */
    private final int[] timeWaitSlots;
    private final int[] timeWaitGenerations;
    private int timeWaitHead;
    private int timeWaitCount;
    private final BufferSlab slab;
    private final int sndCap;
    private final int rcvCap;
    private final TcpCounters c;
    private final Timers timers;
    private final Listeners listeners;
    private final SentSegments log;
    private final RstQueue rsts;
    private final int records;
    private final int large;
    private final int largeRecords;

    TcbPool(final TcpConfig cfg, final TcpCounters c, final Listeners listeners) {
        final int n = cfg.maxConnections;
        this.c = c;
        this.rsts = new RstQueue(c);
        this.listeners = listeners;
        tcbs = new Tcb[n];
        freeSlots = new int[n];
        timeWaitSlots = new int[n];
        timeWaitGenerations = new int[n];
        for (int i = 0; i < n; i++) {
            tcbs[i] = new Tcb(i);
            freeSlots[i] = n - 1 - i;
        }
        freeCount = n;
        table = new ConnectionTable(n);
        sndCap = cfg.sendBufferBytes;
        rcvCap = cfg.receiveBufferBytes;
        records = SentSegments.capacityFor(sndCap);
        large = cfg.largeBuffers > 0 ? cfg.largeBufferBytes : 0;
        largeRecords = large > 0 ? SentSegments.capacityFor(large) : 0;
        slab = new BufferSlab(n, sndCap + rcvCap + records * SentSegments.RECORD_BYTES, large > 0 ? cfg.largeBuffers : 0,
            large + largeRecords * SentSegments.RECORD_BYTES);
        log = new SentSegments(slab.buffer());
        timers = new Timers(tcbs, cfg.timerTickNs);
    }

    RstQueue rsts() {
        return rsts;
    }

    UnsafeBuffer slab() {
        return slab.buffer();
    }

    SentSegments log() {
        return log;
    }

    Timers timers() {
        return timers;
    }

    int freeCount() {
        return freeCount;
    }

    int inUse() {
        return tcbs.length - freeCount;
    }

    int freeChunks() {
        return slab.freeChunks();
    }

    int chunks() {
        return slab.chunks();
    }

    int freeLargeChunks() {
        return slab.freeLargeChunks();
    }

    int largeChunks() {
        return slab.largeChunks();
    }

    /** A free TCB for the four-tuple (the caller checked {@link #freeCount()}), in the table, with its buffers. */
    Tcb allocate(final int localIp, final int localPort, final int remoteIp, final int remotePort) {
        final Tcb t = tcbs[freeSlots[--freeCount]];
        c.tcbsInUse.setRelease(tcbs.length - freeCount);
        t.localIp = localIp;
        t.localPort = localPort;
        t.remoteIp = remoteIp;
        t.remotePort = remotePort;
        t.chunk = slab.allocate();
        t.sndBase = t.chunk;
        t.rcvBase = t.chunk + sndCap;
        t.segBase = t.chunk + sndCap + rcvCap;
        t.sndCap = sndCap;
        t.rcvCap = rcvCap;
        t.segCap = records;
        applyLimits(t);
        log.reset(t);
        table.put(localIp, localPort, remoteIp, remotePort, t.slot);
        return t;
    }

    /** The four-tuple's TCB slot, or -1. */
    int find(final int localIp, final int localPort, final int remoteIp, final int remotePort) {
        return table.get(localIp, localPort, remoteIp, remotePort);
    }

    /** A live TCB the app holds, or null for a stale or foreign handle. */
    Tcb lookup(final long handle) {
        final int s = (int) handle;
        if (s < 0 || s >= tcbs.length) {
            return null;
        }
        final Tcb t = tcbs[s];
        if (t.generation != (int) (handle >>> 32) || t.state == TcpState.CLOSED || !t.appAttached) {
            return null;
        }
        return t;
    }

    static boolean alive(final Tcb t, final long h) {
        return t.state != TcpState.CLOSED && t.handle() == h;
    }

    void setState(final Tcb t, final int s) {
        if (t.state != s) {
            c.stateChange(t.state, s);
            t.state = s;
        }
    }

    /** The handle dies (onClose once, if the app still holds it) and the TCB returns to the pool. */
    void close(final Tcb t, final int reason) {
        final boolean notify = t.appAttached;
        final TcpHandler handler = t.handler;
        final long h = t.handle();
        free(t);
        if (notify) {
            try {
                handler.onClose(h, reason);
            } catch (final Throwable e) {
                contained(e); // the connection is gone already: only counted
            }
        }
    }

    /**
     * An application handler threw (issue 10, containment): that one connection is aborted with a RST
     * (RFC 9293 §3.10.5) and counted; the core and every other connection carry on. Rethrows only a
     * VirtualMachineError (out of memory, stack overflow), which nothing here can contain.
     */
    void handlerFailed(final Tcb t, final long h, final Throwable e) {
        contained(e);
        if (alive(t, h)) {
            if (t.state != TcpState.SYN_SENT && t.state != TcpState.TIME_WAIT) {
                rsts.add(t);
            }
            close(t, CloseReason.LOCAL_ABORT);
        }
    }

    /** A handler threw where nothing is left to abort (onClose in TIME_WAIT): counted only. */
    void contained(final Throwable e) {
        if (e instanceof VirtualMachineError v) {
            throw v;
        }
        c.handlerErrors.incrementRelease();
    }

    private void free(final Tcb t) {
        timers.cancel(t);
        table.remove(t.localIp, t.localPort, t.remoteIp, t.remotePort);
        if (t.chunk >= 0) {
            slab.release(t.chunk);
        }
        if (t.sndLarge >= 0) {
            slab.releaseLarge(t.sndLarge);
        }
        if (t.rcvLarge >= 0) {
            slab.releaseLarge(t.rcvLarge);
        }
        if (t.sndLarge >= 0 || t.rcvLarge >= 0) {
            c.largeBuffersInUse.setRelease(slab.largeChunks() - slab.freeLargeChunks());
        }
        listeners.leaveBacklog(t);
        setState(t, TcpState.CLOSED);
        t.generation++;
        t.reset();
        freeSlots[freeCount++] = t.slot;
        c.tcbsInUse.setRelease(tcbs.length - freeCount);
    }

    /**
     * Buffer autotuning, send side (as Linux's tcp_sndbuf_expand): the send ring moves into a large chunk, its
     * bytes and transmit records copied, oldest first. @return false when autotuning is off or the budget is spent
     */
    boolean growSend(final Tcb t) {
        if (t.sndBufLimit != 0 && t.sndBufLimit <= t.sndCap) {
            return false; // capped by the app (as Linux's SOCK_SNDBUF_LOCK: a set SO_SNDBUF stops autotuning)
        }
        final int off = t.sndLarge < 0 ? borrowLarge() : -1;
        if (off < 0) {
            return false;
        }
        final UnsafeBuffer b = slab.buffer();
        Ring.get(b, t.sndBase, t.sndCap, t.sndHead, b, off, t.sndLen);
        t.sndLarge = off;
        t.sndBase = off;
        t.sndHead = 0;
        t.sndCap = large;
        applyLimits(t);
        log.moveTo(t, off + large, largeRecords);
        return true;
    }

    /**
     * Buffer autotuning, receive side (as Linux's receive-buffer autotuning): the receive ring, in-order and
     * out-of-order bytes alike, moves into a large chunk so the advertised window can open further.
     */
    boolean growReceive(final Tcb t) {
        if (t.rcvBufLimit != 0 && t.rcvBufLimit <= t.rcvCap) {
            return false; // capped by the app (as Linux's SOCK_RCVBUF_LOCK)
        }
        final int off = t.rcvLarge < 0 ? borrowLarge() : -1;
        if (off < 0) {
            return false;
        }
        final UnsafeBuffer b = slab.buffer();
        Ring.get(b, t.rcvBase, t.rcvCap, t.rcvHead, b, off, t.rcvCap);
        t.rcvLarge = off;
        t.rcvBase = off;
        t.rcvHead = 0;
        t.rcvCap = large;
        applyLimits(t);
        return true;
    }

    /** The bytes the rings offer: their capacity, or the app's smaller per-connection cap. */
    static void applyLimits(final Tcb t) {
        t.sndBufBytes = t.sndBufLimit == 0 ? t.sndCap : Math.min(t.sndBufLimit, t.sndCap);
        t.rcvBufBytes = t.rcvBufLimit == 0 ? t.rcvCap : Math.min(t.rcvBufLimit, t.rcvCap);
    }

    /** A large chunk from the per-core budget, counted; -1 when autotuning is off or the budget is spent. */
    private int borrowLarge() {
        if (large == 0) {
            return -1;
        }
        final int off = slab.allocateLarge();
        (off < 0 ? c.buffersBudgetSpent : c.buffersGrown).incrementRelease();
        c.largeBuffersInUse.setRelease(slab.largeChunks() - slab.freeLargeChunks());
        return off;
    }

    /** Remembers a TCB that entered TIME_WAIT, for {@link #reapTimeWait()}. */
    void timeWaitEntered(final Tcb t) {
        final int n = timeWaitSlots.length;
        if (timeWaitCount == n) { // full of entries, most of them stale: forget the oldest
            timeWaitHead = (timeWaitHead + 1) % n;
            timeWaitCount--;
        }
        final int tail = (timeWaitHead + timeWaitCount) % n;
        timeWaitSlots[tail] = t.slot;
        timeWaitGenerations[tail] = t.generation;
        timeWaitCount++;
    }

    /**
     * The pool is empty: end the oldest connection still in TIME_WAIT before its 2 MSL are up. Deviation, as
     * Linux (tcp_max_tw_buckets): TIME_WAIT is cut short and counted ({@code time_wait_recycled}) rather than
     * refusing new connections. Its app handle is already dead.
     */
    void reapTimeWait() {
        final int n = timeWaitSlots.length;
        while (timeWaitCount > 0) {
            final int slot = timeWaitSlots[timeWaitHead];
            final int generation = timeWaitGenerations[timeWaitHead];
            timeWaitHead = (timeWaitHead + 1) % n;
            timeWaitCount--;
            final Tcb t = tcbs[slot];
            if (t.state == TcpState.TIME_WAIT && t.generation == generation && !t.appAttached) {
                c.timeWaitRecycled.incrementRelease();
                close(t, CloseReason.NORMAL);
                return;
            }
        }
    }

    /** Makes room if it can; true when a slot is free. */
    boolean ensureFree() {
        if (freeCount == 0) {
            reapTimeWait();
        }
        return freeCount > 0;
    }
}
