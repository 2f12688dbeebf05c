package io.strait.tcp;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** {@link RttEstimator}: RFC 6298 SRTT / RTTVAR / RTO, and RACK.min_RTT (RFC 8985 §6.2). */
class RttEstimatorTest {
    static final long MS = 1_000_000L;
    static final long G = MS;
    static final long RTO_MIN = 200 * MS;
    static final long RTO_MAX = 60_000 * MS;

    final Tcb t = new Tcb(0);

    private void sample(final long rttNs, final long nowNs) {
        RttEstimator.sample(t, rttNs, nowNs, G, 1, RTO_MAX);
    }

    @Test
    @DisplayName("RFC 6298 §2.2: the first measurement R sets SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, K*RTTVAR)")
    void firstSample() {
        sample(100 * MS, 0);
        assertTrue(t.rttValid);
        assertEquals(100 * MS, t.srttNs);
        assertEquals(50 * MS, t.rttvarNs);
        assertEquals(300 * MS, t.rtoNs);
        assertEquals(100 * MS, t.minRttNs);
    }

    @Test
    @DisplayName("RFC 6298 §2.3: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'|, then SRTT = 7/8 SRTT + 1/8 R'")
    void laterSamples() {
        sample(100 * MS, 0);
        sample(60 * MS, 1);
        // RTTVAR = (3*50 + |100-60|)/4 = 47.5 ms (uses the old SRTT), SRTT = (7*100 + 60)/8 = 95 ms.
        assertEquals(47_500_000L, t.rttvarNs);
        assertEquals(95 * MS, t.srttNs);
        assertEquals(95 * MS + 4 * 47_500_000L, t.rtoNs);
        sample(175 * MS, 2);
        // RTTVAR = (3*47.5 + 80)/4 = 55.625 ms, SRTT = (7*95 + 175)/8 = 105 ms.
        assertEquals(55_625_000L, t.rttvarNs);
        assertEquals(105 * MS, t.srttNs);
        assertEquals(105 * MS + 4 * 55_625_000L, t.rtoNs);
        assertEquals(60 * MS, t.minRttNs);
    }

    @Test
    @DisplayName("RFC 6298 §2.4 / §2.5: the RTO is rounded up to RTO.min and capped at the maximum")
    void rtoClamped() {
        RttEstimator.sample(t, 10 * MS, 0, G, RTO_MIN, RTO_MAX);
        assertEquals(RTO_MIN, t.rtoNs, "10 + 4*5 = 30 ms < 200 ms");
        final Tcb slow = new Tcb(1);
        RttEstimator.sample(slow, 30_000 * MS, 0, G, RTO_MIN, RTO_MAX);
        assertEquals(RTO_MAX, slow.rtoNs, "30 s + 4*15 s = 90 s > 60 s");
    }

    @Test
    @DisplayName("RFC 6298 §2.3: when K*RTTVAR falls below the clock granularity G, RTO = SRTT + G")
    void granularityFloor() {
        sample(8 * MS, 0);
        for (int i = 0; i < 40; i++) {
            sample(8 * MS, i);
        }
        assertEquals(8 * MS, t.srttNs);
        assertTrue(4 * t.rttvarNs < G, "RTTVAR decays by 3/4 per identical sample");
        assertEquals(8 * MS + G, t.rtoNs);
    }

    @Test
    @DisplayName("RFC 6298 §2: a negative measurement is no measurement")
    void negativeIgnored() {
        sample(-1, 0);
        assertFalse(t.rttValid);
        assertEquals(Long.MAX_VALUE, t.minRttNs);
        sample(40 * MS, 0);
        sample(-5, 1);
        assertEquals(40 * MS, t.srttNs);
        assertEquals(20 * MS, t.rttvarNs);
    }

    @Test
    @DisplayName("RFC 8985 §6.2 step 2: RACK.min_RTT is the minimum sample, forgotten after its window (300 s, as Linux)")
    void minRttWindowed() {
        RttEstimator.minRtt(t, 30 * MS, 0);
        RttEstimator.minRtt(t, 50 * MS, 10 * MS);
        assertEquals(30 * MS, t.minRttNs);
        RttEstimator.minRtt(t, 20 * MS, 100 * MS);
        assertEquals(20 * MS, t.minRttNs);
        assertEquals(100 * MS, t.minRttStampNs);
        RttEstimator.minRtt(t, 20 * MS, 200 * MS);
        assertEquals(200 * MS, t.minRttStampNs, "an equal sample refreshes the minimum's age");
        RttEstimator.minRtt(t, 45 * MS, 200 * MS + RttEstimator.MIN_RTT_WINDOW_NS);
        assertEquals(20 * MS, t.minRttNs, "exactly one window old: still kept");
        RttEstimator.minRtt(t, 45 * MS, 200 * MS + RttEstimator.MIN_RTT_WINDOW_NS + 1);
        assertEquals(45 * MS, t.minRttNs, "older than the window: the new sample replaces it");
        RttEstimator.minRtt(t, -1, 0);
        assertEquals(45 * MS, t.minRttNs);
    }
}
