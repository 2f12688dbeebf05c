package io.strait.apps.servers;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Header deadlines with a hand-driven clock: expiry order, disarm, re-arm, the per-call cap, the leak check. */
class HeaderDeadlinesTest {
    private static final long SECOND = 1_000_000_000L;
    private final HeaderDeadlines d = new HeaderDeadlines(16, 10 * SECOND);
    private final List<String> expired = new ArrayList<>();

    private int expire(long nowNs, int max) {
        return d.expire(nowNs, max, (slot, handle) -> expired.add(slot + ":" + handle));
    }

    @Test
    void connectionsExpireInArmingOrderAtTheirDeadlineNotBefore() {
        d.arm(3, 103, 0);
        d.arm(1, 101, 2 * SECOND);
        d.arm(7, 107, 5 * SECOND);
        assertEquals(0, expire(10 * SECOND - 1, 100), "a nanosecond early: nothing");
        assertEquals(1, expire(10 * SECOND, 100));
        assertEquals(List.of("3:103"), expired);
        assertEquals(2, expire(20 * SECOND, 100));
        assertEquals(List.of("3:103", "1:101", "7:107"), expired);
        assertEquals(0, d.size(), "nothing left armed");
    }

    @Test
    void aCompleteHeaderDisarmsFromAnywhereInTheList() {
        for (int s = 0; s < 5; s++) {
            d.arm(s, s, s);
        }
        d.disarm(2); // middle
        d.disarm(0); // head
        d.disarm(4); // tail
        d.disarm(4); // twice: no-op
        assertFalse(d.armed(2));
        assertEquals(2, expire(100 * SECOND, 100));
        assertEquals(List.of("1:1", "3:3"), expired);
        assertEquals(0, d.size());
    }

    @Test
    void armingAnArmedConnectionKeepsItsFirstDeadline() {
        d.arm(5, 55, 0);
        d.arm(5, 55, 9 * SECOND); // more header bytes: the clock is not restarted (slowloris would reset it)
        assertEquals(1, expire(10 * SECOND, 100));
        d.arm(5, 56, 11 * SECOND); // a new request on the connection (or a new connection in the slot): a new clock
        assertEquals(0, expire(20 * SECOND, 100));
        assertEquals(1, expire(21 * SECOND, 100));
        assertEquals(List.of("5:55", "5:56"), expired);
    }

    @Test
    void expiriesPerCallAreCappedAndTheRestFollow() {
        for (int s = 0; s < 16; s++) {
            d.arm(s, s, 0);
        }
        assertEquals(5, expire(10 * SECOND, 5));
        assertEquals(5, expire(10 * SECOND, 5));
        assertEquals(6, expire(10 * SECOND, 100));
        assertEquals(16, expired.size());
        assertEquals(0, d.size());
    }

    @Test
    void anExpiryMayCloseAndReArmOthers() {
        d.arm(0, 0, 0);
        d.arm(1, 1, 0);
        d.expire(10 * SECOND, 100, (slot, handle) -> {
            assertFalse(d.armed(slot), "disarmed before the call");
            if (slot == 0) {
                d.disarm(1); // the handler closed another connection
                d.arm(2, 2, 10 * SECOND);
            }
            expired.add(slot + ":" + handle);
        });
        assertEquals(List.of("0:0"), expired);
        assertTrue(d.armed(2));
        assertEquals(1, d.size());
    }

    @Test
    void timeNearTheLongWrapCompares() {
        final long start = Long.MAX_VALUE - 5 * SECOND; // a nanoTime origin near the wrap
        d.arm(0, 0, start);
        assertEquals(0, expire(start + 9 * SECOND, 100));
        assertEquals(1, expire(start + 10 * SECOND, 100));
    }

    @Test
    void aTimeoutMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new HeaderDeadlines(4, 0));
    }
}
