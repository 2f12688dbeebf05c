package io.strait.bench.tcp;

import io.strait.tcp.EntropySource;
import io.strait.tcp.TcpConfig;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.wire.TcpHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.*;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

import static io.strait.bench.tcp.BenchPeer.*;

/**
 * A full passive handshake (SYN in, SYN-ACK out, ACK in, onOpen) plus an abort (RST out) that returns the TCB,
 * its buffers and its timer to the pools. Should show ~0 B/op with {@code -prof gc}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class HandshakeBenchmark {
    TcpEngine engine;
    Sink sink;
    Discard app;
    UnsafeBuffer segment;
    int port = 1024;
    long nowNs = 1_000_000_000L;

    @Setup
    public void setup() {
        engine = new TcpEngine(TcpConfig.builder().maxConnections(64).sendBufferBytes(16 * 1024)
            .receiveBufferBytes(16 * 1024).build(), EntropySource.seeded(1), counters(), "b.");
        sink = new Sink();
        app = new Discard();
        segment = new UnsafeBuffer(ByteBuffer.allocateDirect(2048));
        engine.listen(80, app);
    }

    @Benchmark
    public long handshakeAndAbort() {
        port = port == 65535 ? 1024 : port + 1;
        nowNs += 1000;
        int len = write(segment, port, 80, 5000, 0, TcpHeader.SYN, 0, true);
        engine.onSegment(segment, 0, len, REMOTE_IP, LOCAL_IP, false, nowNs, sink);
        engine.poll(nowNs, sink);
        len = write(segment, port, 80, 5001, sink.lastSeq + 1, TcpHeader.ACK, 0, true);
        engine.onSegment(segment, 0, len, REMOTE_IP, LOCAL_IP, false, nowNs, sink);
        engine.abort(app.handle);
        engine.poll(nowNs, sink);
        return sink.segments;
    }
}
