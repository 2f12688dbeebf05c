package io.strait.tcp.wire;

import org.agrona.DirectBuffer;

/**
 * The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum.
 *
 * <p>Used for the IPv4 header, ICMP and TCP (with the pseudo-header of RFC 9293 §3.1). All methods are static,
 * allocation-free and safe to call from any thread. Sums are carried in a {@code long} and folded once at the end,
 * reading eight bytes at a time where possible.
 */
public final class Checksum {
    private Checksum() {
    }

    /**
     * Adds {@code length} bytes at {@code offset} to a running (unfolded) sum, as big-endian 16-bit words.
     * An odd trailing byte is padded with zero on the right (RFC 1071 §4.1).
     *
     * @return the new running sum; fold it with {@link #fold(long)}
     */
    public static long add(long sum, DirectBuffer buffer, int offset, int length) {
        int i = 0;
        // Eight bytes at a time: the one's complement sum is byte-order independent when computed over
        // 16-bit words, so we may add big-endian 32-bit halves and fold later.
        final int end8 = length - 7;
        for (; i < end8; i += 8) {
            final long v = buffer.getLong(offset + i, java.nio.ByteOrder.BIG_ENDIAN);
            sum += (v >>> 32) + (v & 0xFFFF_FFFFL);
        }
        for (; i < length - 1; i += 2) {
            sum += buffer.getShort(offset + i, java.nio.ByteOrder.BIG_ENDIAN) & 0xFFFF;
        }
        if (i < length) {
            sum += (buffer.getByte(offset + i) & 0xFF) << 8;
        }
        return sum;
    }

    /** Folds a running sum to 16 bits (end-around carry). */
    public static int fold(long sum) {
        sum = (sum & 0xFFFF_FFFFL) + (sum >>> 32);
        sum = (sum & 0xFFFF_FFFFL) + (sum >>> 32);
        int s = (int) ((sum & 0xFFFF) + ((sum >>> 16) & 0xFFFF));
        s = (s & 0xFFFF) + (s >>> 16);
        s = (s & 0xFFFF) + (s >>> 16);
        return s;
    }

    /** The checksum to write into a header whose checksum field was zero while summing. */
    public static int compute(DirectBuffer buffer, int offset, int length) {
        return ~fold(add(0, buffer, offset, length)) & 0xFFFF;
    }

    /** True when the region, checksum field included, sums to all ones (RFC 1071 §1: verification). */
    public static boolean verify(DirectBuffer buffer, int offset, int length) {
        return fold(add(0, buffer, offset, length)) == 0xFFFF;
    }

    /**
     * The IPv4 pseudo-header sum for TCP or UDP (RFC 9293 §3.1): source, destination, zero, protocol, length.
     *
     * @param srcIp    source address, as a big-endian int (198.18.0.1 is {@code 0xC6120001})
     * @param dstIp    destination address, likewise
     * @param protocol IP protocol number (6 for TCP)
     * @param length   length of the TCP header and data in bytes
     */
    public static long pseudoHeader(int srcIp, int dstIp, int protocol, int length) {
        return (srcIp >>> 16) + (srcIp & 0xFFFF) + (dstIp >>> 16) + (dstIp & 0xFFFF) + protocol + length;
    }

    /**
     * What goes in a TCP segment's checksum field when the port completes the checksum (TX L4 checksum offload,
     * DPDK's RTE_MBUF_F_TX_TCP_CKSUM; virtio's NEEDS_CSUM): the folded pseudo-header sum, not complemented. The
     * port sums the segment from the TCP header on, this field included, and writes the complement.
     */
    public static int tcpPseudoHeaderPartial(int srcIp, int dstIp, int length) {
        return fold(pseudoHeader(srcIp, dstIp, 6, length)) & 0xFFFF;
    }

    /** Checksum of a TCP segment over the IPv4 pseudo-header; the segment's checksum field must be zero. */
    public static int tcp(int srcIp, int dstIp, DirectBuffer buffer, int offset, int length) {
        return ~fold(add(pseudoHeader(srcIp, dstIp, 6, length), buffer, offset, length)) & 0xFFFF;
    }

    /** True when a received TCP segment's checksum, field included, verifies over the pseudo-header. */
    public static boolean verifyTcp(int srcIp, int dstIp, DirectBuffer buffer, int offset, int length) {
        return fold(add(pseudoHeader(srcIp, dstIp, 6, length), buffer, offset, length)) == 0xFFFF;
    }
}
