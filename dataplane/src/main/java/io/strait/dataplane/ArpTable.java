package io.strait.dataplane;

/**
 * The ARP cache of one core (RFC 826, with the timers of RFC 1122 §2.3.2.1): IPv4 address to MAC, open addressing
 * with linear probing and backward-shift deletion, preallocated primitive arrays only.
 *
 * <p>An entry is INCOMPLETE while a request is outstanding; up to {@code maxPendingPerEntry} frames wait in it
 * (RFC 1122 §2.3.2.2: "SHOULD save at least one (the latest) packet"), more are dropped and counted. A RESOLVED
 * entry older than {@code reachableNs} is still used but triggers a fresh request (as Linux's STALE state); one
 * older than twice that is forgotten.
 */
final class ArpTable {
    static final int EMPTY = 0;
    static final int INCOMPLETE = 1;
    static final int RESOLVED = 2;

    private final int mask;
    private final int[] ips;
    private final long[] macs;
    private final byte[] states;
    private final long[] confirmedNs;
    private final long[] requestedNs;
    private final int[] requests;
    private final int maxPending;
    private final long[] pendingBufs;
    private final long[] pendingAddrs;
    private final int[] pendingLens;
    private final int[] pendingCounts;
    private int size;

    ArpTable(int capacity, int maxPendingPerEntry) {
        final int cap = Integer.highestOneBit(Math.max(16, capacity - 1) << 1);
        mask = cap - 1;
        ips = new int[cap];
        macs = new long[cap];
        states = new byte[cap];
        confirmedNs = new long[cap];
        requestedNs = new long[cap];
        requests = new int[cap];
        maxPending = maxPendingPerEntry;
        pendingBufs = new long[cap * maxPendingPerEntry];
        pendingAddrs = new long[cap * maxPendingPerEntry];
        pendingLens = new int[cap * maxPendingPerEntry];
        pendingCounts = new int[cap];
    }

    int capacity() {
        return mask + 1;
    }

    int size() {
        return size;
    }

    private static int hash(int ip) {
        final int h = ip * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    /** Slot of {@code ip}, or -1. */
    int find(int ip) {
        int i = hash(ip) & mask;
        while (states[i] != EMPTY) {
            if (ips[i] == ip) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Slot of {@code ip}, created INCOMPLETE if absent; -1 when the table is full (3/4 load). */
    int findOrCreate(int ip) {
        int i = hash(ip) & mask;
        while (states[i] != EMPTY) {
            if (ips[i] == ip) {
                return i;
            }
            i = (i + 1) & mask;
        }
        if (size >= (mask + 1) * 3 / 4) {
            return -1;
        }
        ips[i] = ip;
        states[i] = INCOMPLETE;
        macs[i] = 0;
        confirmedNs[i] = 0;
        requestedNs[i] = Long.MIN_VALUE;
        requests[i] = 0;
        pendingCounts[i] = 0;
        size++;
        return i;
    }

    int state(int slot) {
        return states[slot];
    }

    int ip(int slot) {
        return ips[slot];
    }

    long mac(int slot) {
        return macs[slot];
    }

    long confirmedNs(int slot) {
        return confirmedNs[slot];
    }

    long requestedNs(int slot) {
        return requestedNs[slot];
    }

    int requests(int slot) {
        return requests[slot];
    }

    void markRequested(int slot, long nowNs) {
        requestedNs[slot] = nowNs;
        requests[slot]++;
    }

    /** Records a MAC for the slot (RFC 826 merge); the caller then drains the slot's pending frames. */
    void resolve(int slot, long mac, long nowNs) {
        macs[slot] = mac;
        states[slot] = RESOLVED;
        confirmedNs[slot] = nowNs;
        requests[slot] = 0;
        requestedNs[slot] = Long.MIN_VALUE;
    }

    /** Holds a frame until the slot resolves; false when its queue is full. */
    boolean hold(int slot, long buf, long addr, int len) {
        final int n = pendingCounts[slot];
        if (n >= maxPending) {
            return false;
        }
        pendingBufs[slot * maxPending + n] = buf;
        pendingAddrs[slot * maxPending + n] = addr;
        pendingLens[slot * maxPending + n] = len;
        pendingCounts[slot] = n + 1;
        return true;
    }

    int pendingCount(int slot) {
        return pendingCounts[slot];
    }

    long pendingBuf(int slot, int i) {
        return pendingBufs[slot * maxPending + i];
    }

    long pendingAddr(int slot, int i) {
        return pendingAddrs[slot * maxPending + i];
    }

    int pendingLen(int slot, int i) {
        return pendingLens[slot * maxPending + i];
    }

    void clearPending(int slot) {
        pendingCounts[slot] = 0;
    }

    /** Removes a slot; the caller must have released its pending frames. Backward-shift keeps probe chains whole. */
    void remove(int slot) {
        int hole = slot;
        int i = (slot + 1) & mask;
        while (states[i] != EMPTY) {
            final int home = hash(ips[i]) & mask;
            // move i into the hole if its home is not cyclically within (hole, i]
            final boolean movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (movable) {
                copy(i, hole);
                hole = i;
            }
            i = (i + 1) & mask;
        }
        states[hole] = EMPTY;
        pendingCounts[hole] = 0;
        size--;
    }

    private void copy(int from, int to) {
        ips[to] = ips[from];
        macs[to] = macs[from];
        states[to] = states[from];
        confirmedNs[to] = confirmedNs[from];
        requestedNs[to] = requestedNs[from];
        requests[to] = requests[from];
        final int n = pendingCounts[from];
        System.arraycopy(pendingBufs, from * maxPending, pendingBufs, to * maxPending, n);
        System.arraycopy(pendingLens, from * maxPending, pendingLens, to * maxPending, n);
        System.arraycopy(pendingAddrs, from * maxPending, pendingAddrs, to * maxPending, n);
        pendingCounts[to] = n;
    }
}
