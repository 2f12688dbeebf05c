package io.strait.apps.cli;

import io.strait.dataplane.CountersFile;
import org.agrona.concurrent.status.CountersReader;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code strait stat}: the live counters of running {@code serve} processes, read from their memory-mapped
 * counters files (as AeronStat reads Aeron's). Per-core counters {@code coreN.x} are also summed into {@code x}.
 */
final class StatCommand {
    static final String HELP = """
        usage: strait stat [--json] [--pid PID] [--watch SECONDS]
          Prints the counters of running Strait processes as 'name value' lines (--json: one JSON object per
          process): packets and bytes in and out, drops by reason, connections by state, retransmissions,
          SYN cookies, timer-wheel load, and the hiccup recorder (coreN.hiccup.*: the gap between duty cycles
          and each cycle's time, p50/p99/p99.9/max in ns, and counts of stalls, long cycles and long TX
          flushes; jvm.*: safepoints and GC). Per-core counters (coreN.name) are also summed as name (the
          hiccup percentiles as the worst core's). Then one '# hiccups' line per core and one '# JVM stops'
          line sum them up.
          --watch N repeats every N seconds until interrupted.
        """;

    private StatCommand() {
    }

    static int run(List<String> argv, PrintStream out, PrintStream err) {
        if (Main.wantsHelp(argv)) {
            out.print(HELP);
            return 0;
        }
        final Args a = new Args("stat", argv, Set.of("--pid", "--watch"), Set.of("--json"));
        final long pid = a.has("--pid") ? a.getInt("--pid", 0, 1, Integer.MAX_VALUE) : -1;
        final int watch = a.getInt("--watch", 0, 0, 3600);
        while (true) {
            final List<CountersFile.Live> live = new ArrayList<>();
            for (CountersFile.Live l : CountersFile.live()) {
                if (pid < 0 || l.pid() == pid) {
                    live.add(l);
                }
            }
            if (live.isEmpty()) {
                throw new IllegalStateException(pid < 0 ? "no running Strait process (start one with setup/strait "
                    + "serve)" : "no running Strait process with pid " + pid);
            }
            for (CountersFile.Live l : live) {
                print(l, a.has("--json"), live.size() > 1, out);
            }
            out.flush();
            if (watch == 0) {
                return 0;
            }
            try {
                Thread.sleep(watch * 1000L);
            } catch (InterruptedException e) {
                return 0;
            }
        }
    }

    /** name to value, totals of per-core counters first. */
    static Map<String, Long> snapshot(CountersReader reader) {
        final Map<String, Long> perCounter = new LinkedHashMap<>();
        final Map<String, Long> totals = new LinkedHashMap<>();
        reader.forEach((id, typeId, key, label) -> {
            final long value = reader.getCounterValue(id);
            perCounter.put(label, value);
            if (label.startsWith("core")) {
                final int dot = label.indexOf('.');
                if (dot > 0) {
                    // Percentiles and maxima do not add up across cores: their "total" is the worst core's.
                    totals.merge(label.substring(dot + 1), value,
                        label.contains(".hiccup.") && !label.contains("_over_") ? Long::max : Long::sum);
                }
            }
        });
        final Map<String, Long> all = new LinkedHashMap<>(totals);
        all.putAll(perCounter);
        return all;
    }

    private static void print(CountersFile.Live l, boolean json, boolean header, PrintStream out) {
        final Map<String, Long> values = snapshot(l.reader());
        if (json) {
            final StringBuilder sb = new StringBuilder("{\"pid\":").append(l.pid()).append(",\"counters\":{");
            boolean first = true;
            for (Map.Entry<String, Long> e : values.entrySet()) {
                sb.append(first ? "" : ",").append('"').append(e.getKey()).append("\":").append(e.getValue());
                first = false;
            }
            out.println(sb.append("}}"));
            return;
        }
        if (header) {
            out.println("# pid " + l.pid());
        }
        for (Map.Entry<String, Long> e : values.entrySet()) {
            out.println(e.getKey() + " " + e.getValue());
        }
        hiccups(values, out);
    }

    /**
     * The hiccup recorder in one line per core: the gap between duty cycles and each working cycle's time (p50,
     * p99, p99.9, max), what it attributes (stalls between cycles, long cycles, long TX flushes) and the JVM's stops.
     */
    static void hiccups(Map<String, Long> values, PrintStream out) {
        for (int core = 0; values.containsKey("core" + core + ".hiccup.gap_max_ns"); core++) {
            final String p = "core" + core + ".hiccup.";
            out.println("# hiccups core" + core + ": gap between cycles p50 " + us(values.get(p + "gap_p50_ns"))
                + " p99 " + us(values.get(p + "gap_p99_ns")) + " p99.9 " + us(values.get(p + "gap_p999_ns"))
                + " max " + us(values.get(p + "gap_max_ns")) + "; working cycle p50 "
                + us(values.get(p + "cycle_p50_ns")) + " p99 " + us(values.get(p + "cycle_p99_ns")) + " p99.9 "
                + us(values.get(p + "cycle_p999_ns"))
                + " max " + us(values.get(p + "cycle_max_ns")) + "; stalls > 1 ms between cycles (preemption, "
                + "safepoint, GC, app tasks) " + values.get(p + "stalls_over_1ms") + ", cycles > 1 ms (a long "
                + "handler or timer burst) " + values.get(p + "long_cycles_over_1ms") + ", TX flushes > 100 us "
                + values.get(p + "long_tx_over_100us"));
        }
        if (values.containsKey("jvm.gc_collections")) {
            out.println("# JVM stops: " + values.get("jvm.safepoints") + " safepoints, "
                + values.get("jvm.safepoint_ms") + " ms held; " + values.get("jvm.gc_collections") + " GCs, "
                + values.get("jvm.gc_ms") + " ms");
        }
    }

    private static String us(Long ns) {
        return ns == null ? "n/a" : String.format("%.1f us", ns / 1000.0);
    }
}
