package io.strait.dataplane;

import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exhaustion conditions: one line per condition at most every 10 s, with the growth since the last line. */
class PressureLogTest {
    private final CountersManager m = new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 16)),
        new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 14)));
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    private PressureLog pressure() {
        return new PressureLog(m, new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    private String[] lines() {
        final String s = log.toString(StandardCharsets.UTF_8);
        return s.isEmpty() ? new String[0] : s.split("\n");
    }

    @Test
    void aConditionIsSaidOncePerIntervalWithWhatGrewAcrossCores() {
        final AtomicCounter core0 = m.newCounter("core0.tcp.drop_no_tcb_slot");
        final AtomicCounter core1 = m.newCounter("core1.tcp.drop_no_tcb_slot");
        core0.set(5); // before the log started: not reported
        final PressureLog p = pressure();
        p.sample(0);
        assertEquals(0, lines().length);

        core0.increment();
        core1.getAndAdd(2);
        p.sample(1000);
        assertEquals(1, lines().length, String.join("\n", lines()));
        assertTrue(lines()[0].startsWith("strait: TCB pool full"), lines()[0]);
        assertTrue(lines()[0].contains(": 3 (tcp.drop_no_tcb_slot now 8); raise --max-connections"), lines()[0]);

        for (long t = 2000; t < 11_000; t += 1000) { // growing every second, but quiet for 10 s
            core1.increment();
            p.sample(t);
        }
        assertEquals(1, lines().length, "rate-limited: " + String.join("\n", lines()));
        p.sample(11_000);
        assertEquals(2, lines().length);
        assertTrue(lines()[1].contains(": 9 (tcp.drop_no_tcb_slot now 17)"), "all growth since the last line: "
            + lines()[1]);

        p.sample(30_000); // nothing grew: nothing said
        assertEquals(2, lines().length);
    }

    @Test
    void conditionsAreIndependentAndUnwatchedCountersAreIgnored() {
        final AtomicCounter mbufs = m.newCounter("core0.drop.mbuf_exhausted");
        final AtomicCounter missed = m.newCounter("port.rx_missed");
        final AtomicCounter other = m.newCounter("core0.tcp.segments_in");
        final AtomicCounter lookalike = m.newCounter("corex.drop.mbuf_exhausted");
        final PressureLog p = pressure();
        other.getAndAdd(1000);
        lookalike.getAndAdd(7);
        p.sample(0);
        assertEquals(0, lines().length, String.join("\n", lines()));
        mbufs.getAndAdd(4);
        missed.getAndAdd(10);
        p.sample(1000);
        assertEquals(2, lines().length, String.join("\n", lines()));
        assertTrue(lines()[0].contains("mbuf pool empty: frames dropped: 4"), lines()[0]);
        assertTrue(lines()[1].contains("port RX ring overrun"), lines()[1]);
    }

    @Test
    void countersRegisteredAfterStartAreWatched() {
        final PressureLog p = pressure(); // the engines register their counters after the gauges start
        final AtomicCounter cookies = m.newCounter("core0.tcp.syn_cookies_sent");
        p.sample(0);
        assertEquals(0, lines().length);
        cookies.getAndAdd(100);
        p.sample(1000);
        assertEquals(1, lines().length);
        assertTrue(lines()[0].contains("possible SYN flood"), lines()[0]);
    }

    @Test
    void labelsMatchOnlyTheSuffixItselfOrACoreOfIt() {
        assertTrue(PressureLog.matches("port.rx_missed", "port.rx_missed"));
        assertTrue(PressureLog.matches("core12.tcp.drop_backlog_full", "tcp.drop_backlog_full"));
        assertFalse(PressureLog.matches("core.tcp.drop_backlog_full", "tcp.drop_backlog_full"));
        assertFalse(PressureLog.matches("core1x.tcp.drop_backlog_full", "tcp.drop_backlog_full"));
        assertFalse(PressureLog.matches("core1.xtcp.drop_backlog_full", "tcp.drop_backlog_full"));
        assertFalse(PressureLog.matches("core1.tcp.drop_backlog_full_total", "tcp.drop_backlog_full"));
    }
}
