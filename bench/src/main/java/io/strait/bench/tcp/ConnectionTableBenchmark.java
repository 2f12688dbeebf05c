package io.strait.bench.tcp;

import io.strait.tcp.ConnectionTable;
import org.openjdk.jmh.annotations.*;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/** Four-tuple lookup in the open-addressing table holding 1M connections (primitive keys, no boxing). */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class ConnectionTableBenchmark {
    static final int N = 1 << 20;
    ConnectionTable table;
    int[] remoteIps;
    int[] remotePorts;
    int i;

    @Setup
    public void setup() {
        table = new ConnectionTable(N);
        remoteIps = new int[N];
        remotePorts = new int[N];
        final SplittableRandom r = new SplittableRandom(7);
        for (int k = 0; k < N; k++) {
            remoteIps[k] = 0x0A000000 | r.nextInt(1 << 20);
            remotePorts[k] = 1024 + r.nextInt(64000);
            table.put(0xC6120002, 80, remoteIps[k], remotePorts[k], k);
        }
        // Shuffle the probe order so lookups miss the cache as a real burst would.
        for (int k = N - 1; k > 0; k--) {
            final int j = r.nextInt(k + 1);
            final int a = remoteIps[k];
            remoteIps[k] = remoteIps[j];
            remoteIps[j] = a;
            final int p = remotePorts[k];
            remotePorts[k] = remotePorts[j];
            remotePorts[j] = p;
        }
    }

    @Benchmark
    public int lookupHit() {
        i = (i + 1) & (N - 1);
        return table.get(0xC6120002, 80, remoteIps[i], remotePorts[i]);
    }

    @Benchmark
    public int lookupMiss() {
        i = (i + 1) & (N - 1);
        return table.get(0xC6120002, 81, remoteIps[i], remotePorts[i]);
    }
}
