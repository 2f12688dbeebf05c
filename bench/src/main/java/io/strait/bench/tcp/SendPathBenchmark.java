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
 * The sender's path: the application writes one full segment, poll sends it (transmit record appended), and the
 * peer's ACK for it comes in (record dropped, RACK and RTT updated, congestion control run). SACK and timestamps
 * on, as with a Linux peer. Run with {@code -prof gc}: gc.alloc.rate.norm should be ~0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class SendPathBenchmark {
    @Param({"newreno", "bbr"})
    String cc;

    TcpEngine engine;
    Sink sink;
    Discard app;
    UnsafeBuffer segment;
    UnsafeBuffer data;
    int peerSeq;
    int ackLength;
    long nowNs = 1_000_000_000L;

    @Setup
    public void setup() {
        engine = new TcpEngine(TcpConfig.builder().maxConnections(16).timestamps(false)
            .congestionControl(cc.equals("bbr") ? TcpConfig.CC_BBR : TcpConfig.CC_NEWRENO).build(),
            EntropySource.seeded(1), counters(), "b.");
        sink = new Sink();
        app = new Discard();
        segment = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));
        data = new UnsafeBuffer(ByteBuffer.allocateDirect(1448));
        peerSeq = 1001;
        final int iss = establish(engine, app, segment, sink, peerSeq - 1, nowNs);
        ackLength = write(segment, 40000, 80, peerSeq, iss + 1, TcpHeader.ACK, 0, false);
    }

    @Benchmark
    public long writeSendAckIn() {
        nowNs += 20_000;
        engine.write(app.handle, data, 0, 1448);
        engine.poll(nowNs, sink);
        final int acked = sink.lastSeq + 1448;
        segment.putInt(TcpHeader.ACK_OFFSET, acked, ByteOrder.BIG_ENDIAN);
        nowNs += 30_000;
        engine.onSegment(segment, 0, ackLength, REMOTE_IP, LOCAL_IP, true, nowNs, sink);
        engine.poll(nowNs, sink);
        return sink.segments;
    }
}
