package io.strait.tcp;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** {@link RangeSet}: the range type behind reassembly (RFC 9293 §3.10.7.4 seventh) and the SACK scoreboard. */
class RangeSetTest {
    /** Near the top of sequence space, so ranges straddle 2^32 (RFC 9293 §3.4). */
    static final int WRAP_BASE = -5000; // 0xFFFFEC78

    @Test
    @DisplayName("RFC 2018 §4 / RFC 6675 §3: disjoint ranges are kept sorted with a running sum of their widths")
    void disjointSorted() {
        final RangeSet r = new RangeSet(8);
        assertTrue(r.add(3000, 3500, false));
        assertTrue(r.add(1000, 1100, false));
        assertTrue(r.add(2000, 2200, false));
        assertRanges(r, 1000, 1100, 2000, 2200, 3000, 3500);
        assertEquals(100 + 200 + 500, r.sum());
        assertEquals(1, r.latest(), "the range just added is the one reported first (RFC 2018 §4)");
        assertEquals(3500, r.highest());
    }

    @Test
    @DisplayName("RFC 2018 §4: an overlapping or touching block merges with its neighbours into one range")
    void mergeOverlapAndAdjacent() {
        final RangeSet r = new RangeSet(8);
        r.add(1000, 1100, false);
        r.add(1200, 1300, false);
        r.add(1400, 1500, false);
        assertTrue(r.add(1100, 1200, false), "touching on both sides");
        assertRanges(r, 1000, 1300, 1400, 1500);
        assertEquals(400, r.sum());
        assertEquals(0, r.latest());
        assertTrue(r.add(1250, 1450, false), "overlapping both");
        assertRanges(r, 1000, 1500);
        assertEquals(500, r.sum());
        assertTrue(r.add(900, 1600, false), "covering all");
        assertRanges(r, 900, 1600);
        assertEquals(700, r.sum());
        assertTrue(r.add(1100, 1200, false), "inside: nothing changes");
        assertRanges(r, 900, 1600);
        assertEquals(700, r.sum());
    }

    @Test
    @DisplayName("RFC 9293 §3.4: an empty or inverted range [l, r) with l >= r is not recorded")
    void emptyRejected() {
        final RangeSet r = new RangeSet(4);
        assertFalse(r.add(100, 100, true));
        assertFalse(r.add(200, 100, true));
        assertTrue(r.isEmpty());
        assertEquals(0, r.sum());
        assertEquals(-1, r.latest());
    }

    @Test
    @DisplayName("RFC 9293 §3.4: ranges straddling 2^32 sort, merge and sum modulo 2^32")
    void wrapAround() {
        final RangeSet r = new RangeSet(8);
        assertTrue(r.add(0x10, 0x20, false));
        assertTrue(r.add(0xFFFFFFF0, 0xFFFFFFF8, false));
        assertRanges(r, 0xFFFFFFF0, 0xFFFFFFF8, 0x10, 0x20);
        assertEquals(0x18, r.sum());
        assertTrue(r.add(0xFFFFFFF8, 0x10, false), "fills [2^32 - 8, 2^32 + 16) exactly");
        assertRanges(r, 0xFFFFFFF0, 0x20);
        assertEquals(0x30, r.sum());
        assertTrue(r.covers(0xFFFFFFFF, 0x1));
        assertEquals(0x10, r.sumBelow(0));
        r.removeBelow(0x4);
        assertRanges(r, 0x4, 0x20);
        assertEquals(0x1C, r.sum());
        assertEquals(0x20, r.highest());
    }

    @Test
    @DisplayName("Reassembly bound (RFC 9293 §3.10.7.4 seventh): a full set refuses a new range that merges with none")
    void fullRefuses() {
        final RangeSet r = new RangeSet(3);
        r.add(100, 200, false);
        r.add(300, 400, false);
        r.add(500, 600, false);
        assertFalse(r.add(700, 800, false));
        assertFalse(r.add(0, 50, false));
        assertRanges(r, 100, 200, 300, 400, 500, 600);
        assertEquals(300, r.sum());
        assertTrue(r.add(200, 300, false), "a merge needs no room");
        assertRanges(r, 100, 400, 500, 600);
        assertEquals(400, r.sum());
    }

    @Test
    @DisplayName("RFC 6675 §3 (a scoreboard may forget): when full, the lowest range is evicted; a new range always fits")
    void fullEvictsLowest() {
        final RangeSet r = new RangeSet(3);
        r.add(100, 200, true);
        r.add(300, 400, true);
        r.add(500, 600, true);
        assertTrue(r.add(700, 800, true), "a range above every other is recorded");
        assertRanges(r, 300, 400, 500, 600, 700, 800);
        assertEquals(300, r.sum());
        assertEquals(2, r.latest());
        assertTrue(r.add(420, 450, true));
        assertRanges(r, 420, 450, 500, 600, 700, 800);
        assertEquals(230, r.sum());
        assertEquals(0, r.latest());
        assertTrue(r.add(0, 50, true), "a range below every other replaces the lowest");
        assertRanges(r, 0, 50, 500, 600, 700, 800);
        assertEquals(250, r.sum());
        assertFalse(new RangeSet(1).add(5, 5, true), "an empty range is never recorded");
    }

    @Test
    @DisplayName("RFC 6675 §3: what SND.UNA covers is forgotten; a range straddling it is clipped")
    void removeBelow() {
        final RangeSet r = new RangeSet(8);
        r.add(100, 200, false);
        r.add(300, 400, false);
        r.add(500, 600, false);
        r.removeBelow(100);
        assertRanges(r, 100, 200, 300, 400, 500, 600);
        r.removeBelow(350);
        assertRanges(r, 350, 400, 500, 600);
        assertEquals(150, r.sum());
        assertEquals(1, r.latest(), "[500, 600), added last, moved down one index");
        r.removeBelow(600);
        assertTrue(r.isEmpty());
        assertEquals(0, r.sum());
        assertEquals(-1, r.latest());
    }

    @Test
    @DisplayName("RFC 9293 §3.10.7.4 seventh: RCV.NXT advances over the queued ranges that become contiguous")
    void advance() {
        final RangeSet r = new RangeSet(8);
        r.add(1100, 1200, false);
        r.add(1200, 1300, false); // merges: [1100, 1300)
        r.add(1500, 1600, false);
        assertEquals(1000, r.advance(1000), "a hole at RCV.NXT: nothing moves");
        assertEquals(300, r.sum());
        assertEquals(1300, r.advance(1100));
        assertRanges(r, 1500, 1600);
        assertEquals(100, r.sum());
        assertEquals(1600, r.advance(1550), "overlap with RCV.NXT: the range's right edge is the new RCV.NXT");
        assertTrue(r.isEmpty());
        assertEquals(0, r.sum());
    }

    @Test
    @DisplayName("RFC 2883 §4: covers() finds a duplicate wholly inside one queued range, not one spanning a hole")
    void covers() {
        final RangeSet r = new RangeSet(8);
        r.add(100, 200, false);
        r.add(300, 400, false);
        assertTrue(r.covers(100, 200));
        assertTrue(r.covers(310, 390));
        assertFalse(r.covers(150, 350));
        assertFalse(r.covers(90, 110));
        assertFalse(r.covers(390, 401));
        assertEquals(0, r.sumBelow(100));
        assertEquals(50, r.sumBelow(150));
        assertEquals(150, r.sumBelow(350));
        assertEquals(200, r.sumBelow(1000));
    }

    @Test
    @DisplayName("RFC 2018 §4: latest() follows the range created or grown by the last add, through merges and removals")
    void latestTracksMostRecent() {
        final RangeSet r = new RangeSet(8);
        r.add(500, 600, false);
        r.add(100, 200, false);
        assertEquals(0, r.latest());
        r.add(300, 400, false);
        assertEquals(1, r.latest());
        r.add(400, 500, false); // [300, 600)
        assertEquals(1, r.latest());
        assertRanges(r, 100, 200, 300, 600);
        r.removeBelow(250);
        assertEquals(0, r.latest(), "its index moves down with the ranges removed below it");
        assertEquals(300, r.left(r.latest()));
    }

    @Test
    @DisplayName("RFC 9293 §3.4 / RFC 6675 §3: model check near 2^32 — ranges sorted, disjoint, non-adjacent, sum = widths")
    void modelCheckWithoutEviction() {
        final SplittableRandom rnd = new SplittableRandom(7);
        for (int round = 0; round < 200; round++) {
            final RangeSet r = new RangeSet(8);
            final BitSet model = new BitSet();
            int floor = 0;
            for (int op = 0; op < 60; op++) {
                final int choice = rnd.nextInt(10);
                if (choice < 7) {
                    final int a = floor + rnd.nextInt(4000);
                    final int w = rnd.nextInt(1, 400);
                    final boolean added = r.add(WRAP_BASE + a, WRAP_BASE + a + w, false);
                    if (added) {
                        model.set(a, a + w);
                    } else {
                        // Refused only when full and touching nothing.
                        assertEquals(r.capacity(), r.count());
                        assertTrue(model.get(Math.max(0, a - 1), a + w + 1).isEmpty(), "refused a merge");
                    }
                } else if (choice < 9) {
                    final int cut = floor + rnd.nextInt(500);
                    r.removeBelow(WRAP_BASE + cut);
                    model.clear(0, cut);
                    floor = cut;
                } else {
                    final int next = r.advance(WRAP_BASE + floor) - WRAP_BASE;
                    final int expected = model.nextClearBit(floor);
                    assertEquals(expected, next, "advance");
                    model.clear(0, expected);
                    floor = expected;
                }
                assertMatchesModel(r, model);
            }
        }
    }

    @Test
    @DisplayName("RFC 6675 §3: with eviction the running sum always equals the sum of the widths, ranges stay ordered")
    void sumInvariantWithEviction() {
        final SplittableRandom rnd = new SplittableRandom(11);
        final RangeSet r = new RangeSet(4);
        for (int op = 0; op < 20_000; op++) {
            final int a = rnd.nextInt(20_000);
            if (rnd.nextInt(8) == 0) {
                r.removeBelow(WRAP_BASE + rnd.nextInt(20_000));
            } else {
                r.add(WRAP_BASE + a, WRAP_BASE + a + rnd.nextInt(1, 600), true);
            }
            assertWellFormed(r);
            if (rnd.nextInt(500) == 0) {
                r.clear();
                assertEquals(0, r.sum());
            }
        }
    }

    private static void assertMatchesModel(final RangeSet r, final BitSet model) {
        assertWellFormed(r);
        final BitSet got = new BitSet();
        for (int k = 0; k < r.count(); k++) {
            got.set(r.left(k) - WRAP_BASE, r.right(k) - WRAP_BASE);
        }
        assertEquals(model, got);
        assertEquals(model.cardinality(), r.sum());
    }

    static void assertWellFormed(final RangeSet r) {
        long widths = 0;
        for (int k = 0; k < r.count(); k++) {
            assertTrue(Seq.lt(r.left(k), r.right(k)), "non-empty");
            if (k > 0) {
                assertTrue(Seq.lt(r.right(k - 1), r.left(k)), "sorted, disjoint and non-adjacent");
            }
            widths += r.right(k) - r.left(k);
        }
        assertEquals(widths, r.sum(), "running sum");
        if (r.count() == 0) {
            assertEquals(-1, r.latest());
        } else {
            assertTrue(r.latest() >= 0 && r.latest() < r.count(), "latest in range");
        }
    }

    static void assertRanges(final RangeSet r, final int... edges) {
        final int[] got = new int[r.count() * 2];
        for (int k = 0; k < r.count(); k++) {
            got[2 * k] = r.left(k);
            got[2 * k + 1] = r.right(k);
        }
        assertArrayEquals(edges, got, () -> "ranges " + java.util.Arrays.toString(got));
        assertWellFormed(r);
    }
}
