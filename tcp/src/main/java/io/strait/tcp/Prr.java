package io.strait.tcp;

/**
 * RFC 6937 Proportional Rate Reduction: during fast recovery cwnd follows the ACK clock down to ssthresh, sending
 * ssthresh/RecoverFS of what is delivered while pipe is above ssthresh, and at most slow start (PRR-SSRB) below
 * it. Static methods over the {@link Tcb}; arithmetic in {@code long} (products of windows overflow an int).
 */
final class Prr {
    private Prr() {
    }

    /** RFC 6937 §3 "at the beginning of recovery": RecoverFS = pipe (the 2023 update; Linux uses packets out). */
    static void start(final Tcb t, final int pipe) {
        t.prrDelivered = 0;
        t.prrOut = 0;
        t.recoverFs = Math.max(pipe, 1);
    }

    /**
     * RFC 6937 §3 "on every ACK during recovery": sets cwnd = pipe + sndcnt.
     *
     * @param deliveredData bytes newly delivered to the receiver by this ACK (SND.UNA advance plus newly SACKed)
     * @param pipe          RFC 6675 pipe after this ACK
     */
    static void onAck(final Tcb t, final int deliveredData, final int pipe, final int mss) {
        if (deliveredData > 0) {
            t.prrDelivered += deliveredData;
        }
        final long ssthresh = t.ssthresh;
        long sndcnt;
        if (pipe > ssthresh) {
            // Proportional rate reduction: sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out.
            final long fs = Math.max(t.recoverFs, 1);
            sndcnt = (t.prrDelivered * ssthresh + fs - 1) / fs - t.prrOut;
        } else {
            // PRR-SSRB: limit = MAX(prr_delivered - prr_out, DeliveredData) + MSS.
            final long limit = Math.max(t.prrDelivered - t.prrOut, Math.max(deliveredData, 0)) + mss;
            sndcnt = Math.min(ssthresh - pipe, limit);
        }
        if (sndcnt < 0) {
            sndcnt = 0;
        }
        // "cwnd = pipe + sndcnt"; at least one segment may always go (Linux: a retransmission is never starved).
        final long cwnd = Math.max((long) pipe + sndcnt, pipe == 0 ? mss : 0);
        t.cwnd = (int) Math.min(Math.max(cwnd, 1), CongestionControl.MAX_CWND);
    }

    /** RFC 6937 §3 "on any data transmission or retransmission": prr_out += data sent. */
    static void onSent(final Tcb t, final int bytes) {
        if (t.inRecovery) {
            t.prrOut += bytes;
        }
    }
}
