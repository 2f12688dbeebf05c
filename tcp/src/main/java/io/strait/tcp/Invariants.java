package io.strait.tcp;

/**
 * What must hold for every live TCB whatever a peer sends (issue 10): windows, cwnd and timers in range, the
 * scoreboards and rings within their bounds, sequence variables ordered. Used by the hostile-peer simulation
 * after every segment; cheap enough for tests, never called on the data path.
 */
final class Invariants {
    private Invariants() {
    }

    /** @return a description of the first violation, or null */
    static String check(final Tcb[] tcbs, final TcpConfig cfg, final SentSegments log) {
        for (final Tcb t : tcbs) {
            if (t.state == TcpState.CLOSED) {
                continue;
            }
            String v = check(t, cfg);
            if (v == null) {
                v = records(t, log);
            }
            if (v != null) {
                return "slot " + t.slot + " " + TcpState.name(t.state) + ": " + v;
            }
        }
        return null;
    }

    static String check(final Tcb t, final TcpConfig cfg) {
        if (TcpState.isSynchronized(t.state) && t.state != TcpState.TIME_WAIT) {
            if (t.cwnd <= 0 || t.cwnd > CongestionControl.MAX_CWND) {
                return "cwnd " + t.cwnd;
            }
            if (t.sndWnd < 0 || t.maxSndWnd < 0 || t.rcvWnd < 0) {
                return "window snd " + t.sndWnd + " max " + t.maxSndWnd + " rcv " + t.rcvWnd;
            }
            if (t.sndMss < Input.MIN_MSS || t.sndMss > cfg.mss) {
                return "sndMss " + t.sndMss;
            }
            if (t.mtupOn && (t.mtupLow < Input.MIN_MSS || t.mtupLow > t.mtupHigh || t.mtupHigh > t.mtupMax
                || t.mtupMax > cfg.mss || t.sndMss > t.mtupMax
                || (t.mtupProbeMss != 0 && (t.mtupProbeMss <= t.mtupLow || t.mtupProbeMss > t.mtupHigh)))) {
                return "MTU search low " + t.mtupLow + " high " + t.mtupHigh + " max " + t.mtupMax + " probe "
                    + t.mtupProbeMss + " sndMss " + t.sndMss;
            }
        }
        if (t.rtoNs < 0 || t.rtoNs > cfg.rtoMaxNs || (t.rttValid && t.rtoNs < cfg.rtoMinNs)) {
            return "rto " + t.rtoNs;
        }
        if (Seq.gt(t.sndUna, t.sndNxt) || Seq.gt(t.sndNxt, t.sndMax)) {
            return "SND.UNA " + t.sndUna + " SND.NXT " + t.sndNxt + " SND.MAX " + t.sndMax;
        }
        final int flight = t.sndMax - t.sndUna;
        if (t.lostBytes < 0 || t.lostBytes > flight) {
            return "lost bytes " + t.lostBytes + " of a flight of " + flight;
        }
        if (t.sacked.sum() < 0 || t.sacked.sum() > flight || t.sacked.count() > t.sacked.capacity()) {
            return "SACKed " + t.sacked.sum() + " in " + t.sacked.count() + " ranges, flight " + flight;
        }
        if (t.sackedBytes < 0 || t.sackedBytes > flight) {
            return "SACK-marked bytes " + t.sackedBytes + " of a flight of " + flight;
        }
        if (t.segCount < 0 || (t.segCap > 0 && t.segCount > t.segCap)) {
            return "records " + t.segCount + " of " + t.segCap;
        }
        if (t.sndLen < 0 || t.sndLen > t.sndCap || t.rcvLen < 0 || t.rcvLen > t.rcvCap) {
            return "rings snd " + t.sndLen + "/" + t.sndCap + " rcv " + t.rcvLen + "/" + t.rcvCap;
        }
        if (t.ooo.count() > t.ooo.capacity() || t.ooo.sum() < 0) {
            return "out-of-order ranges " + t.ooo.count();
        }
        if (t.persistBackoff < 0 || t.persistBackoff > 30) {
            return "persist backoff " + t.persistBackoff;
        }
        return null;
    }

    /**
     * The transmit records: in sequence order within [SND.UNA, SND.MAX], their marks summing to the lost and SACKed
     * counts, and every record the SACK scoreboard covers marked SACKed (Recovery walks only a new block's
     * records, so a covered record left unmarked would stay so, and RACK would resend it).
     */
    static String records(final Tcb t, final SentSegments log) {
        long lost = 0;
        long sacked = 0;
        int prevEnd = t.sndUna;
        for (int i = 0; i < t.segCount; i++) {
            final int a = log.at(t, i);
            final int st = log.start(a);
            final int en = log.end(a);
            if (!Seq.lt(st, en) || Seq.lt(st, prevEnd) || Seq.gt(en, t.sndMax)) {
                return "record " + i + " [" + st + ", " + en + ") after " + prevEnd + ", SND.MAX " + t.sndMax;
            }
            prevEnd = en;
            final int f = log.flags(a);
            if ((f & SentSegments.LOST) != 0) {
                lost += en - st;
            }
            if ((f & SentSegments.SACKED) != 0) {
                sacked += en - st;
            } else if (t.sacked.covers(st, en)) {
                return "record " + i + " [" + st + ", " + en + ") covered by the scoreboard but not marked SACKed";
            }
        }
        if (lost != t.lostBytes || sacked != t.sackedBytes) {
            return "marks lost " + lost + " SACKed " + sacked + " against counts " + t.lostBytes + " / "
                + t.sackedBytes;
        }
        return null;
    }
}
