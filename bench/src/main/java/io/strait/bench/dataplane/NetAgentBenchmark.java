package io.strait.bench.dataplane;

import io.strait.dataplane.DataplaneCounters;
import io.strait.dataplane.NetAgent;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One poll cycle of a core over an in-memory port: a burst of 32 ICMP echo requests in, each parsed (Ethernet,
 * IPv4 with checksum, ICMP with checksum), answered in place and queued, one TX flush. Per packet, with
 * {@code -prof gc} for the allocation rate. No DPDK: the cost of Strait's own code.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-exports",
    "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class NetAgentBenchmark {
    NetAgent agent;
    ReplayFrameIo io;
    long nowNs = 1;

    @Setup
    public void setup() {
        io = new ReplayFrameIo(Frames.echoRequest(Frames.OUR_MAC, Frames.OUR_IP, 56), Frames.OUR_MAC);
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(512 * 128, 64)),
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(128 * 128, 64)), StandardCharsets.US_ASCII);
        agent = new NetAgent("bench", io, () -> nowNs, new DataplaneCounters(counters, 0), Frames.OUR_IP, 24, 0, 64);
        agent.onStart();
        agent.doWork();
    }

    @Benchmark
    @OperationsPerInvocation(32)
    public int echoBurst() {
        nowNs += 1000;
        return agent.doWork();
    }
}
