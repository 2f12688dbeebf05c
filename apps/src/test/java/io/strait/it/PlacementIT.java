package io.strait.it;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, placement: poll threads stay inside the process's affinity mask, every other JVM thread leaves the poll
 * CPU when the mask has room, and two Strait processes never spin on one CPU. Needs the two CPUs of this machine.
 */
class PlacementIT {
    /** Thread name to its Cpus_allowed_list, for every thread of {@code pid}. */
    static Map<String, String> threadCpus(long pid) throws IOException {
        final Map<String, String> out = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : tasks.toList()) {
                try {
                    final String name = Files.readString(t.resolve("comm")).strip();
                    final String cpus = Files.readAllLines(t.resolve("status")).stream()
                        .filter(l -> l.startsWith("Cpus_allowed_list:")).findFirst().orElse("?:?").split(":")[1]
                        .strip();
                    out.merge(name + "#" + t.getFileName(), cpus, (a, b) -> a);
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return out;
    }

    @Test
    void underTasksetThePollThreadStaysInsideTheMaskAndTheJvmLeavesItsCpu() throws IOException {
        try (StraitServer s = StraitServer.startWith(List.of("taskset", "-c", "0,1"), "--app", "echo")) {
            assertTrue(s.readyLine().contains("poll_cpus 1 other_threads_cpus 0"), s.readyLine());
            final Map<String, String> cpus = threadCpus(s.pid());
            int poll = 0;
            for (Map.Entry<String, String> e : cpus.entrySet()) {
                if (e.getKey().startsWith("strait-core0#")) {
                    assertEquals("1", e.getValue(), "poll thread: " + cpus);
                    poll++;
                } else {
                    assertEquals("0", e.getValue(), e.getKey() + " runs off the poll CPU: " + cpus);
                }
            }
            assertEquals(1, poll, cpus.toString());
            assertEquals("hi\n", Cmd.peer(20, "sh", "-c", "printf 'hi\\n' | nc -q 2 198.18.0.2 7").out());
        }
        try (StraitServer s = StraitServer.startWith(List.of("taskset", "-c", "1"), "--app", "echo")) {
            assertTrue(s.readyLine().contains("poll_cpus 1 "), "the poll thread never leaves the mask: "
                + s.readyLine());
            for (Map.Entry<String, String> e : threadCpus(s.pid()).entrySet()) {
                assertEquals("1", e.getValue(), e.getKey());
            }
        }
    }

    @Test
    void twoProcessesNeverSpinOnOneCpu() {
        try (StraitServer first = StraitServer.start("--app", "echo")) {
            assertTrue(first.readyLine().contains("poll_cpus 1 "), first.readyLine());
            try (StraitServer second = StraitServer.start("--app", "echo", "--dev",
                    "net_af_packet1,iface=strait2", "--ip", "198.18.1.2/24")) {
                assertTrue(second.readyLine().contains("poll_cpus 0 "), "the next free CPU: " + second.readyLine());
                final Cmd.Result third = Cmd.strait(120, "serve", "--app", "echo", "--dev",
                    "net_af_packet2,iface=strait0", "--ip", "198.19.250.2/24", "--cpus", "1");
                assertTrue(third.exit() != 0, third.toString());
                assertTrue(third.err().contains("CPU 1 already runs a poll thread of another Strait process (pid "
                    + first.pid() + ")"), third.toString());
                assertEquals(1, third.err().strip().lines().count(), "one clear line: " + third.err());
            }
        }
    }
}
