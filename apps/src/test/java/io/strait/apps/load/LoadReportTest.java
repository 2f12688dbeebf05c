package io.strait.apps.load;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When {@code strait load} gives up with "connection refused by A:P" instead of counting refusals as errors. */
class LoadReportTest {
    @Test
    @DisplayName("Refused outright: every connection's first attempt refused and none ever accepted")
    void refusedOutright() {
        assertFalse(LoadReport.refusedOutright(0, 0, 16), "nothing answered yet");
        assertFalse(LoadReport.refusedOutright(15, 0, 16), "not every connection has tried yet");
        assertTrue(LoadReport.refusedOutright(16, 0, 16));
        assertTrue(LoadReport.refusedOutright(600_000, 0, 16));
        assertTrue(LoadReport.refusedOutright(1, 0, 1));
        assertFalse(LoadReport.refusedOutright(600_000, 1, 16), "one accepted: a server is there, refusals are errors");
        assertFalse(LoadReport.refusedOutright(0, 0, 0));
        assertTrue(LoadReport.refusedOutright(1, 0, 0), "at least one refusal, whatever the count");
    }

    @Test
    @DisplayName("Summed over the cores' generators, read live")
    void summedOverGenerators() {
        final LoadGenerator[] g = new LoadGenerator[3];
        for (int i = 0; i < 2; i++) {
            g[i] = new LoadGenerator(null, LoadGenerator.ECHO, 1, 7, 8, 0, 64, "198.18.0.1:7", 64);
        }
        g[0].refused.set(8);
        assertFalse(LoadReport.refusedOutright(g, 16), "core 1's connections have not all tried");
        g[1].refused.set(8);
        assertTrue(LoadReport.refusedOutright(g, 16));
        g[1].opened.set(1);
        assertFalse(LoadReport.refusedOutright(g, 16), "core 1 reached a listener");
    }
}
