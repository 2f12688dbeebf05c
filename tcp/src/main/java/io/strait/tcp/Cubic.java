package io.strait.tcp;

/**
 * CUBIC congestion control (RFC 9438). Windows are tracked in segments as doubles (no allocation); time in ns.
 */
final class Cubic implements CongestionControl {
    /** RFC 9438 §4.6: beta_cubic = 0.7. */
    static final double BETA = 0.7;
    /** RFC 9438 §5: C = 0.4. */
    static final double C = 0.4;
    /** RFC 9438 §4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta). */
    static final double ALPHA = 3.0 * (1 - BETA) / (1 + BETA);

    @Override
    public void onAck(final Tcb t, final int ackedBytes, final long nowNs) {
        if (t.cwnd < t.ssthresh) {
            CongestionControl.slowStart(t, ackedBytes);
            return;
        }
        final double mss = t.sndMss;
        final double cwndSeg = t.cwnd / mss;
        if (t.cubicEpochNs == 0) {
            // RFC 9438 §4.2: a congestion avoidance epoch starts; if no loss happened yet, W_max is the cwnd.
            t.cubicEpochNs = nowNs;
            if (t.cubicWmaxSeg < cwndSeg) {
                t.cubicWmaxSeg = cwndSeg;
                t.cubicK = 0;
            } else {
                // RFC 9438 §4.2 equation 2: K = cbrt((W_max - cwnd_epoch) / C).
                t.cubicK = Math.cbrt((t.cubicWmaxSeg - cwndSeg) / C);
            }
            t.cubicWEstSeg = cwndSeg;
        }
        final double rttS = (t.rttValid ? t.srttNs : 100_000_000L) / 1e9;
        final double tS = (nowNs - t.cubicEpochNs) / 1e9;
        // RFC 9438 §4.2 equation 1 evaluated at t + RTT (the target).
        final double d = tS + rttS - t.cubicK;
        double target = C * d * d * d + t.cubicWmaxSeg;
        // RFC 9438 §4.3: the Reno-friendly estimate, W_est += alpha * segments_acked / cwnd.
        t.cubicWEstSeg += ALPHA * (ackedBytes / mss) / cwndSeg;
        if (target < cwndSeg) {
            target = cwndSeg;
        } else if (target > 1.5 * cwndSeg) {
            target = 1.5 * cwndSeg;
        }
        double next;
        if (t.cubicWEstSeg > target) {
            next = t.cubicWEstSeg;
        } else {
            // RFC 9438 §4.4: cwnd += (target - cwnd) / cwnd per segment acknowledged.
            next = cwndSeg + (target - cwndSeg) / cwndSeg * (ackedBytes / mss);
        }
        final int nextBytes = (int) Math.min(Integer.MAX_VALUE / 2, next * mss);
        if (nextBytes > t.cwnd) {
            t.cwnd = nextBytes;
        }
    }

    @Override
    public void onEnterRecovery(final Tcb t, final long nowNs) {
        final int cwnd = t.cwnd;
        reduce(t);
        if (t.sackOn) {
            t.cwnd = cwnd; // PRR (RFC 6937) brings cwnd down to ssthresh over the recovery
        }
    }

    @Override
    public void onRto(final Tcb t, final long nowNs) {
        reduce(t);
        // RFC 9438 §4.8: after RTO, cwnd = 1 segment (RFC 5681) and the epoch restarts.
        t.cwnd = t.sndMss;
    }

    private static void reduce(final Tcb t) {
        final double cwndSeg = (double) t.cwnd / t.sndMss;
        // RFC 9438 §4.7 fast convergence.
        if (cwndSeg < t.cubicLastWmaxSeg) {
            t.cubicLastWmaxSeg = cwndSeg;
            t.cubicWmaxSeg = cwndSeg * (1 + BETA) / 2;
        } else {
            t.cubicLastWmaxSeg = cwndSeg;
            t.cubicWmaxSeg = cwndSeg;
        }
        // RFC 9438 §4.6: ssthresh = cwnd * beta_cubic, at least 2 segments.
        t.ssthresh = Math.max((int) (t.cwnd * BETA), 2 * t.sndMss);
        t.cwnd = t.ssthresh;
        t.cubicEpochNs = 0;
        t.bytesAckedCa = 0;
    }
}
