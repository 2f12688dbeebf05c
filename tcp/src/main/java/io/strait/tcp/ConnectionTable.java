package io.strait.tcp;

/**
 * Per-core connection table: open addressing with linear probing, keyed by the four-tuple packed in two primitive
 * longs, values are TCB slots. No boxing, no allocation per lookup or insert after construction; deletion by
 * backward shift (Knuth 6.4 Algorithm R) so no tombstones accumulate. Not thread-safe.
 */
public final class ConnectionTable {
    private final long[] keyAddrs;
    private final int[] keyPorts;
    /** slot + 1; 0 marks an empty bucket. */
    private final int[] values;
    private final int mask;
    private int size;

    /** @param maxEntries the most entries ever held; the table is sized to a load factor of at most 0.5 */
    public ConnectionTable(final int maxEntries) {
        int cap = 16;
        while (cap < maxEntries * 2) {
            cap <<= 1;
        }
        keyAddrs = new long[cap];
        keyPorts = new int[cap];
        values = new int[cap];
        mask = cap - 1;
    }

    public static long addrKey(final int localIp, final int remoteIp) {
        return ((long) localIp << 32) | (remoteIp & 0xFFFF_FFFFL);
    }

    public static int portKey(final int localPort, final int remotePort) {
        return (localPort << 16) | (remotePort & 0xFFFF);
    }

    private int bucket(final long addrs, final int ports) {
        long h = addrs * 0x9E3779B97F4A7C15L ^ (ports * 0xC2B2AE3D27D4EB4FL);
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        return (int) h & mask;
    }

    /** @return the slot, or -1 when absent */
    public int get(final int localIp, final int localPort, final int remoteIp, final int remotePort) {
        final long a = addrKey(localIp, remoteIp);
        final int p = portKey(localPort, remotePort);
        int i = bucket(a, p);
        int v;
        while ((v = values[i]) != 0) {
            if (keyAddrs[i] == a && keyPorts[i] == p) {
                return v - 1;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Inserts or replaces. */
    public void put(final int localIp, final int localPort, final int remoteIp, final int remotePort,
        final int slot) {
        final long a = addrKey(localIp, remoteIp);
        final int p = portKey(localPort, remotePort);
        int i = bucket(a, p);
        while (values[i] != 0) {
            if (keyAddrs[i] == a && keyPorts[i] == p) {
                values[i] = slot + 1;
                return;
            }
            i = (i + 1) & mask;
        }
        keyAddrs[i] = a;
        keyPorts[i] = p;
        values[i] = slot + 1;
        size++;
    }

    /** @return the removed slot or -1 */
    public int remove(final int localIp, final int localPort, final int remoteIp, final int remotePort) {
        final long a = addrKey(localIp, remoteIp);
        final int p = portKey(localPort, remotePort);
        int i = bucket(a, p);
        int v;
        while ((v = values[i]) != 0) {
            if (keyAddrs[i] == a && keyPorts[i] == p) {
                values[i] = 0;
                size--;
                shiftBack(i);
                return v - 1;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    private void shiftBack(int hole) {
        int i = (hole + 1) & mask;
        while (values[i] != 0) {
            final int home = bucket(keyAddrs[i], keyPorts[i]);
            // Move entry i into the hole if its home bucket is not in the cyclic range (hole, i].
            if (((i - home) & mask) >= ((i - hole) & mask)) {
                keyAddrs[hole] = keyAddrs[i];
                keyPorts[hole] = keyPorts[i];
                values[hole] = values[i];
                values[i] = 0;
                hole = i;
            }
            i = (i + 1) & mask;
        }
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return mask + 1;
    }
}
