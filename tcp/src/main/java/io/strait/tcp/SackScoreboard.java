package io.strait.tcp;

import io.strait.tcp.wire.TcpSegment;

/**
 * The sender's SACK scoreboard (RFC 6675 §3, RFC 2018 §4): what the receiver reported holding above SND.UNA, as a
 * {@link RangeSet} with a running byte sum, and the per-segment SACKED marks of {@link SentSegments} that RACK
 * reads. D-SACK blocks (RFC 2883 §4) are recognised and handed back, never recorded. Static methods over the
 * {@link Tcb}; nothing allocated.
 */
final class SackScoreboard {
    /** {@link #update} result bits. */
    static final int NEWLY_SACKED = 1;
    static final int DSACK = 2;
    /** {@link #update} result: bit {@code NEW_BLOCK << b} when block b was recorded (it was not covered before). */
    static final int NEW_BLOCK = 1 << 8;

    private SackScoreboard() {
    }

    /**
     * Takes the SACK blocks of an acceptable ACK. Every block is hostile input: it is clipped to
     * [SND.UNA, SND.MAX) (RFC 6675 §3 ignores blocks outside it) before it can touch the scoreboard.
     *
     * @return {@link #NEWLY_SACKED} and / or {@link #DSACK}, and {@link #NEW_BLOCK} shifted by the index of each
     *         block that was recorded; the D-SACK range is left in {@code t.dsackInL/R}
     */
    static int update(final Tcb t, final TcpSegment s, final int ack) {
        int result = 0;
        int firstBlock = 0;
        if (s.sackCount > 0) {
            final int l0 = s.sackLeft[0];
            final int r0 = s.sackRight[0];
            // RFC 2883 §4: the first block is a D-SACK when it lies below the cumulative ACK, or inside the second.
            if (Seq.lt(l0, r0) && (Seq.le(r0, ack)
                || (s.sackCount > 1 && Seq.ge(l0, s.sackLeft[1]) && Seq.le(r0, s.sackRight[1])))) {
                // Only a range we actually sent (within one window below SND.UNA) is believed.
                if (Seq.ge(l0, t.sndUna - t.maxSndWnd) && Seq.le(r0, t.sndMax)) {
                    t.dsackInL = l0;
                    t.dsackInR = r0;
                    result |= DSACK;
                }
                firstBlock = 1;
            }
        }
        // The floor is the higher of the ACK and SND.UNA: an old ACK (below SND.UNA, still acceptable) must not
        // SACK bytes already acknowledged (found by fuzzing: a block clipped only to such an ACK put 13 KB below
        // SND.UNA on the scoreboard, more than the whole flight).
        final int floor = floor(t, ack);
        for (int b = firstBlock; b < s.sackCount; b++) {
            int l = s.sackLeft[b];
            final int r = s.sackRight[b];
            // As Linux's tcp_is_sackblock_valid: a block ending beyond SND.MAX, or not ending above the cumulative
            // ACK, or empty or inverted, is invalid; one starting below the ACK is clipped to it.
            if (!Seq.lt(l, r) || Seq.gt(r, t.sndMax) || !Seq.gt(r, floor)) {
                continue;
            }
            if (Seq.lt(l, floor)) {
                l = floor;
            }
            if (!t.sacked.covers(l, r) && t.sacked.add(l, r, true)) {
                result |= NEWLY_SACKED | (NEW_BLOCK << b);
            }
        }
        return result;
    }

    /** The lowest sequence number a block of an ACK for {@code ack} may SACK: the higher of the ACK and SND.UNA. */
    static int floor(final Tcb t, final int ack) {
        return Seq.gt(ack, t.sndUna) ? ack : t.sndUna;
    }

    /** Forgets what the cumulative ACK now covers. */
    static void prune(final Tcb t) {
        t.sacked.removeBelow(t.sndUna);
    }

    /**
     * RFC 6675 §4 SetPipe with RACK's lost marks (RFC 8985 §6.2, as Linux's packets_in_flight): the bytes sent and
     * not acknowledged, less what the receiver SACKed, less what is marked lost and not yet sent again.
     */
    static int pipe(final Tcb t) {
        final int p = (t.sndMax - t.sndUna) - t.sackedBytes - t.lostBytes;
        return Math.max(p, 0);
    }

    /** Reneging (RFC 2018 §8): the receiver may discard what it SACKed; forget the scoreboard and its marks. */
    static void clear(final Tcb t, final SentSegments log) {
        t.sacked.clear();
        log.clearMarks(t);
    }
}
