package io.strait.tcp;

import io.strait.tcp.wire.Checksum;
import io.strait.tcp.wire.TcpHeader;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;

import static io.strait.tcp.Harness.*;
import static org.junit.jupiter.api.Assertions.*;

/** Hot-path rule: no allocation per segment (established echo: data in, zero-copy onData, write, data+ACK out). */
class AllocationTest {
    @Test
    @DisplayName("No allocation per segment on the established path (echo: segment in -> onData -> write -> segment out)")
    void establishedEchoAllocatesNothing() {
        final Harness h = new Harness(Harness.base().sendBufferBytes(256 * 1024).receiveBufferBytes(256 * 1024)
            .build());
        final Echo echo = new Echo();
        echo.engine = h.engine;
        h.engine.listen(SERVER_PORT, echo);
        final io.strait.tcp.sim.CapturedSegment synAck = one(h.send(h.seg().flags(TcpHeader.SYN).ack(0).mss(1000)));
        h.peerSeq = PEER_ISS + 1;
        h.peerAck = synAck.seq() + 1;
        h.send(h.seg());
        assertEquals(1, h.engine.connectionCount());
        h.seg().flags(TcpHeader.ACK | TcpHeader.PSH).payload(bytes(1000, 7)).build(REMOTE_IP, LOCAL_IP);
        final UnsafeBuffer segment = new UnsafeBuffer(new byte[h.builder.length()]);
        segment.putBytes(0, h.builder.buffer(), 0, h.builder.length());
        final Sink sink = new Sink();
        sink.maxEnd = h.peerAck;
        final int length = segment.capacity();
        final long[] state = {h.peerSeq, h.now()};
        final Runnable iteration = () -> {
            final int seq = (int) state[0];
            segment.putInt(TcpHeader.SEQ_OFFSET, seq, ByteOrder.BIG_ENDIAN);
            segment.putInt(TcpHeader.ACK_OFFSET, sink.maxEnd, ByteOrder.BIG_ENDIAN);
            segment.putShort(TcpHeader.CHECKSUM_OFFSET, (short) 0);
            segment.putShort(TcpHeader.CHECKSUM_OFFSET, (short) Checksum.tcp(REMOTE_IP, LOCAL_IP, segment, 0, length),
                ByteOrder.BIG_ENDIAN);
            state[1] += 10_000;
            h.engine.onSegment(segment, 0, length, REMOTE_IP, LOCAL_IP, false, state[1], sink);
            h.engine.poll(state[1], sink);
            state[0] = seq + 1000;
        };
        for (int i = 0; i < 50_000; i++) {
            iteration.run();
        }
        final com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            iteration.run();
        }
        final long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 4096, "allocated " + allocated + " bytes over 100k segments");
        assertEquals(150_000L * 1000, echo.bytes);
        assertTrue(sink.segments >= 150_000);
        assertEquals(1, h.engine.connectionCount());
        h.handle = echo.handle;
        h.finishAndCheckLeaks();
    }

    static final class Echo implements TcpHandler {
        TcpEngine engine;
        long bytes;
        long handle = -1;

        @Override
        public void onOpen(final long handle) {
            this.handle = handle;
        }

        @Override
        public int onData(final long handle, final DirectBuffer buffer, final int offset, final int length) {
            final int n = engine.write(handle, buffer, offset, length);
            bytes += n;
            return n;
        }

        @Override
        public void onClose(final long handle, final int reason) {
        }
    }

    static final class Sink implements SegmentSink {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[65536]);
        int length;
        int maxEnd;
        long segments;

        @Override
        public int claim(final int localIp, final int remoteIp, final int tcpLength) {
            length = tcpLength;
            return 64;
        }

        @Override
        public MutableDirectBuffer buffer() {
            return buffer;
        }

        @Override
        public void commit() {
            final int seq = buffer.getInt(64 + TcpHeader.SEQ_OFFSET, ByteOrder.BIG_ENDIAN);
            final int hl = ((buffer.getByte(64 + TcpHeader.DATA_OFFSET_OFFSET) & 0xF0) >>> 4) * 4;
            final int end = seq + length - hl;
            if (end - maxEnd > 0) {
                maxEnd = end;
            }
            segments++;
        }
    }
}
