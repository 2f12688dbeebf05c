package io.strait.tcp;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class CongestionControlTest {
    static Tcb tcb(final int cwnd, final int flight) {
        final Tcb t = new Tcb(0);
        t.sndMss = 1000;
        t.cwnd = cwnd;
        t.ssthresh = Integer.MAX_VALUE;
        t.sndUna = 0;
        t.sndNxt = flight;
        t.rttValid = true;
        t.srttNs = 100_000_000L;
        return t;
    }

    @Test
    @DisplayName("RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600))")
    void initialWindow() {
        final Tcb t = tcb(0, 0);
        new NewReno().init(t, 10);
        assertEquals(10_000, t.cwnd);
        t.sndMss = 1460;
        new NewReno().init(t, 10);
        assertEquals(14_600, t.cwnd);
    }

    @Test
    @DisplayName("RFC 5681 §3.1: slow start +1 SMSS per ACK; congestion avoidance +1 SMSS per cwnd; eq. 4 on loss")
    void newReno() {
        final NewReno cc = new NewReno();
        final Tcb t = tcb(10_000, 10_000);
        cc.onAck(t, 1000, 0);
        assertEquals(11_000, t.cwnd);
        t.ssthresh = 11_000;
        for (int i = 0; i < 11; i++) {
            cc.onAck(t, 1000, 0);
        }
        assertEquals(12_000, t.cwnd);
        cc.onEnterRecovery(t, 0);
        assertEquals(5_000, t.ssthresh);
        assertEquals(8_000, t.cwnd, "RFC 5681 §3.2 step 4: ssthresh + 3*SMSS");
        cc.onRto(t, 0);
        assertEquals(1_000, t.cwnd);
    }

    @Test
    @DisplayName("RFC 9438 §4.6-4.7: CUBIC reduces by beta 0.7 with fast convergence, then regrows toward W_max")
    void cubic() {
        final Cubic cc = new Cubic();
        final Tcb t = tcb(100_000, 100_000);
        cc.onEnterRecovery(t, 0);
        assertEquals(70_000, t.cwnd);
        assertEquals(70_000, t.ssthresh);
        assertEquals(100.0, t.cubicWmaxSeg, 1e-9);
        // K = cbrt(W_max * (1 - beta) / C) = cbrt(100 * 0.3 / 0.4) = 4.217 s: cwnd is back near W_max around K.
        long now = 1_000_000_000L;
        for (int i = 0; i < 2000 && now < 1_000_000_000L + 4_200_000_000L; i++) {
            cc.onAck(t, 1000, now);
            now += 2_100_000L;
        }
        assertTrue(t.cwnd > 95_000 && t.cwnd < 105_000, "cwnd " + t.cwnd);
        // Fast convergence: a loss below the previous W_max lowers W_max further.
        t.cwnd = 80_000;
        cc.onEnterRecovery(t, now);
        assertEquals(80.0 * 1.7 / 2, t.cubicWmaxSeg, 1e-9);
    }
}
