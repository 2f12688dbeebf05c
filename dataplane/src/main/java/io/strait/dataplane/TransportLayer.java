package io.strait.dataplane;

import io.strait.tcp.SegmentSink;
import org.agrona.DirectBuffer;

/** What the IPv4 layer hands protocol 6 to: a core's TCP engine. Called on the core's thread only. */
public interface TransportLayer {
    /** One TCP segment of a received IPv4 packet; the memory is valid during the call only. */
    void onSegment(DirectBuffer buffer, int offset, int length, int srcIp, int dstIp, boolean checksumVerified,
                   long nowNs, SegmentSink out);

    /**
     * An ICMP destination unreachable (type 3) or time exceeded (type 11) quoting a TCP segment sent from our
     * address (RFC 792, RFC 1122 §4.2.3.9). The dataplane checked the message's lengths and checksum, that the
     * quoted packet is TCP and its source is ours; the rest (which connection, whether the sequence number is in
     * flight, what the MTU is worth) is the transport's to check: every value comes from the wire.
     *
     * @param mtu         for "fragmentation needed" (type 3 code 4) the next-hop MTU (RFC 1191 §4), or the RFC 1191
     *                    §5 plateau estimate when the router gave 0; 0 for every other message
     * @param quotedSrcIp our address as quoted (big-endian int)
     * @param quotedDstIp the quoted packet's destination, the peer
     * @param srcPort     the quoted source port (ours), 0..65535
     * @param dstPort     the quoted destination port (the peer's), 0..65535
     * @param quotedSeq   the quoted TCP sequence number
     */
    void onIcmpError(int type, int code, int mtu, int quotedSrcIp, int quotedDstIp, int srcPort, int dstPort,
                     int quotedSeq, long nowNs);

    /** Timers and pending output, once per poll cycle after the receive burst; returns work done. */
    int poll(long nowNs, SegmentSink out);
}
