package io.strait.tcp;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** {@link Prr}: RFC 6937 Proportional Rate Reduction. */
class PrrTest {
    static final int MSS = 1000;

    final Tcb t = new Tcb(0);

    PrrTest() {
        t.sndMss = MSS;
        t.inRecovery = true;
    }

    @Test
    @DisplayName("RFC 6937 §3 at the beginning of recovery: prr_delivered = prr_out = 0, RecoverFS = pipe")
    void start() {
        t.prrDelivered = 7;
        t.prrOut = 9;
        Prr.start(t, 20_000);
        assertEquals(0, t.prrDelivered);
        assertEquals(0, t.prrOut);
        assertEquals(20_000, t.recoverFs);
        Prr.start(t, 0);
        assertEquals(1, t.recoverFs, "never zero: it divides");
    }

    @Test
    @DisplayName("RFC 6937 §3: pipe > ssthresh: sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out")
    void proportional() {
        t.ssthresh = 10_000;
        Prr.start(t, 20_000);
        // First ACK: one segment delivered (SACKed), pipe 18 000 (one SACKed, one marked lost).
        Prr.onAck(t, 1000, 18_000, MSS);
        assertEquals(1000, t.prrDelivered);
        assertEquals(18_000 + 500, t.cwnd, "CEIL(1000 * 10000 / 20000) - 0 = 500");
        Prr.onSent(t, 1000); // the retransmission
        assertEquals(1000, t.prrOut);
        Prr.onAck(t, 1000, 17_000, MSS);
        assertEquals(17_000, t.cwnd, "CEIL(2000 * 10000 / 20000) - 1000 = 0");
        Prr.onAck(t, 1000, 16_000, MSS);
        assertEquals(16_000 + 500, t.cwnd, "CEIL(3000 * 10000 / 20000) - 1000 = 500");
    }

    @Test
    @DisplayName("RFC 6937 §3: the proportional part rounds up (CEIL), and never goes below zero")
    void proportionalCeilAndFloor() {
        t.ssthresh = 1000;
        Prr.start(t, 3000);
        Prr.onAck(t, 1000, 2000, MSS);
        assertEquals(2000 + 334, t.cwnd, "CEIL(1000 * 1000 / 3000) = CEIL(333.3) = 334");
        Prr.onSent(t, 1000);
        Prr.onAck(t, 100, 1900, MSS);
        assertEquals(1900, t.cwnd, "CEIL(1100 * 1000 / 3000) - 1000 < 0: sndcnt = 0");
    }

    @Test
    @DisplayName("RFC 6937 §3: over a whole recovery the sender sends CEIL(delivered * ssthresh / RecoverFS) in total")
    void proportionalTotal() {
        t.ssthresh = 7000; // CUBIC's beta 0.7 of 10 000
        Prr.start(t, 10_000);
        long sent = 0;
        for (int i = 0; i < 10; i++) {
            Prr.onAck(t, 1000, 9000, MSS); // pipe stays above ssthresh
            final int sndcnt = t.cwnd - 9000;
            Prr.onSent(t, sndcnt);
            sent += sndcnt;
            assertEquals((t.prrDelivered * 7000 + 9999) / 10_000, t.prrOut, "after ACK " + i);
        }
        assertEquals(7000, sent, "ssthresh's worth for RecoverFS delivered");
    }

    @Test
    @DisplayName("RFC 6937 §3 PRR-SSRB: pipe <= ssthresh: sndcnt = MIN(ssthresh - pipe, MAX(prr_delivered - prr_out, DeliveredData) + MSS)")
    void slowStartReductionBound() {
        t.ssthresh = 10_000;
        Prr.start(t, 20_000);
        t.prrDelivered = 5500;
        t.prrOut = 5000;
        // limit = MAX(6000 - 5000, 500) + 1000 = 2000; ssthresh - pipe = 6000.
        Prr.onAck(t, 500, 4000, MSS);
        assertEquals(6000, t.prrDelivered);
        assertEquals(4000 + 2000, t.cwnd);
        // DeliveredData dominates: limit = MAX(9000 - 8000, 3000) + 1000 = 4000.
        t.prrOut = 8000;
        Prr.onAck(t, 3000, 4000, MSS);
        assertEquals(4000 + 4000, t.cwnd);
        // ssthresh - pipe dominates: MIN(10000 - 9500, ...) = 500, cwnd reaches ssthresh exactly.
        Prr.onAck(t, 1000, 9500, MSS);
        assertEquals(10_000, t.cwnd);
        // pipe = ssthresh: nothing more.
        Prr.onAck(t, 1000, 10_000, MSS);
        assertEquals(10_000, t.cwnd);
    }

    @Test
    @DisplayName("RFC 6937 §3: an ACK delivering nothing only recomputes; with pipe 0 one segment may still go")
    void nothingDeliveredAndEmptyPipe() {
        t.ssthresh = 10_000;
        Prr.start(t, 20_000);
        Prr.onAck(t, 0, 19_000, MSS);
        assertEquals(0, t.prrDelivered);
        assertEquals(19_000, t.cwnd);
        Prr.onAck(t, -100, 19_000, MSS);
        assertEquals(0, t.prrDelivered, "negative DeliveredData is no delivery");
        t.prrDelivered = 5000;
        t.prrOut = 6000;
        t.ssthresh = 0;
        Prr.onAck(t, 0, 0, MSS);
        assertEquals(MSS, t.cwnd, "a retransmission is never starved");
    }

    @Test
    @DisplayName("RFC 6937 §3: prr_delivered * ssthresh is computed without int overflow")
    void noOverflow() {
        t.ssthresh = 100_000;
        Prr.start(t, 200_000);
        Prr.onAck(t, 100_000, 150_000, MSS); // 100 000 * 100 000 = 10^10 > 2^31
        assertEquals(150_000 + 50_000, t.cwnd);
        t.ssthresh = 1 << 30;
        Prr.start(t, Integer.MAX_VALUE);
        Prr.onAck(t, Integer.MAX_VALUE, Integer.MAX_VALUE, MSS);
        assertEquals(CongestionControl.MAX_CWND, t.cwnd, "capped, not wrapped");
    }

    @Test
    @DisplayName("RFC 6937 §3 on any data transmission: prr_out counts only during recovery")
    void onSentOnlyInRecovery() {
        Prr.start(t, 10_000);
        Prr.onSent(t, 1000);
        t.inRecovery = false;
        Prr.onSent(t, 1000);
        assertEquals(1000, t.prrOut);
    }
}
