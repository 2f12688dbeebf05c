package io.strait.tcp;

/**
 * Delivery-rate samples (draft-cheng-iccrg-delivery-rate-estimation §3, as Linux's tcp_rate.c): for each ACK, the
 * bytes delivered between the sending of the most recently sent segment it covers and now, over the longer of
 * the send and ACK intervals. One reusable sample per engine; methods over the {@link Tcb} and the transmit
 * record. Nothing allocated.
 */
final class DeliveryRate {
    private final SentSegments log;
    /** The sample of the ACK being processed. */
    long priorDelivered = -1;
    private long priorTimeNs;
    private long sendElapsedNs;
    private long ackElapsedNs;
    boolean appLimited;
    /** Bytes per second, or -1 when this ACK gave no valid sample. */
    long rateBytesPerSec = -1;
    long intervalNs;
    long deliveredBytes;

    DeliveryRate(final SentSegments log) {
        this.log = log;
    }

    /** A new ACK: no sample yet. */
    void start() {
        priorDelivered = -1;
        rateBytesPerSec = -1;
        intervalNs = 0;
        deliveredBytes = 0;
        appLimited = false;
    }

    /** A record was newly ACKed or SACKed (§3.3, "UpdateRateSample"). */
    void onDelivered(final Tcb t, final int a, final long nowNs) {
        final int len = log.end(a) - log.start(a);
        t.deliveredBytes += len;
        t.deliveredTimeNs = nowNs;
        final long recDelivered = log.delivered(a);
        if (recDelivered >= priorDelivered) {
            // The most recently sent segment delivered so far by this ACK defines the interval.
            priorDelivered = recDelivered;
            priorTimeNs = log.deliveredNs(a);
            appLimited = (log.flags(a) & SentSegments.APP_LIMITED) != 0;
            sendElapsedNs = log.xmitNs(a) - log.firstTxNs(a);
            ackElapsedNs = nowNs - priorTimeNs;
            t.firstTxNs = log.xmitNs(a);
        }
    }

    /** After every delivered record of the ACK (§3.4, "GenerateRateSample"). */
    void finish(final Tcb t, final long minRttNs) {
        if (t.appLimitedUntil != 0 && t.deliveredBytes > t.appLimitedUntil) {
            t.appLimitedUntil = 0; // the application-limited bubble has been ACKed
        }
        if (priorDelivered < 0) {
            return;
        }
        deliveredBytes = t.deliveredBytes - priorDelivered;
        intervalNs = Math.max(sendElapsedNs, ackElapsedNs);
        // An interval shorter than the minimum RTT is an artefact (ACK compression, stretched ACKs): no sample.
        if (intervalNs <= 0 || (minRttNs != Long.MAX_VALUE && intervalNs < minRttNs) || deliveredBytes <= 0) {
            return;
        }
        rateBytesPerSec = deliveredBytes * 1_000_000_000L / intervalNs;
    }
}
