package io.strait.tcp;

/**
 * Congestion control, one small interface with two implementations ({@link NewReno}, {@link Cubic}). Stateless
 * objects: the per-connection state lives in the {@link Tcb}. Loss detection and recovery (RFC 5681 §3.2,
 * RFC 6582, RFC 6675) stay in the engine; these methods only move cwnd and ssthresh.
 */
interface CongestionControl {
    /** RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)) for 10 segments. */
    default void init(final Tcb t, final int initialWindowSegments) {
        t.cwnd = initialWindow(t.sndMss, initialWindowSegments);
        t.ssthresh = Integer.MAX_VALUE;
        t.bytesAckedCa = 0;
        t.hsRoundEnd = t.sndMax;
    }

    /** True when the algorithm sets cwnd itself on every ACK from delivery-rate samples (BBR): no PRR, no growth. */
    default boolean controlsCwnd() {
        return false;
    }

    /** New data acknowledged outside recovery. */
    void onAck(Tcb t, int ackedBytes, long nowNs);

    /** Entering fast recovery (RFC 5681 §3.2 step 2, RFC 6582 §3.2 step 2, RFC 6675 §5 step 4). */
    void onEnterRecovery(Tcb t, long nowNs);

    /** Full acknowledgment ends recovery (RFC 6582 §3.2 step 3). */
    default void onExitRecovery(final Tcb t, final long nowNs) {
        // RFC 6582 §3.2 step 3, option (1): cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
        t.cwnd = Math.min(t.ssthresh, Math.max(t.flight(), t.sndMss) + t.sndMss);
    }

    /** Retransmission timeout (RFC 5681 §3.1 equation 4: ssthresh; cwnd = loss window of one segment). */
    void onRto(Tcb t, long nowNs);

    /** RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)) for 10 segments; otherwise that many segments. */
    static int initialWindow(final int mss, final int segments) {
        return segments == 10 ? Math.min(10 * mss, Math.max(2 * mss, 14600)) : segments * mss;
    }

    /** cwnd never grows past this (an int window must not wrap after gigabytes without loss). */
    int MAX_CWND = 1 << 30;

    /** RFC 5681 §3.1 equation 2 with appropriate byte counting (RFC 3465, L = 1 SMSS), paced by HyStart++. */
    static void slowStart(final Tcb t, final int ackedBytes) {
        t.cwnd = (int) Math.min((long) t.cwnd + HyStart.increase(t, ackedBytes), MAX_CWND);
    }
}
