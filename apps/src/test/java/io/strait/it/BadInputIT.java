package io.strait.it;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 2: every kind of bad start gives one clear line on stderr and a non-zero exit. */
class BadInputIT {
    private static final String STRAIT = Cmd.ROOT.resolve("setup/strait").toString();

    private static void assertOneClearLine(Cmd.Result r, String expected) {
        assertNotEquals(0, r.exit(), r.toString());
        final String err = r.err().strip();
        assertTrue(err.contains(expected), "stderr mentions '" + expected + "': " + r);
        final long strayLines = err.lines().filter(l -> !l.startsWith("EAL:") && !l.isBlank()).count();
        assertEquals(1, strayLines, "exactly one line on stderr: " + r);
    }

    @Test
    void notRoot() {
        // As user nobody, but able to read the checkout wherever it lies (a CI clone may sit in a 0700 directory):
        // the check under test is Strait's own, not the file system's.
        final Cmd.Result r = Cmd.run(120, Map.of(), List.of("setpriv", "--reuid=65534", "--regid=65534",
            "--clear-groups", "--inh-caps", "+dac_read_search", "--ambient-caps", "+dac_read_search", STRAIT, "serve",
            "--app", "echo"));
        assertOneClearLine(r, "must run as root");
    }

    @Test
    void noSuchInterface() {
        final Cmd.Result r = Cmd.strait(120, "serve", "--app", "echo", "--dev", "net_af_packet0,iface=nosuch0");
        assertOneClearLine(r, "no such network interface 'nosuch0'");
    }

    @Test
    void dpdkMissing() {
        final Cmd.Result r = Cmd.run(120, Map.of("STRAIT_DPDK_PC", "libdpdk-not-installed"),
            List.of(STRAIT, "serve", "--app", "echo"));
        assertOneClearLine(r, "DPDK is missing");
    }

    @Test
    void noJdk25() {
        final Cmd.Result r = Cmd.run(120, Map.of("JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64",
            "STRAIT_JVM_DIR", "/nonexistent"), List.of(STRAIT, "serve", "--app", "echo"));
        assertOneClearLine(r, "no JDK 25 found");
    }

    @Test
    void unknownOptionAndUnknownApp() {
        assertOneClearLine(Cmd.strait(120, "serve", "--app", "gopher"), "unknown --app 'gopher'");
        assertOneClearLine(Cmd.strait(120, "serve", "--app", "echo", "--frobnicate"), "unknown option");
        assertOneClearLine(Cmd.strait(120, "serve", "--app", "echo", "--ip", "300.1.2.3/24"), "not an IPv4 address");
    }

    @Test
    void addressAlreadyTakenByAnotherStraitProcess() {
        try (StraitServer first = StraitServer.start("--app", "echo")) {
            final Cmd.Result r = Cmd.strait(120, "serve", "--app", "discard");
            assertOneClearLine(r, "address 198.18.0.2 is already taken by another Strait process (pid "
                + first.pid() + ")");
            assertEquals(0, first.stop());
        }
    }
}
