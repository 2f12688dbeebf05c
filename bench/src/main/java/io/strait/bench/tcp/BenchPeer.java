package io.strait.bench.tcp;

import io.strait.tcp.SegmentSink;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.TcpHandler;
import io.strait.tcp.wire.Checksum;
import io.strait.tcp.wire.TcpHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Allocation-free helpers for the TCP benchmarks: a segment writer, a sink that remembers the last header. */
final class BenchPeer {
    static final int LOCAL_IP = 0xC6120002;
    static final int REMOTE_IP = 0xC6120001;

    private BenchPeer() {
    }

    static CountersManager counters() {
        return new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 18)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 16)));
    }

    /** Writes a 20-byte header (plus MSS option on SYN) and payload length; checksum computed when asked. */
    static int write(final UnsafeBuffer b, final int srcPort, final int dstPort, final int seq, final int ack,
        final int flags, final int payload, final boolean checksum) {
        final int hl = (flags & TcpHeader.SYN) != 0 ? 24 : 20;
        b.putShort(TcpHeader.SRC_PORT_OFFSET, (short) srcPort, ByteOrder.BIG_ENDIAN);
        b.putShort(TcpHeader.DST_PORT_OFFSET, (short) dstPort, ByteOrder.BIG_ENDIAN);
        b.putInt(TcpHeader.SEQ_OFFSET, seq, ByteOrder.BIG_ENDIAN);
        b.putInt(TcpHeader.ACK_OFFSET, ack, ByteOrder.BIG_ENDIAN);
        b.putByte(TcpHeader.DATA_OFFSET_OFFSET, (byte) ((hl / 4) << 4));
        b.putByte(TcpHeader.FLAGS_OFFSET, (byte) flags);
        b.putShort(TcpHeader.WINDOW_OFFSET, (short) 65535, ByteOrder.BIG_ENDIAN);
        b.putShort(TcpHeader.CHECKSUM_OFFSET, (short) 0);
        b.putShort(TcpHeader.URGENT_OFFSET, (short) 0);
        if (hl == 24) {
            b.putByte(20, (byte) TcpHeader.OPT_MSS);
            b.putByte(21, (byte) 4);
            b.putShort(22, (short) 1460, ByteOrder.BIG_ENDIAN);
        }
        final int length = hl + payload;
        if (checksum) {
            b.putShort(TcpHeader.CHECKSUM_OFFSET, (short) Checksum.tcp(REMOTE_IP, LOCAL_IP, b, 0, length),
                ByteOrder.BIG_ENDIAN);
        }
        return length;
    }

    /**
     * Passive open on port 80 from port 40000: SYN (ISS {@code peerIss}) in, SYN-ACK out, ACK in.
     *
     * @return the engine's ISS
     */
    static int establish(final TcpEngine engine, final Discard app, final UnsafeBuffer segment, final Sink sink,
        final int peerIss, final long nowNs) {
        engine.listen(80, app);
        int len = write(segment, 40000, 80, peerIss, 0, TcpHeader.SYN, 0, false);
        engine.onSegment(segment, 0, len, REMOTE_IP, LOCAL_IP, true, nowNs, sink);
        engine.poll(nowNs, sink);
        final int iss = sink.lastSeq;
        len = write(segment, 40000, 80, peerIss + 1, iss + 1, TcpHeader.ACK, 0, false);
        engine.onSegment(segment, 0, len, REMOTE_IP, LOCAL_IP, true, nowNs, sink);
        engine.poll(nowNs, sink);
        if (app.handle < 0) {
            throw new IllegalStateException("no connection");
        }
        return iss;
    }

    /** Keeps the last segment's seq, ack, flags; counts segments. */
    static final class Sink implements SegmentSink {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(65536));
        int lastSeq;
        int lastAck;
        int lastFlags;
        long segments;

        @Override
        public int claim(final int localIp, final int remoteIp, final int tcpLength) {
            return 64;
        }

        @Override
        public MutableDirectBuffer buffer() {
            return buffer;
        }

        @Override
        public void commit() {
            lastSeq = buffer.getInt(64 + TcpHeader.SEQ_OFFSET, ByteOrder.BIG_ENDIAN);
            lastAck = buffer.getInt(64 + TcpHeader.ACK_OFFSET, ByteOrder.BIG_ENDIAN);
            lastFlags = buffer.getByte(64 + TcpHeader.FLAGS_OFFSET);
            segments++;
        }
    }

    /** Consumes everything; remembers the handle. */
    static class Discard implements TcpHandler {
        long handle = -1;
        long bytes;

        @Override
        public void onOpen(final long h) {
            handle = h;
        }

        @Override
        public int onData(final long h, final DirectBuffer buffer, final int offset, final int length) {
            bytes += length;
            return length;
        }

        @Override
        public void onClose(final long h, final int reason) {
        }
    }
}
