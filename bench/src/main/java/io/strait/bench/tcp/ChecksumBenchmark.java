package io.strait.bench.tcp;

import io.strait.tcp.wire.Checksum;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.*;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.strait.bench.tcp.BenchPeer.LOCAL_IP;
import static io.strait.bench.tcp.BenchPeer.REMOTE_IP;

/**
 * The Internet checksum (RFC 1071), {@code io.strait.tcp.wire.Checksum}: the one implementation behind the
 * dataplane's IPv4 header and ICMP checksums and the TCP engine's segment checksum. Over off-heap memory (an
 * UnsafeBuffer on a 64-byte-aligned direct buffer, as a NIC's mbuf data), for 20 B (an IPv4 header, or a bare TCP
 * header), 64 B and 1460 B (a full segment's payload).
 * <ul>
 *   <li>{@code compute}: {@code Checksum.compute}, what {@code NetAgent} does for every IPv4 header it sends
 *       without TX offload (and for ICMP);</li>
 *   <li>{@code verifyTcp}: {@code Checksum.verifyTcp}, pseudo-header plus the segment, what {@code TcpEngine}
 *       does for each segment the NIC did not verify ({@code Checksum.tcp} on output is the same sum).</li>
 * </ul>
 * Throughput in GB/s is {@code bytes / score} (bytes per ns); bench/jmh-report.py adds it as a column.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class ChecksumBenchmark {
    @Param({"20", "64", "1460"})
    int bytes;

    UnsafeBuffer memory;

    @Setup
    public void setup() {
        memory = new UnsafeBuffer(BufferUtil.allocateDirectAligned(2048, 64));
        final SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < memory.capacity(); i++) {
            memory.putByte(i, (byte) random.nextInt(256));
        }
    }

    @Benchmark
    public int compute() {
        return Checksum.compute(memory, 0, bytes);
    }

    @Benchmark
    public boolean verifyTcp() {
        return Checksum.verifyTcp(REMOTE_IP, LOCAL_IP, memory, 0, bytes);
    }
}
