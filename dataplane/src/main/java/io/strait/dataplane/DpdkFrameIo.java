package io.strait.dataplane;

import io.strait.bindings.FastPath;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A DPDK queue pair through the shim's burst calls. The native arrays the shim fills are allocated once; copying
 * a burst's 32 descriptors between them and the caller's Java arrays is cheaper than any per-call allocation.
 */
public final class DpdkFrameIo implements FrameIo {
    /** Most frames one {@link #transmit} call takes. */
    public static final int MAX_TX = 1024;
    private static final int PKT_DESC = 16; // struct strait_pkt: u64 addr, u32 len, u32 flags

    private final int port;
    private final int queue;
    private final long pool;
    private final int frameRoom;
    private final long mac;
    private final int caps;
    private final UnsafeBuffer rxBufs = native8(BURST);
    private final UnsafeBuffer rxPkts = nativeBytes(BURST * PKT_DESC);
    private final UnsafeBuffer txBufs = native8(MAX_TX);
    private final UnsafeBuffer txLens = nativeBytes(MAX_TX * 4);
    private final UnsafeBuffer poolBufs = native8(MAX_TX);
    private final UnsafeBuffer poolAddrs = native8(MAX_TX);

    public DpdkFrameIo(int port, int queue, long pool, int frameRoom, long mac, int caps) {
        this.port = port;
        this.queue = queue;
        this.pool = pool;
        this.frameRoom = frameRoom;
        this.mac = mac;
        this.caps = caps;
    }

    private static UnsafeBuffer native8(int n) {
        return nativeBytes(n * 8);
    }

    private static UnsafeBuffer nativeBytes(int bytes) {
        return new UnsafeBuffer(BufferUtil.allocateDirectAligned(bytes, 64));
    }

    @Override
    public int receive(long[] bufs, long[] addrs, int[] lens, int[] flags, int max) {
        final int n = FastPath.rxBurst(port, queue, rxBufs.addressOffset(), rxPkts.addressOffset(),
            Math.min(max, BURST));
        for (int i = 0; i < n; i++) {
            bufs[i] = rxBufs.getLong(i * 8);
            final int d = i * PKT_DESC;
            addrs[i] = rxPkts.getLong(d);
            lens[i] = rxPkts.getInt(d + 8);
            flags[i] = rxPkts.getInt(d + 12);
        }
        return n;
    }

    @Override
    public int transmit(long[] bufs, long[] addrs, int[] lens, int count) {
        final int n = Math.min(count, MAX_TX);
        for (int i = 0; i < n; i++) {
            txBufs.putLong(i * 8, bufs[i]);
            txLens.putInt(i * 4, lens[i]);
        }
        return FastPath.txBurst(port, queue, txBufs.addressOffset(), txLens.addressOffset(), n);
    }

    @Override
    public boolean allocate(long[] bufs, long[] addrs, int count) {
        final int n = Math.min(count, MAX_TX);
        if (!FastPath.allocBulk(pool, poolBufs.addressOffset(), poolAddrs.addressOffset(), n)) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            bufs[i] = poolBufs.getLong(i * 8);
            addrs[i] = poolAddrs.getLong(i * 8);
        }
        return true;
    }

    @Override
    public void free(long[] bufs, int count) {
        int done = 0;
        while (done < count) {
            final int n = Math.min(count - done, MAX_TX);
            for (int i = 0; i < n; i++) {
                poolBufs.putLong(i * 8, bufs[done + i]);
            }
            FastPath.freeBulk(poolBufs.addressOffset(), n);
            done += n;
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
