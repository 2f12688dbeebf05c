package io.strait.bench.tcp;

import io.strait.tcp.EntropySource;
import io.strait.tcp.TcpConfig;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.wire.TcpHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import static io.strait.bench.tcp.BenchPeer.*;

/**
 * The established fast path: one in-order data segment in (header prediction, zero-copy onData), then poll
 * (an ACK goes out for every second full segment, RFC 5681 §4.2). Checksum offloaded (checksumVerified), as on a
 * NIC. Run with {@code -prof gc}: gc.alloc.rate.norm should be ~0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class EstablishedPathBenchmark {
    @Param({"1448", "64"})
    int payload;

    TcpEngine engine;
    Sink sink;
    Discard app;
    UnsafeBuffer segment;
    int peerSeq;
    int length;
    long nowNs = 1_000_000_000L;

    @Setup
    public void setup() {
        engine = new TcpEngine(TcpConfig.builder().maxConnections(16).timestamps(false).sack(false).build(),
            EntropySource.seeded(1), counters(), "b.");
        sink = new Sink();
        app = new Discard();
        segment = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));
        peerSeq = 1001;
        final int iss = establish(engine, app, segment, sink, peerSeq - 1, nowNs);
        length = write(segment, 40000, 80, peerSeq, iss + 1, TcpHeader.ACK | TcpHeader.PSH, payload, false);
    }

    @Benchmark
    public long dataSegmentInAckOut() {
        segment.putInt(TcpHeader.SEQ_OFFSET, peerSeq, ByteOrder.BIG_ENDIAN);
        nowNs += 1000;
        engine.onSegment(segment, 0, length, REMOTE_IP, LOCAL_IP, true, nowNs, sink);
        engine.poll(nowNs, sink);
        peerSeq += payload;
        return sink.segments;
    }
}
