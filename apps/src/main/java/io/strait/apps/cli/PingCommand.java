package io.strait.apps.cli;

import io.strait.dataplane.CountersFile;
import io.strait.dataplane.Dataplane;
import io.strait.dataplane.DataplaneConfig;
import io.strait.dataplane.NetAgent;
import io.strait.dataplane.wire.Ipv4;
import org.agrona.concurrent.AgentInvoker;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** {@code strait ping}: ICMP echo from Strait's own stack, the loop driven on this thread (invoker mode). */
final class PingCommand {
    static final String HELP = """
        usage: strait ping --target A.B.C.D [--count N] [--warmup N] [--interval MS] [--size BYTES] [--timeout MS]
                           [--linger MS] [--dev DEVARGS] [--ip A.B.C.D/LEN] [--gw A.B.C.D] [--eal "EXTRA EAL ARGS"]
          Sends N echo requests (default 10, every 200 ms, 56 payload bytes) and prints each reply's round trip,
          then the loss and the round-trip percentiles. --interval 0 is ping-pong: each request goes out as soon
          as the previous one is answered, from the reply's own duty cycle (or after 10 ms without an answer), and
          replies are not printed one by one (a console write per reply would be most of the round trip), for
          latency measurements; --warmup N sends N requests first that count in no figure (a fresh JVM's
          first thousands of round trips run in the interpreter).
          Meanwhile it answers ARP and pings like serve; --linger keeps it answering that long after its own
          pings are done (so two Strait processes can ping each other). Exits 0 when every request was
          answered, 1 otherwise.
          Defaults: --dev net_af_packet0,iface=strait0 --ip 198.18.0.2/24
        """;

    private static final long PING_PONG_WAIT_NS = 10_000_000L;

    private PingCommand() {
    }

    private static int pct(int n, double p) {
        return Math.min(n - 1, (int) (n * p / 100));
    }

    static int run(List<String> argv, PrintStream out, PrintStream err) {
        if (Main.wantsHelp(argv)) {
            out.print(HELP);
            return 0;
        }
        final Args a = new Args("ping", argv, Set.of("--target", "--count", "--warmup", "--interval", "--size",
            "--timeout", "--linger", "--dev", "--ip", "--gw", "--eal"), Set.of());
        if (!a.has("--target")) {
            throw new Args.UsageException("ping: --target A.B.C.D is required");
        }
        final int target = Ipv4.parse(a.get("--target", ""));
        final int measured = a.getInt("--count", 10, 1, 1_000_000);
        final int warmup = a.getInt("--warmup", 0, 0, 1_000_000);
        final int count = warmup + measured; // requests sent; the figures are over the last `measured`
        final int intervalMs = a.getInt("--interval", 200, 0, 60_000);
        final int size = a.getInt("--size", 56, 0, 1472);
        final int timeoutMs = a.getInt("--timeout", 2000, 1, 600_000);
        final int lingerMs = a.getInt("--linger", 0, 0, 600_000);
        Main.requireRoot("ping");
        final DataplaneConfig config = new DataplaneConfig().dev(a.get("--dev", DataplaneConfig.DEFAULT_DEV))
            .ip(a.get("--ip", "198.18.0.2/24")).gateway(a.get("--gw", "")).ealExtra(a.get("--eal", ""))
            .memoryMb(256).mbufsPerQueue(2047);
        final long[] sentNs = new long[count];
        final int[] received = new int[1];
        final boolean[] seen = new boolean[count];
        final long[] rttNs = new long[count];
        final int id = (int) (ProcessHandle.current().pid() & 0xFFFF);
        try (CountersFile counters = CountersFile.create(256);
             Dataplane dp = Dataplane.open(config, counters, null)) {
            final NetAgent agent = dp.agent(0);
            final boolean pingPong = intervalMs == 0;
            final int[] sentCount = new int[1];
            agent.icmpListener((src, replyId, seq16, len, nowNs) -> {
                // The wire's sequence number has 16 bits: the request it answers is the latest sent one with those
                // low bits (fewer than 65,536 requests are ever outstanding).
                final int last = sentCount[0] - 1;
                final int seq = last - ((last - seq16) & 0xFFFF);
                if (replyId == id && src == target && seq >= 0 && seq < count && !seen[seq]) {
                    seen[seq] = true;
                    rttNs[seq] = nowNs - sentNs[seq];
                    received[0]++;
                    if (!pingPong) {
                        out.printf("%d bytes from %s: icmp_seq=%d time=%.1f us%n", len + 8, Ipv4.toString(src), seq,
                            (nowNs - sentNs[seq]) / 1000.0);
                    } else if (seq == sentCount[0] - 1 && sentCount[0] < count) {
                        // The next request leaves in this cycle's TX burst, timed from now (the reply was timed
                        // from the cycle's start, as every reply is).
                        final int next = sentCount[0];
                        sentNs[next] = System.nanoTime();
                        if (agent.sendEchoRequest(target, id, next, size)) {
                            sentCount[0] = next + 1;
                        }
                    }
                }
            });
            final AgentInvoker invoker = dp.invoker(0);
            // Wait for the link (a memif link is down until its peer connects), polling meanwhile.
            final long linkDeadlineNs = System.nanoTime() + timeoutMs * 1_000_000L;
            while (!dp.linkUp() && System.nanoTime() - linkDeadlineNs < 0) {
                invoker.invoke();
            }
            if (!dp.linkUp()) {
                throw new IllegalStateException("the link of " + config.dev() + " stayed down for " + timeoutMs
                    + " ms");
            }
            long nextNs = System.nanoTime();
            long deadlineNs = Long.MAX_VALUE;
            while (received[0] < count) {
                invoker.invoke();
                final long now = System.nanoTime();
                final int sent = sentCount[0];
                // Ping-pong: the first request, one the reply callback could not send, and one after 10 ms without
                // an answer; the others leave from the reply callback above.
                final boolean ready = !pingPong || sent == 0 || seen[sent - 1]
                    || now - sentNs[sent - 1] > PING_PONG_WAIT_NS;
                if (sent < count && ready && now - nextNs >= 0) {
                    sentNs[sent] = now;
                    if (agent.sendEchoRequest(target, id, sent, size)) {
                        sentCount[0] = sent + 1;
                        nextNs = now + intervalMs * 1_000_000L;
                    }
                }
                if (sentCount[0] == count && deadlineNs == Long.MAX_VALUE) {
                    deadlineNs = now + timeoutMs * 1_000_000L;
                }
                if (now - deadlineNs > 0) {
                    break;
                }
                if (intervalMs > 0) {
                    Thread.onSpinWait();
                }
            }
            final long lingerUntilNs = System.nanoTime() + lingerMs * 1_000_000L;
            while (System.nanoTime() - lingerUntilNs < 0) {
                invoker.invoke();
            }
            // The figures: the measured requests only (those after --warmup).
            final int sentMeasured = Math.max(0, sentCount[0] - warmup);
            int receivedMeasured = 0;
            for (int i = warmup; i < count; i++) {
                receivedMeasured += seen[i] ? 1 : 0;
            }
            out.printf("--- %s ping statistics --- %d transmitted, %d received, %d%% loss%n", Ipv4.toString(target),
                sentMeasured, receivedMeasured,
                sentMeasured == 0 ? 100 : (sentMeasured - receivedMeasured) * 100 / sentMeasured);
            if (receivedMeasured > 0) {
                final double[] rtt = new double[receivedMeasured];
                int n = 0;
                for (int i = warmup; i < count; i++) {
                    if (seen[i]) {
                        rtt[n++] = rttNs[i] / 1000.0;
                    }
                }
                java.util.Arrays.sort(rtt, 0, n);
                out.printf(java.util.Locale.ROOT, "rtt us min %.1f p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f%n",
                    rtt[0], rtt[pct(n, 50)], rtt[pct(n, 90)], rtt[pct(n, 99)], rtt[pct(n, 99.9)], rtt[n - 1]);
            }
            return received[0] == count ? 0 : 1; // every request answered, warm-up included
        }
    }
}
