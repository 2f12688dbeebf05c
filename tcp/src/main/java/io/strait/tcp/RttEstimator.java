package io.strait.tcp;

/**
 * RFC 6298 round-trip estimation (SRTT, RTTVAR, RTO) and the minimum RTT that RACK and HyStart++ read
 * (RFC 8985 §6.2 RACK.min_RTT, RFC 9406 §4.2), as static methods over the {@link Tcb}. Samples come from
 * timestamps (RFC 7323 §4.2), from a timed segment (RFC 6298 §3, Karn) or from RACK's per-segment send times.
 */
final class RttEstimator {
    /** RFC 6298 §2.2: K = 4. */
    static final int K = 4;
    /** The minimum-RTT filter forgets a minimum older than this (as Linux's tcp_min_rtt_wlen: 300 s). */
    static final long MIN_RTT_WINDOW_NS = 300_000_000_000L;

    private RttEstimator() {
    }

    /**
     * One measurement R (ns, at least 0). RFC 6298 §2.2 / §2.3, then RTO = SRTT + max(G, K·RTTVAR) clamped to
     * [rtoMin, rtoMax] (§2.4 and §2.5).
     */
    static void sample(final Tcb t, final long rttNs, final long nowNs, final long granularityNs,
        final long rtoMinNs, final long rtoMaxNs) {
        if (rttNs < 0) {
            return;
        }
        if (!t.rttValid) {
            t.srttNs = rttNs; // RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2
            t.rttvarNs = rttNs / 2;
            t.rttValid = true;
        } else {
            // RFC 6298 §2.3: beta = 1/4, alpha = 1/8.
            t.rttvarNs = (3 * t.rttvarNs + Math.abs(t.srttNs - rttNs)) / 4;
            t.srttNs = (7 * t.srttNs + rttNs) / 8;
        }
        final long rto = t.srttNs + Math.max(granularityNs, K * t.rttvarNs);
        t.rtoNs = Math.min(Math.max(rto, rtoMinNs), rtoMaxNs);
        minRtt(t, rttNs, nowNs);
    }

    /** RACK.min_RTT (RFC 8985 §6.2 step 2): a windowed minimum of every RTT sample. */
    static void minRtt(final Tcb t, final long rttNs, final long nowNs) {
        if (rttNs >= 0 && (rttNs <= t.minRttNs || nowNs - t.minRttStampNs > MIN_RTT_WINDOW_NS)) {
            t.minRttNs = rttNs;
            t.minRttStampNs = nowNs;
        }
    }
}
