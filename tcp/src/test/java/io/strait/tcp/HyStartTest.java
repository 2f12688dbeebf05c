package io.strait.tcp;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** {@link HyStart}: RFC 9406 HyStart++. */
class HyStartTest {
    static final long MS = 1_000_000L;
    static final int MSS = 1000;

    final Tcb t = new Tcb(0);

    HyStartTest() {
        t.sndMss = MSS;
        t.cwnd = 10 * MSS;
        t.ssthresh = Integer.MAX_VALUE;
        t.sndUna = 0;
        t.sndMax = 10 * MSS;
    }

    /** Ends the current round (SND.UNA reaches its end) and starts the next one, 10 segments long. */
    private void nextRound() {
        t.sndUna = t.hsRoundEnd;
        t.sndMax = t.sndUna + 10 * MSS;
        assertTrue(HyStart.onAck(t));
    }

    /** {@code n} samples, the smallest {@code minNs}. */
    private void samples(final int n, final long minNs) {
        for (int i = 0; i < n; i++) {
            HyStart.onRtt(t, minNs + (n - 1 - i) * 100_000L);
        }
    }

    /** Starts the current round over with the given lastRoundMinRTT (to try another minimum). */
    private void replayRound(final long lastNs) {
        t.hsLastRoundMinRttNs = lastNs;
        t.hsCurRoundMinRttNs = Long.MAX_VALUE;
        t.hsSamples = 0;
    }

    /** A first round with a minimum RTT of {@code baseNs}, then the next round begun. */
    private void baseline(final long baseNs) {
        nextRound();
        samples(HyStart.N_RTT_SAMPLE, baseNs);
        nextRound();
        assertEquals(baseNs, t.hsLastRoundMinRttNs);
    }

    @Test
    @DisplayName("RFC 9406 §4.2: a round ends when SND.UNA passes the SND.MAX recorded at its start")
    void rounds() {
        assertTrue(HyStart.onAck(t), "the first ACK starts the first round");
        assertEquals(10 * MSS, t.hsRoundEnd);
        HyStart.onRtt(t, 30 * MS);
        t.sndUna = 10 * MSS - 1;
        t.sndMax = 20 * MSS;
        assertFalse(HyStart.onAck(t));
        assertEquals(30 * MS, t.hsCurRoundMinRttNs);
        t.sndUna = 10 * MSS;
        assertTrue(HyStart.onAck(t));
        assertEquals(20 * MSS, t.hsRoundEnd);
        assertEquals(30 * MS, t.hsLastRoundMinRttNs, "lastRoundMinRTT = currentRoundMinRTT");
        assertEquals(Long.MAX_VALUE, t.hsCurRoundMinRttNs, "currentRoundMinRTT = infinity");
        assertEquals(0, t.hsSamples, "rttSampleCount = 0");
    }

    @Test
    @DisplayName("RFC 9406 §4.2: CSS starts when currentRoundMinRTT >= lastRoundMinRTT + clamp(last/8, 4 ms, 16 ms)")
    void entersCssAtThreshold() {
        baseline(40 * MS); // rttThresh = max(4, min(40/8 = 5, 16)) = 5 ms
        samples(HyStart.N_RTT_SAMPLE, 45 * MS - 1);
        assertFalse(t.hsCss, "1 ns below the threshold");
        replayRound(40 * MS);
        samples(HyStart.N_RTT_SAMPLE, 45 * MS);
        assertTrue(t.hsCss, "40 ms + 5 ms");
        assertEquals(45 * MS, t.hsCssBaselineNs, "cssBaselineMinRtt = currentRoundMinRTT");
    }

    @Test
    @DisplayName("RFC 9406 §4.2: the test waits for N_RTT_SAMPLE = 8 samples in the round")
    void needsEightSamples() {
        baseline(40 * MS);
        for (int i = 0; i < HyStart.N_RTT_SAMPLE - 1; i++) {
            HyStart.onRtt(t, 60 * MS);
        }
        assertFalse(t.hsCss, "7 samples");
        HyStart.onRtt(t, 60 * MS);
        assertTrue(t.hsCss, "the 8th");
    }

    @Test
    @DisplayName("RFC 9406 §4.2: rttThresh is at least MIN_RTT_THRESH = 4 ms")
    void minThreshold() {
        baseline(20 * MS); // 20/8 = 2.5 ms -> 4 ms
        samples(HyStart.N_RTT_SAMPLE, 24 * MS - 1);
        assertFalse(t.hsCss);
        replayRound(20 * MS);
        samples(HyStart.N_RTT_SAMPLE, 24 * MS);
        assertTrue(t.hsCss);
    }

    @Test
    @DisplayName("RFC 9406 §4.2: rttThresh is at most MAX_RTT_THRESH = 16 ms")
    void maxThreshold() {
        baseline(200 * MS); // 200/8 = 25 ms -> 16 ms
        samples(HyStart.N_RTT_SAMPLE, 216 * MS - 1);
        assertFalse(t.hsCss);
        replayRound(200 * MS);
        samples(HyStart.N_RTT_SAMPLE, 216 * MS);
        assertTrue(t.hsCss);
    }

    @Test
    @DisplayName("RFC 9406 §4.2: no decision without a valid lastRoundMinRTT, and none outside slow start")
    void onlyInSlowStartWithBaseline() {
        nextRound();
        samples(20, 100 * MS);
        assertFalse(t.hsCss, "first round: no lastRoundMinRTT");
        nextRound();
        t.ssthresh = t.cwnd;
        samples(20, 500 * MS);
        assertFalse(t.hsCss);
        assertEquals(0, t.hsSamples, "samples outside slow start are not counted");
        HyStart.onRtt(t, -1);
        assertEquals(0, t.hsSamples);
    }

    @Test
    @DisplayName("RFC 9406 §4.2: in CSS cwnd grows by min(N, L*SMSS) / CSS_GROWTH_DIVISOR (4), else by min(N, L*SMSS)")
    void cssGrowth() {
        assertEquals(MSS, HyStart.increase(t, 3000), "RFC 3465 L = 1 SMSS");
        assertEquals(600, HyStart.increase(t, 600));
        t.hsCss = true;
        assertEquals(MSS / 4, HyStart.increase(t, 3000));
        assertEquals(150, HyStart.increase(t, 600));
        assertEquals(1, HyStart.increase(t, 2), "at least one byte");
        t.hsCss = false;
        t.cwnd = 10 * MSS;
        CongestionControl.slowStart(t, 1000);
        assertEquals(11 * MSS, t.cwnd);
        t.hsCss = true;
        CongestionControl.slowStart(t, 1000);
        assertEquals(11 * MSS + 250, t.cwnd);
    }

    @Test
    @DisplayName("RFC 9406 §4.2: after CSS_ROUNDS = 5 rounds of CSS, ssthresh = cwnd (congestion avoidance)")
    void cssRoundsThenAvoidance() {
        baseline(40 * MS);
        samples(HyStart.N_RTT_SAMPLE, 50 * MS);
        assertTrue(t.hsCss);
        t.cwnd = 23_456;
        for (int r = 1; r < HyStart.CSS_ROUNDS; r++) {
            nextRound();
            samples(HyStart.N_RTT_SAMPLE, 50 * MS);
            assertTrue(t.hsCss, "round " + r);
            assertEquals(Integer.MAX_VALUE, t.ssthresh);
        }
        nextRound();
        assertFalse(t.hsCss);
        assertEquals(23_456, t.ssthresh);
    }

    @Test
    @DisplayName("RFC 9406 §4.2: in CSS, a round minimum below cssBaselineMinRtt (8 samples) resumes slow start")
    void cssSpuriousBackToSlowStart() {
        baseline(40 * MS);
        samples(HyStart.N_RTT_SAMPLE, 50 * MS);
        assertTrue(t.hsCss);
        nextRound();
        for (int i = 0; i < HyStart.N_RTT_SAMPLE - 1; i++) {
            HyStart.onRtt(t, 49 * MS);
        }
        assertTrue(t.hsCss, "not before 8 samples");
        HyStart.onRtt(t, 49 * MS);
        assertFalse(t.hsCss, "49 < 50 ms baseline");
        assertEquals(Integer.MAX_VALUE, t.ssthresh);
    }

    @Test
    @DisplayName("RFC 9406 §4.2: a loss ends CSS")
    void lossEndsCss() {
        t.hsCss = true;
        HyStart.onLoss(t);
        assertFalse(t.hsCss);
    }
}
