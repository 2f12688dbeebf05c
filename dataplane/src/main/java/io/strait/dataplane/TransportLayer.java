package io.strait.dataplane;

import io.strait.tcp.SegmentSink;
import org.agrona.DirectBuffer;

/** What the IPv4 layer hands protocol 6 to: a core's TCP engine. Called on the core's thread only. */
public interface TransportLayer {
    /** One TCP segment of a received IPv4 packet; the memory is valid during the call only. */
    void onSegment(DirectBuffer buffer, int offset, int length, int srcIp, int dstIp, boolean checksumVerified,
                   long nowNs, SegmentSink out);

    /** Timers and pending output, once per poll cycle after the receive burst; returns work done. */
    int poll(long nowNs, SegmentSink out);
}
