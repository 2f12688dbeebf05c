package io.strait.bench.dataplane;

import io.strait.dataplane.CountersFile;
import io.strait.dataplane.Dataplane;
import io.strait.dataplane.DataplaneConfig;
import io.strait.dataplane.DpdkFrameIo;
import io.strait.dataplane.FrameIo;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The same cycle over a real DPDK port: {@code net_ring0}, a vdev whose TX ring is its RX ring. Per op the
 * benchmark puts 32 echo requests for Strait onto the port (bulk mbuf alloc, one tx burst), then runs the core's
 * cycle: rx burst of the 32 requests, parse, replies written in place, one tx burst; the replies loop back and the
 * next cycle receives them and drops them (addressed to the peer's MAC: counted drops), freeing the mbufs in bulk.
 * So each packet here is: alloc + tx (injection), rx + parse + reply + tx, rx + drop + free. Needs root and DPDK.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-exports",
    "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class NetAgentRingBenchmark {
    static final int BURST = 32;
    CountersFile counters;
    Dataplane dp;
    AgentInvoker invoker;
    FrameIo injector;
    byte[] request;
    final long[] bufs = new long[BURST];
    final long[] addrs = new long[BURST];
    final int[] lens = new int[BURST];
    final UnsafeBuffer frame = new UnsafeBuffer(0, 0);

    @Setup(Level.Trial)
    public void setup() {
        counters = CountersFile.create(512);
        dp = Dataplane.open(new DataplaneConfig().dev("net_ring0").ip("198.18.3.2/24").memoryMb(256)
            .mbufsPerQueue(4095), counters, null);
        invoker = dp.invoker(0);
        injector = new DpdkFrameIo(dp.portId(), 0, dp.pool(0), 2048, dp.mac(), 0);
        request = Frames.echoRequest(dp.mac(), 0xC612_0302, 56);
        for (int i = 0; i < 100; i++) {
            invoker.invoke(); // gratuitous ARP out and back
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        dp.close();
        counters.close();
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int ringEchoBurst() {
        if (injector.allocate(bufs, addrs, BURST)) {
            for (int i = 0; i < BURST; i++) {
                frame.wrap(addrs[i], request.length);
                frame.putBytes(0, request);
                lens[i] = request.length;
            }
            final int sent = injector.transmit(bufs, addrs, lens, BURST);
            if (sent < BURST) {
                for (int i = sent; i < BURST; i++) {
                    bufs[i - sent] = bufs[i];
                }
                injector.free(bufs, BURST - sent);
            }
        }
        return invoker.invoke() + invoker.invoke();
    }
}
