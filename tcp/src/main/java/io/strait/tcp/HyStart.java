package io.strait.tcp;

/**
 * RFC 9406 HyStart++: leave slow start before the first loss when the round's minimum RTT rises (queues are
 * building), through a Conservative Slow Start (CSS) phase. Static methods over the {@link Tcb}; rounds end when
 * SND.UNA passes the SND.MAX recorded at the round's start. RTT samples come from RACK's per-segment send times.
 */
final class HyStart {
    /** RFC 9406 §4.3: MIN_RTT_THRESH 4 ms, MAX_RTT_THRESH 16 ms, MIN_RTT_DIVISOR 8, N_RTT_SAMPLE 8. */
    static final long MIN_RTT_THRESH_NS = 4_000_000L;
    static final long MAX_RTT_THRESH_NS = 16_000_000L;
    static final int MIN_RTT_DIVISOR = 8;
    static final int N_RTT_SAMPLE = 8;
    /** RFC 9406 §4.3: CSS_GROWTH_DIVISOR 4, CSS_ROUNDS 5. */
    static final int CSS_GROWTH_DIVISOR = 4;
    static final int CSS_ROUNDS = 5;

    private HyStart() {
    }

    /** An ACK moved SND.UNA: a round ends when it passes hsRoundEnd (RFC 9406 §4.2, "at the start of each round"). */
    static boolean onAck(final Tcb t) {
        if (Seq.lt(t.sndUna, t.hsRoundEnd)) {
            return false;
        }
        t.hsRoundEnd = t.sndMax;
        t.hsLastRoundMinRttNs = t.hsCurRoundMinRttNs;
        t.hsCurRoundMinRttNs = Long.MAX_VALUE;
        t.hsSamples = 0;
        if (t.hsCss && ++t.hsCssRounds >= CSS_ROUNDS) {
            // RFC 9406 §4.2: CSS lasted CSS_ROUNDS rounds: enter congestion avoidance, ssthresh = cwnd.
            t.hsCss = false;
            t.ssthresh = t.cwnd;
        }
        return true;
    }

    /** One RTT sample while in slow start (RFC 9406 §4.2). */
    static void onRtt(final Tcb t, final long rttNs) {
        if (rttNs < 0 || t.cwnd >= t.ssthresh) {
            return;
        }
        if (rttNs < t.hsCurRoundMinRttNs) {
            t.hsCurRoundMinRttNs = rttNs;
        }
        t.hsSamples++;
        if (t.hsSamples < N_RTT_SAMPLE || t.hsCurRoundMinRttNs == Long.MAX_VALUE
            || t.hsLastRoundMinRttNs == Long.MAX_VALUE) {
            return;
        }
        if (!t.hsCss) {
            final long thresh = Math.max(MIN_RTT_THRESH_NS,
                Math.min(t.hsLastRoundMinRttNs / MIN_RTT_DIVISOR, MAX_RTT_THRESH_NS));
            if (t.hsCurRoundMinRttNs >= t.hsLastRoundMinRttNs + thresh) {
                t.hsCss = true; // delay increase: enter Conservative Slow Start
                t.hsCssBaselineNs = t.hsCurRoundMinRttNs;
                t.hsCssRounds = 0;
            }
        } else if (t.hsCurRoundMinRttNs < t.hsCssBaselineNs) {
            t.hsCss = false; // RFC 9406 §4.2: the increase was spurious, back to slow start
        }
    }

    /** The slow-start increase for {@code ackedBytes} (RFC 3465 L = 1 SMSS; divided by 4 in CSS). */
    static int increase(final Tcb t, final int ackedBytes) {
        final int inc = Math.min(ackedBytes, t.sndMss);
        return t.hsCss ? Math.max(1, inc / CSS_GROWTH_DIVISOR) : inc;
    }

    /** A loss ends slow start and any CSS phase (RFC 9406 §4.2). */
    static void onLoss(final Tcb t) {
        t.hsCss = false;
    }
}
