package io.strait.tcp;

import org.agrona.MutableDirectBuffer;

/**
 * Where a {@link TcpEngine} writes the segments it sends. The dataplane implements it over mbufs (the engine
 * writes straight into packet memory, leaving room for the Ethernet and IPv4 headers in front); the simulated
 * wire implements it over plain buffers.
 *
 * <p>Protocol: {@link #claim} a region, write the TCP header, options and payload at the returned offset of
 * {@link #buffer()} (checksum included), then {@link #commit()}. At most one claim is open at a time. Called only
 * on the engine's own thread.
 */
public interface SegmentSink {
    /**
     * Claims room for one TCP segment.
     *
     * @param localIp   source IPv4 address (big-endian int)
     * @param remoteIp  destination IPv4 address (big-endian int)
     * @param tcpLength bytes of TCP header, options and payload
     * @return the offset in {@link #buffer()} at which to write the TCP header, or -1 when there is no room
     *     now (no buffer, TX full); the engine counts it and tries again on a later poll
     */
    int claim(int localIp, int remoteIp, int tcpLength);

    /** The buffer of the current claim; valid until {@link #commit()}. */
    MutableDirectBuffer buffer();

    /** Sends the claimed segment. */
    void commit();
}
