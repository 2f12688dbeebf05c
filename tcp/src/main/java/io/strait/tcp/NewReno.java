package io.strait.tcp;

/** NewReno congestion control (RFC 5681 §3.1, RFC 6582). */
final class NewReno implements CongestionControl {
    @Override
    public void onAck(final Tcb t, final int ackedBytes, final long nowNs) {
        if (t.cwnd < t.ssthresh) {
            CongestionControl.slowStart(t, ackedBytes);
            return;
        }
        // RFC 5681 §3.1: congestion avoidance, cwnd += SMSS once per cwnd of acknowledged bytes (RFC 3465 §2.1).
        t.bytesAckedCa += ackedBytes;
        if (t.bytesAckedCa >= t.cwnd) {
            t.bytesAckedCa -= t.cwnd;
            t.cwnd = Math.min(t.cwnd + t.sndMss, MAX_CWND);
        }
    }

    @Override
    public void onEnterRecovery(final Tcb t, final long nowNs) {
        // RFC 5681 §3.1 equation 4: ssthresh = max(FlightSize / 2, 2*SMSS).
        t.ssthresh = Math.max(t.flight() / 2, 2 * t.sndMss);
        // RFC 5681 §3.2 step 4 (RFC 6582 §3.2 step 2): cwnd = ssthresh + 3*SMSS (inflated; with SACK, PRR
        // (RFC 6937) sets cwnd on every ACK of the recovery instead).
        t.cwnd = t.sackOn ? t.cwnd : t.ssthresh + 3 * t.sndMss;
        t.bytesAckedCa = 0;
    }

    @Override
    public void onRto(final Tcb t, final long nowNs) {
        t.ssthresh = Math.max(t.flight() / 2, 2 * t.sndMss);
        t.cwnd = t.sndMss;
        t.bytesAckedCa = 0;
    }
}
