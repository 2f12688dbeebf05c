import io.strait.dataplane.*;
import io.strait.dataplane.sim.FramePipe;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import java.nio.ByteBuffer;

/** NetAgent.doWork in a loop over an in-memory port (no DPDK), no traffic, 20 s after 5 s: its hiccup counters. */
public class Bisect {
    public static void main(String[] a) throws Exception {
        CountersManager m = new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 20)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 16)));
        FramePipe pipe = new FramePipe(4096, 0x020000000002L, 0x020000000001L);
        DataplaneCounters c = new DataplaneCounters(m, 0);
        NetAgent agent = new NetAgent("bisect", pipe.a, org.agrona.concurrent.SystemNanoClock.INSTANCE, c,
            0xC6120002, 24, 0, 1024);
        agent.onStart();
        long warm = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < warm) { agent.doWork(); Thread.onSpinWait(); }
        long[] before = read(m);
        long end = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < end) { agent.doWork(); Thread.onSpinWait(); }
        long[] after = read(m);
        System.out.printf("NetAgent over FramePipe, idle, 20 s: stalls>1ms %d, cycles>1ms %d, tx>100us %d%n",
            after[0] - before[0], after[1] - before[1], after[2] - before[2]);
    }

    static long[] read(CountersManager m) {
        long[] r = new long[3];
        m.forEach((id, label) -> {
            if (label.endsWith("hiccup.stalls_over_1ms")) r[0] = m.getCounterValue(id);
            if (label.endsWith("hiccup.long_cycles_over_1ms")) r[1] = m.getCounterValue(id);
            if (label.endsWith("hiccup.long_tx_over_100us")) r[2] = m.getCounterValue(id);
        });
        return r;
    }
}
