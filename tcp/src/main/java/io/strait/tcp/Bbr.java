package io.strait.tcp;

/**
 * BBR congestion control, version 1, as Linux's tcp_bbr.c (draft-cardwell-iccrg-bbr-congestion-control-00):
 * a model of the path (bottleneck bandwidth = windowed maximum of delivery-rate samples over 10 rounds, RTprop =
 * minimum RTT over 10 s) sets cwnd to a gain times the bandwidth-delay product. Random loss does not shrink the
 * model: only packet conservation during the first round of a recovery, as Linux. Strait does not pace: the
 * pacing gains only drive the gain cycle, cwnd alone bounds the flight. Gains are in units of 1/256 (BBR_UNIT).
 */
final class Bbr implements CongestionControl {
    static final int STARTUP = 0;
    static final int DRAIN = 1;
    static final int PROBE_BW = 2;
    static final int PROBE_RTT = 3;
    static final int UNIT = 256;
    /** Rounds the bandwidth filter spans (bbr_bw_rtts = CYCLE_LEN + 2). */
    static final int BW_ROUNDS = 10;
    /** 2/ln(2): the smallest gain that doubles the sending rate each round (bbr_high_gain). */
    static final int HIGH_GAIN = UNIT * 2885 / 1000 + 1;
    static final int DRAIN_GAIN = UNIT * 1000 / 2885;
    static final int CWND_GAIN = UNIT * 2;
    static final int[] PACING_GAIN = {UNIT * 5 / 4, UNIT * 3 / 4, UNIT, UNIT, UNIT, UNIT, UNIT, UNIT};
    static final long MIN_RTT_WINDOW_NS = 10_000_000_000L;
    static final long PROBE_RTT_NS = 200_000_000L;
    static final int CWND_MIN_SEGMENTS = 4;
    /** bbr_full_bw_thresh 1.25 and bbr_full_bw_cnt 3. */
    static final int FULL_BW_THRESH = UNIT * 5 / 4;
    static final int FULL_BW_COUNT = 3;
    /** GSO_MAX_SIZE: the largest send quantum tcp_tso_autosize allows. */
    static final long MAX_QUANTUM_BYTES = 65536;

    @Override
    public boolean controlsCwnd() {
        return true;
    }

    @Override
    public void init(final Tcb t, final int initialWindowSegments) {
        CongestionControl.super.init(t, initialWindowSegments);
        t.bbrMode = STARTUP;
        t.bbrNextRoundDelivered = t.deliveredBytes;
        t.bbrMinRttNs = t.rttValid ? t.srttNs : Long.MAX_VALUE;
        t.bbrMinRttStampNs = Long.MIN_VALUE; // no sample yet: the 10 s window starts with the first
    }

    @Override
    public void onAck(final Tcb t, final int ackedBytes, final long nowNs) {
        // cwnd is set by onRateSample on every ACK.
    }

    /** bbr_ssthresh: entering recovery only saves cwnd; the model is not cut. */
    @Override
    public void onEnterRecovery(final Tcb t, final long nowNs) {
        saveCwnd(t);
    }

    @Override
    public void onExitRecovery(final Tcb t, final long nowNs) {
        // The next ACK restores cwnd (onRateSample sees the state change).
    }

    /** tcp_enter_loss with bbr_ssthresh: cwnd saved, restarts from one segment, restored when the loss ends. */
    @Override
    public void onRto(final Tcb t, final long nowNs) {
        saveCwnd(t);
        t.cwnd = t.sndMss;
        t.bbrFullBw = 0;
        t.bbrFullBwCount = 0;
        t.bbrRoundStart = true;
    }

    private static void saveCwnd(final Tcb t) {
        if (!t.bbrConservation && t.bbrMode != PROBE_RTT && !t.inRecovery && !t.inLoss) {
            t.bbrPriorCwnd = t.cwnd;
        } else {
            t.bbrPriorCwnd = Math.max(t.bbrPriorCwnd, t.cwnd);
        }
    }

    static long maxBw(final Tcb t) {
        long m = 0;
        for (final long b : t.bbrBw) {
            m = Math.max(m, b);
        }
        return m;
    }

    /**
     * The flight that fills the pipe times {@code gain}: bw · min_rtt · gain (bbr_bdp) plus the quantization budget
     * of bbr_quantization_budget, three send quanta (bbr_tso_segs_goal: about 1 ms of data at the estimated
     * rate, 2 to 64 KB worth of segments), so a path with a microsecond RTT still keeps a few bursts in flight.
     */
    static long target(final Tcb t, final long bw, final int gain) {
        if (t.bbrMinRttNs == Long.MAX_VALUE || bw == 0) {
            return 10L * t.sndMss; // no model yet: the initial window (TCP_INIT_CWND)
        }
        final long bdp = bw * t.bbrMinRttNs / 1_000_000_000L;
        return bdp * gain / UNIT + 3L * quantumSegments(t, bw) * t.sndMss;
    }

    /** bbr_tso_segs_goal with tcp_tso_autosize: bw >> 10 (about 1 ms) in segments, within [2, 64 KB / MSS]. */
    static long quantumSegments(final Tcb t, final long bw) {
        final long mss = Math.max(t.sndMss, 1);
        return Math.max(2, Math.min((bw >> 10) / mss, MAX_QUANTUM_BYTES / mss));
    }

    /**
     * bbr_main: one ACK's rate sample updates the model and sets cwnd.
     *
     * @param rs          the ACK's delivery-rate sample
     * @param ackedBytes  bytes newly delivered (ACKed or SACKed)
     * @param lostBytes   bytes newly marked lost by this ACK
     * @param rttNs       this ACK's RTT sample, or -1
     * @param inflight    pipe after this ACK
     * @param inRecovery  fast recovery or RTO recovery
     */
    void onRateSample(final Tcb t, final DeliveryRate rs, final int ackedBytes, final int lostBytes, final long rttNs,
        final int inflight, final boolean inRecovery, final boolean wasInRecovery, final long nowNs) {
        updateBw(t, rs);
        updateCycle(t, rs, lostBytes, inflight, nowNs);
        checkFullBw(t, rs);
        checkDrain(t, inflight);
        updateMinRtt(t, rttNs, inflight, nowNs);
        setCwnd(t, ackedBytes, lostBytes, inflight, inRecovery, wasInRecovery);
    }

    private static void updateBw(final Tcb t, final DeliveryRate rs) {
        t.bbrRoundStart = false;
        if (rs.priorDelivered < 0 || rs.rateBytesPerSec < 0) {
            return;
        }
        if (rs.priorDelivered >= t.bbrNextRoundDelivered) {
            t.bbrNextRoundDelivered = t.deliveredBytes;
            t.bbrRound++;
            t.bbrRoundStart = true;
            t.bbrConservation = false;
            t.bbrBw[(int) (t.bbrRound % BW_ROUNDS)] = 0; // this round's slot starts afresh
        }
        final long bw = rs.rateBytesPerSec;
        if (!rs.appLimited || bw >= maxBw(t)) {
            final int slot = (int) (t.bbrRound % BW_ROUNDS);
            t.bbrBw[slot] = Math.max(t.bbrBw[slot], bw);
        }
    }

    private static void updateCycle(final Tcb t, final DeliveryRate rs, final int lostBytes, final int inflight,
        final long nowNs) {
        if (t.bbrMode != PROBE_BW) {
            return;
        }
        final boolean fullLength = t.bbrMinRttNs != Long.MAX_VALUE && nowNs - t.bbrCycleStampNs > t.bbrMinRttNs;
        final int gain = PACING_GAIN[t.bbrCycleIdx];
        final boolean next;
        if (gain == UNIT) {
            next = fullLength;
        } else if (gain > UNIT) {
            next = fullLength && (lostBytes > 0 || inflight >= target(t, maxBw(t), gain));
        } else {
            next = fullLength || inflight <= target(t, maxBw(t), UNIT);
        }
        if (next) {
            t.bbrCycleIdx = (t.bbrCycleIdx + 1) % PACING_GAIN.length;
            t.bbrCycleStampNs = nowNs;
        }
    }

    private static void checkFullBw(final Tcb t, final DeliveryRate rs) {
        if (t.bbrFullBwReached || !t.bbrRoundStart || rs.appLimited) {
            return;
        }
        final long bw = maxBw(t);
        if (bw >= t.bbrFullBw * FULL_BW_THRESH / UNIT) {
            t.bbrFullBw = bw;
            t.bbrFullBwCount = 0;
            return;
        }
        if (++t.bbrFullBwCount >= FULL_BW_COUNT) {
            t.bbrFullBwReached = true;
        }
    }

    private static void checkDrain(final Tcb t, final int inflight) {
        if (t.bbrMode == STARTUP && t.bbrFullBwReached) {
            t.bbrMode = DRAIN;
            t.ssthresh = (int) Math.min(target(t, maxBw(t), UNIT), MAX_CWND);
        }
        if (t.bbrMode == DRAIN && inflight <= target(t, maxBw(t), UNIT)) {
            enterProbeBw(t);
        }
    }

    private static void enterProbeBw(final Tcb t) {
        t.bbrMode = PROBE_BW;
        // Linux starts at a random phase other than the 3/4 one; the delivered count is random enough here.
        t.bbrCycleIdx = 2 + (int) (t.deliveredBytes % (PACING_GAIN.length - 2));
        t.bbrCycleStampNs = 0;
    }

    private static void updateMinRtt(final Tcb t, final long rttNs, final int inflight, final long nowNs) {
        if (t.bbrMinRttStampNs == Long.MIN_VALUE) {
            if (rttNs >= 0) {
                t.bbrMinRttNs = rttNs;
                t.bbrMinRttStampNs = nowNs;
            }
            return;
        }
        final boolean expired = nowNs - t.bbrMinRttStampNs > MIN_RTT_WINDOW_NS;
        if (rttNs >= 0 && (rttNs < t.bbrMinRttNs || expired)) {
            t.bbrMinRttNs = rttNs;
            t.bbrMinRttStampNs = nowNs;
        }
        if (expired && t.bbrMode != PROBE_RTT && t.bbrMinRttStampNs != nowNs) {
            t.bbrMode = PROBE_RTT;
            saveCwnd(t);
            t.bbrProbeRttDoneNs = 0;
        }
        if (t.bbrMode == PROBE_RTT) {
            if (t.bbrProbeRttDoneNs == 0 && inflight <= CWND_MIN_SEGMENTS * t.sndMss) {
                t.bbrProbeRttDoneNs = nowNs + PROBE_RTT_NS;
                t.bbrProbeRttRoundDone = false;
                t.bbrNextRoundDelivered = t.deliveredBytes;
            } else if (t.bbrProbeRttDoneNs != 0) {
                if (t.bbrRoundStart) {
                    t.bbrProbeRttRoundDone = true;
                }
                if (t.bbrProbeRttRoundDone && nowNs > t.bbrProbeRttDoneNs) {
                    t.bbrMinRttStampNs = nowNs;
                    t.cwnd = Math.max(t.cwnd, t.bbrPriorCwnd);
                    if (t.bbrFullBwReached) {
                        enterProbeBw(t);
                    } else {
                        t.bbrMode = STARTUP;
                    }
                }
            }
        }
    }

    private static void setCwnd(final Tcb t, final int acked, final int lostBytes, final int inflight,
        final boolean inRecovery, final boolean wasInRecovery) {
        final int min = CWND_MIN_SEGMENTS * t.sndMss;
        long cwnd = t.cwnd;
        boolean conserve = false;
        if (acked > 0) {
            // bbr_set_cwnd_to_recover_or_restore: losses come off cwnd; the first round of a recovery conserves
            // packets (cwnd = inflight + acked); leaving recovery restores the cwnd saved on entry.
            if (lostBytes > 0) {
                cwnd = Math.max(cwnd - lostBytes, t.sndMss);
            }
            if (inRecovery && !wasInRecovery) {
                t.bbrConservation = true;
                t.bbrNextRoundDelivered = t.deliveredBytes;
                cwnd = (long) inflight + acked;
            } else if (!inRecovery && wasInRecovery) {
                cwnd = Math.max(cwnd, t.bbrPriorCwnd);
                t.bbrConservation = false;
            }
            if (t.bbrConservation) {
                cwnd = Math.max(cwnd, (long) inflight + acked);
                conserve = true;
            }
        }
        if (!conserve && acked > 0) {
            final long target = target(t, maxBw(t), t.bbrMode == STARTUP || t.bbrMode == DRAIN ? HIGH_GAIN : CWND_GAIN);
            if (t.bbrFullBwReached) {
                cwnd = Math.min(cwnd + acked, target);
            } else if (cwnd < target || t.deliveredBytes < 10L * t.sndMss) {
                cwnd += acked;
            }
            cwnd = Math.max(cwnd, min);
        }
        if (t.bbrMode == PROBE_RTT) {
            cwnd = Math.min(cwnd, min);
        }
        t.cwnd = (int) Math.min(Math.max(cwnd, t.sndMss), MAX_CWND);
    }
}
