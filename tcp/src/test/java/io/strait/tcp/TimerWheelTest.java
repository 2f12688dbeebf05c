package io.strait.tcp;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The engine's timer wheel against a brute-force model: never early, never lost, resumable at the limit. */
class TimerWheelTest {
    private static final long TICK = 1L << 20;

    @Test
    void aTimerFiresAtTheFirstPollAtOrAfterItsDeadline() {
        final TimerWheel w = new TimerWheel(8, TICK, 8);
        w.start(1_000);
        final int[] fired = new int[8];
        w.schedule(3, 1_000 + 5 * TICK + 17);
        assertEquals(0, w.poll(1_000 + 5 * TICK + 16, fired, 8), "one ns early");
        assertTrue(w.scheduled(3));
        assertEquals(1, w.poll(1_000 + 5 * TICK + 17, fired, 8));
        assertEquals(3, fired[0]);
        assertFalse(w.scheduled(3));
        assertEquals(0, w.count());
    }

    @Test
    void deadlinesInThePastFireAtTheNextPollAndFarOnesWaitTheirTurn() {
        final TimerWheel w = new TimerWheel(8, TICK, 4); // one turn = 4 ticks
        w.start(0);
        final int[] fired = new int[8];
        assertEquals(0, w.poll(10 * TICK, fired, 8));
        w.schedule(0, 3 * TICK); // already past
        w.schedule(1, 10 * TICK + 9 * TICK); // more than two turns ahead, same spoke as the current tick + 1
        assertEquals(1, w.poll(10 * TICK + 1, fired, 8));
        assertEquals(0, fired[0]);
        for (long t = 10 * TICK; t < 19 * TICK; t += TICK / 3) {
            assertEquals(0, w.poll(t, fired, 8), "early at " + t);
        }
        assertEquals(1, w.poll(19 * TICK, fired, 8));
        assertEquals(1, fired[0]);
    }

    @Test
    void aPollStoppedByItsLimitResumes() {
        final TimerWheel w = new TimerWheel(64, TICK, 16);
        w.start(0);
        for (int s = 0; s < 64; s++) {
            w.schedule(s, (s % 5) * TICK + s);
        }
        final int[] fired = new int[64];
        final Set<Integer> seen = new HashSet<>();
        int polls = 0;
        while (w.count() > 0) {
            final int n = w.poll(100 * TICK, fired, 7);
            assertTrue(n <= 7);
            for (int i = 0; i < n; i++) {
                assertTrue(seen.add(fired[i]), "fired twice: " + fired[i]);
            }
            assertTrue(++polls < 100);
        }
        assertEquals(64, seen.size());
    }

    @Test
    void cancelAndRescheduleKeepTheCount() {
        final TimerWheel w = new TimerWheel(4, TICK, 8);
        w.start(0);
        w.schedule(2, 5 * TICK);
        assertThrows(IllegalStateException.class, () -> w.schedule(2, 6 * TICK));
        w.cancel(2);
        w.cancel(2);
        assertEquals(0, w.count());
        w.schedule(2, TICK);
        assertEquals(TICK, w.earliestBound());
        final int[] fired = new int[4];
        assertEquals(1, w.poll(TICK, fired, 4));
        assertEquals(TimerWheel.NONE, w.earliestBound());
    }

    @Test
    void randomOperationsMatchABruteForceModel() {
        for (long seed = 1; seed <= 40; seed++) {
            runModel(seed);
        }
    }

    private static void runModel(final long seed) {
        final SplittableRandom r = new SplittableRandom(seed);
        final int cap = 1 + r.nextInt(200);
        final int spokes = 1 << (1 + r.nextInt(6));
        final TimerWheel w = new TimerWheel(cap, TICK, spokes);
        final long[] model = new long[cap];
        java.util.Arrays.fill(model, Long.MAX_VALUE);
        long now = r.nextLong(-1_000_000_000L, 1_000_000_000L);
        w.start(now);
        final int[] fired = new int[cap];
        for (int step = 0; step < 3_000; step++) {
            final int op = r.nextInt(10);
            final int slot = r.nextInt(cap);
            if (op < 4) {
                if (model[slot] == Long.MAX_VALUE) {
                    final long d = switch (r.nextInt(4)) {
                        case 0 -> now - r.nextLong(0, 5 * TICK); // past
                        case 1 -> now + r.nextLong(0, TICK); // within a tick
                        case 2 -> now + r.nextLong(0, 3L * spokes * TICK); // across turns
                        default -> now + r.nextLong(0, 40 * TICK);
                    };
                    w.schedule(slot, d);
                    model[slot] = d;
                }
            } else if (op < 6) {
                w.cancel(slot);
                model[slot] = Long.MAX_VALUE;
            } else {
                now += switch (r.nextInt(5)) {
                    case 0 -> 0;
                    case 1 -> r.nextLong(0, TICK / 4);
                    case 2 -> r.nextLong(0, 3 * TICK);
                    case 3 -> r.nextLong(0, 2L * spokes * TICK);
                    default -> r.nextLong(0, 50L * spokes * TICK); // a long sleep
                };
                final int limit = r.nextInt(4) == 0 ? 1 + r.nextInt(3) : cap;
                final int n = w.poll(now, fired, limit);
                final List<Integer> due = new ArrayList<>();
                for (int s = 0; s < cap; s++) {
                    if (model[s] <= now) {
                        due.add(s);
                    }
                }
                assertTrue(n <= limit);
                for (int i = 0; i < n; i++) {
                    assertTrue(model[fired[i]] <= now, "seed " + seed + ": slot " + fired[i] + " early");
                    model[fired[i]] = Long.MAX_VALUE;
                }
                if (limit >= cap) {
                    assertEquals(due.size(), n, "seed " + seed + " step " + step + ": due timers not all fired");
                }
            }
            long min = Long.MAX_VALUE;
            int live = 0;
            for (int s = 0; s < cap; s++) {
                assertEquals(model[s] != Long.MAX_VALUE, w.scheduled(s));
                if (model[s] != Long.MAX_VALUE) {
                    live++;
                    min = Math.min(min, model[s]);
                }
            }
            assertEquals(live, w.count());
            assertTrue(w.earliestBound() <= min, "seed " + seed + ": bound above the earliest deadline");
        }
    }
}
