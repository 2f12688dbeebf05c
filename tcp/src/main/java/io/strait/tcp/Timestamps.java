package io.strait.tcp;

import io.strait.tcp.wire.TcpSegment;

/** RFC 7323 timestamps: the TSval clock and the one TS.Recent update rule (§4.3). Static, over the {@link Tcb}. */
final class Timestamps {
    /** RFC 7323 §5.4: the timestamp clock ticks every 1 ms here (allowed range 1 ms to 1 s). */
    static final long TICK_NS = 1_000_000L;
    /** RFC 7323 §5.5: PAWS does not apply to a connection idle for more than 24 days. */
    static final long PAWS_IDLE_NS = 24L * 24 * 3600 * 1_000_000_000L;

    private Timestamps() {
    }

    /** TSval now: the ms clock plus the connection's random offset (RFC 7323 §7.1). */
    static int now(final Tcb t, final long nowNs) {
        return (int) (nowNs / TICK_NS) + t.tsOffset;
    }

    /** RFC 7323 §4.3 (2): TS.Recent <- SEG.TSval when SEG.SEQ =< Last.ACK.sent (and timestamps are on). */
    static void updateRecent(final Tcb t, final TcpSegment s, final int seq, final long nowNs) {
        if (t.tsOn && s.hasTimestamps && Seq.le(seq, t.lastAckSent)) {
            t.tsRecent = s.tsVal;
            t.tsRecentNs = nowNs;
        }
    }

    /** RFC 7323 §5.3 R1: PAWS rejects a segment whose TSval is older than TS.Recent (unless idle for 24 days). */
    static boolean pawsReject(final Tcb t, final TcpSegment s, final long nowNs) {
        return t.tsOn && s.hasTimestamps && Seq.lt(s.tsVal, t.tsRecent) && nowNs - t.tsRecentNs < PAWS_IDLE_NS;
    }
}
