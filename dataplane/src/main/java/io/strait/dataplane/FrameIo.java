package io.strait.dataplane;

/**
 * One queue pair of a port, as the poll loop sees it: bursts of frames in, bursts out, packet buffers from a pool.
 * Buffers are named by an opaque {@code long} (an mbuf pointer for DPDK) and reached through their data address.
 *
 * <p>Arrays are the caller's and reused every cycle, so no call allocates. Called only on the owning core's thread.
 */
public interface FrameIo {
    /** Frames per receive burst (STYLE: bursts of 32). */
    int BURST = 32;

    /**
     * Receives up to {@code max} frames. For frame i: {@code bufs[i]} the buffer, {@code addrs[i]} the address of
     * its first byte, {@code lens[i]} its length (0 when unusable, e.g. a chained mbuf: drop it),
     * {@code flags[i]} checksum verdicts ({@link #RX_IP_CKSUM_GOOD} ...).
     *
     * @return frames received
     */
    int receive(long[] bufs, long[] addrs, int[] lens, int[] flags, int max);

    /**
     * Sends the first {@code count} buffers; {@code addrs[i]} is the address of frame i's first byte,
     * {@code lens[i]} its length in the low 16 bits and {@code TX_*} offload bits above.
     * @return how many the port took (in order from the first); the rest still belong to the caller.
     */
    int transmit(long[] bufs, long[] addrs, int[] lens, int count);

    /** Allocates {@code count} buffers (all or none); returns false when the pool is empty. */
    boolean allocate(long[] bufs, long[] addrs, int count);

    /** Returns {@code count} buffers to their pool. */
    void free(long[] bufs, int count);

    /** Bytes of frame a buffer holds. */
    int frameRoom();

    /** The port's MAC address in the low 48 bits. */
    long mac();

    /** Offloads enabled on this port ({@code CAP_*}). */
    int caps();

    /** Releases what the port holds besides buffers (files of a capture, for instance); on the core's thread. */
    default void close() {
    }

    int RX_IP_CKSUM_GOOD = 0x1;
    int RX_IP_CKSUM_BAD = 0x2;
    int RX_L4_CKSUM_GOOD = 0x4;
    int RX_L4_CKSUM_BAD = 0x8;

    int TX_IP_CKSUM = 1 << 16;
    int TX_TCP_CKSUM = 1 << 17;

    int CAP_RX_IP_CKSUM = 0x1;
    int CAP_RX_TCP_CKSUM = 0x2;
    int CAP_TX_IP_CKSUM = 0x4;
    int CAP_TX_TCP_CKSUM = 0x8;
    int CAP_RSS = 0x10;
    /**
     * memif only: each burst holds the driver's control lock, so a peer leaving cannot unmap the rings under a burst
     * (DPDK 22.11's teardown race; see strait_shim.c). Clear on a memif port when the driver's layout was not
     * recognised: that port runs unguarded.
     */
    int CAP_MEMIF_GUARD = 0x20;
}
