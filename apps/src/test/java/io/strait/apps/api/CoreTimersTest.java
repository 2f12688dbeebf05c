package io.strait.apps.api;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** App timers on a core: run once at or after their deadline, cancellable, errors contained, polls allocation-free. */
class CoreTimersTest {
    private static final long MS = 1_000_000L;

    @Test
    void aTimerRunsOnceAfterItsDeadlineAndACancelledOneNever() {
        final List<RuntimeException> errors = new ArrayList<>();
        final CoreTimers t = new CoreTimers(errors::add);
        final int[] ran = new int[3];
        long now = 5_000 * MS;
        t.schedule(now + 10 * MS, now, () -> ran[0]++);
        final long id = t.schedule(now + 10 * MS, now, () -> ran[1]++);
        t.schedule(now + 20 * MS, now, () -> {
            ran[2]++;
            throw new IllegalStateException("app bug");
        });
        assertTrue(t.cancel(id));
        assertFalse(t.cancel(id), "cancelled twice");
        for (; now < 5_009 * MS; now += MS / 4) {
            t.poll(now);
        }
        assertEquals(0, ran[0], "early");
        for (; now < 5_040 * MS; now += MS / 4) {
            t.poll(now);
        }
        assertEquals(1, ran[0]);
        assertEquals(0, ran[1]);
        assertEquals(1, ran[2]);
        assertEquals(1, errors.size(), "the timer's exception went to the sink");
        assertEquals(0, t.size());
    }

    @Test
    void pollingWithTimersPendingAllocatesNothing() {
        final CoreTimers t = new CoreTimers(e -> { });
        long now = 1_000 * MS;
        for (int i = 0; i < 100; i++) {
            t.schedule(now + 3_600_000 * MS, now, () -> { }); // an hour away: pending throughout
        }
        for (int i = 0; i < 50_000; i++) {
            t.poll(now += 1_000); // warm-up
        }
        final com.sun.management.ThreadMXBean mx =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 200_000; i++) {
            t.poll(now += 1_000);
        }
        final long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 4096, "allocated " + allocated + " bytes over 200k polls");
        assertEquals(100, t.size());
    }
}
