package io.strait.dataplane;

import io.strait.tcp.SegmentSink;
import io.strait.tcp.TcpEngine;
import org.agrona.DirectBuffer;

/** A core's {@link TcpEngine} as the IPv4 layer's protocol 6. */
public final class TcpTransport implements TransportLayer {
    private final TcpEngine engine;

    public TcpTransport(TcpEngine engine) {
        this.engine = engine;
    }

    public TcpEngine engine() {
        return engine;
    }

    @Override
    public void onSegment(DirectBuffer buffer, int offset, int length, int srcIp, int dstIp, boolean checksumVerified,
                          long nowNs, SegmentSink out) {
        engine.onSegment(buffer, offset, length, srcIp, dstIp, checksumVerified, nowNs, out);
    }

    @Override
    public int poll(long nowNs, SegmentSink out) {
        return engine.poll(nowNs, out);
    }
}
