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
    public void onIcmpError(int type, int code, int mtu, int quotedSrcIp, int quotedDstIp, int srcPort, int dstPort,
                            int quotedSeq, long nowNs) {
        engine.onIcmpError(type, code, mtu, quotedSrcIp, quotedDstIp, srcPort, dstPort, quotedSeq, nowNs);
    }

    @Override
    public int poll(long nowNs, SegmentSink out) {
        return engine.poll(nowNs, out);
    }
}
