package io.strait.dataplane;

import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hiccup recorder: gaps and cycle times with a hand-driven clock, published once a second. */
class CycleRecorderTest {
    private final DataplaneCounters c = new DataplaneCounters(new CountersManager(
        new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 20)), new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 18))), 0);

    @Test
    void gapsAndCyclesArePublishedEverySecondWithTheirCauses() {
        final CycleRecorder r = new CycleRecorder(c);
        long t = 1_000_000_000L;
        for (int i = 0; i < 10_000; i++) { // 10k quiet cycles: 1 us of work, 100 ns apart
            r.cycle(t, 200, t + 1_000);
            t += 1_100;
        }
        r.cycle(t + 5_000_000, 0, t + 5_001_000); // the thread stopped 5 ms before this cycle: a stall
        t += 5_001_100;
        r.cycle(t, 300_000, t + 2_000_000); // a 2 ms cycle whose TX flush took 300 us
        t += 2_000_100;
        assertEquals(0, c.gapMax.get(), "nothing published before a second passed");
        r.cycle(t + 1_000_000_000L, 0, t + 1_000_000_100L); // a second later (itself a stall)
        assertEquals(2, c.stalls.get());
        assertEquals(1, c.longCycles.get());
        assertEquals(1, c.longTx.get());
        assertTrue(c.gapP50.get() >= 99 && c.gapP50.get() <= 101, "p50 gap " + c.gapP50.get());
        assertTrue(c.gapMax.get() >= 990_000_000L, "max gap " + c.gapMax.get());
        assertTrue(c.cycleMax.get() >= 1_990_000 && c.cycleMax.get() <= 2_010_000, "max cycle " + c.cycleMax.get());
        assertTrue(c.cycleP99.get() >= 990 && c.cycleP99.get() <= 1_010, "p99 cycle " + c.cycleP99.get());
    }

    @Test
    void aClockThatGoesBackOrJumpsFarIsClampedNotThrown() {
        final CycleRecorder r = new CycleRecorder(c);
        r.cycle(10_000, 0, 20_000);
        r.cycle(5_000, 0, 6_000); // backwards
        r.cycle(Long.MAX_VALUE / 2, 0, Long.MAX_VALUE / 2 + 10); // ~146 years later
        r.publish();
        assertEquals(CycleRecorder.MAX_NS, c.gapMax.get(), 0.01 * CycleRecorder.MAX_NS);
    }

    @Test
    void idleCyclesCountInTheGapsButNotInTheCycleTimes() {
        final CycleRecorder r = new CycleRecorder(c);
        long t = 1_000_000_000L;
        for (int i = 0; i < 1_000; i++) { // a work cycle of 2 us, then nine idle ones 50 ns apart
            r.cycle(t, 500, t + 2_000);
            t += 2_050;
            for (int k = 0; k < 9; k++) {
                r.idle(t);
                t += 50;
            }
        }
        r.idle(t + 3_000_000); // stopped 3 ms before an idle cycle: still a stall
        r.publish();
        assertEquals(1, c.stalls.get());
        assertTrue(c.cycleP50.get() >= 1_990 && c.cycleP50.get() <= 2_010, "cycles: only the work ones "
            + c.cycleP50.get());
        assertTrue(c.gapP50.get() >= 49 && c.gapP50.get() <= 51, "p50 gap " + c.gapP50.get());
        assertTrue(c.gapMax.get() >= 2_990_000, "max gap " + c.gapMax.get());
    }

    @Test
    void theFirstCycleMayBeIdle() {
        final CycleRecorder r = new CycleRecorder(c);
        r.idle(5_000);
        r.idle(5_100);
        r.cycle(5_200, 0, 5_300);
        r.idle(1_000_005_400L); // a second later: publishes (and is a stall)
        assertEquals(1, c.stalls.get());
        assertTrue(c.gapMax.get() >= 990_000_000L, "max gap " + c.gapMax.get());
        assertTrue(c.cycleMax.get() >= 99 && c.cycleMax.get() <= 101, "max cycle " + c.cycleMax.get());
    }
}
