package io.strait.bench.tcp;

import io.strait.tcp.EntropySource;
import io.strait.tcp.TcpConfig;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.wire.TcpHeader;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import static io.strait.bench.tcp.BenchPeer.*;

/**
 * One side of a TCP echo ping-pong, as the memif c1 benchmark runs it: a small data segment arrives carrying the ACK
 * of the previous answer, the application writes the bytes back from {@code onData}, and poll sends them as one
 * segment (the ACK piggybacked). The engine's whole share of a round trip on one side, without the port. Run with
 * {@code -prof gc}: gc.alloc.rate.norm should be ~0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class EchoPathBenchmark {
    @Param({"64"})
    int payload;

    TcpEngine engine;
    Sink sink;
    Echo app;
    UnsafeBuffer segment;
    int peerSeq;
    int length;
    long nowNs = 1_000_000_000L;

    @Setup
    public void setup() {
        engine = new TcpEngine(TcpConfig.builder().maxConnections(16).build(), EntropySource.seeded(1), counters(),
            "b.");
        sink = new Sink();
        app = new Echo();
        segment = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));
        peerSeq = 1001;
        final int iss = establish(engine, app, segment, sink, peerSeq - 1, nowNs);
        app.engine = engine;
        length = write(segment, 40000, 80, peerSeq, iss + 1, TcpHeader.ACK | TcpHeader.PSH, payload, false);
        sink.lastSeq = iss + 1 - payload; // the first ACK below acknowledges nothing new
    }

    @Benchmark
    public long segmentInEchoOut() {
        segment.putInt(TcpHeader.SEQ_OFFSET, peerSeq, ByteOrder.BIG_ENDIAN);
        segment.putInt(TcpHeader.ACK_OFFSET, sink.lastSeq + payload, ByteOrder.BIG_ENDIAN); // our last answer
        nowNs += 3_000;
        engine.onSegment(segment, 0, length, REMOTE_IP, LOCAL_IP, true, nowNs, sink);
        engine.poll(nowNs, sink);
        peerSeq += payload;
        if (sink.lastFlags != (TcpHeader.ACK | TcpHeader.PSH) && sink.lastFlags != TcpHeader.ACK) {
            throw new IllegalStateException("unexpected segment out: flags " + sink.lastFlags);
        }
        return sink.segments;
    }

    /** Writes back what arrives, from onData, as the echo app does. */
    static final class Echo extends Discard {
        TcpEngine engine;

        @Override
        public int onData(final long h, final DirectBuffer buffer, final int offset, final int length) {
            return engine == null ? length : engine.write(h, buffer, offset, length);
        }
    }
}
