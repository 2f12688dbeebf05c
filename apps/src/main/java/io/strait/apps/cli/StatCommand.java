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
          SYN cookies, timer-wheel load. Per-core counters (coreN.name) are also summed as name.
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
                    totals.merge(label.substring(dot + 1), value, Long::sum);
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
    }
}
