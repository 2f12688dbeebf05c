package io.strait.dataplane;

import org.HdrHistogram.Histogram;

/**
 * The hiccup recorder of one core (as jHiccup does for a JVM): the gap between the end of one duty cycle and the
 * start of the next, and the time each cycle that did work took, in two HdrHistograms (recording allocates nothing),
 * published into the core's counters once a second for {@code strait stat}.
 *
 * <p>An idle cycle (nothing received, nothing to send, no timer) reads the clock once, at its start: it is recorded
 * by {@link #idle} as ending where it started, so its few tens of nanoseconds count in the next gap, and the cycle
 * histogram holds only cycles that did work (what a tail hunt wants to see). Two clock reads less per idle cycle is
 * about 55 ns less between polls of the port on a VM's kvm-clock, and that much less latency for a frame that
 * arrives while the loop is idle.
 *
 * <p>What it tells apart: a long <em>gap</em> means the poll thread did not run its loop (preempted, stopped at a
 * JVM safepoint or by a GC pause, or, in invoker mode, busy with the app's tasks between cycles); a long
 * <em>cycle</em> means the work itself was long (a handler, a timer-wheel burst), and a long TX flush is counted
 * on its own. The JVM-wide side (safepoint and GC time) is published by {@link JvmPauses}.
 */
final class CycleRecorder {
    static final long PUBLISH_INTERVAL_NS = 1_000_000_000L;
    static final long STALL_NS = 1_000_000L;
    static final long LONG_CYCLE_NS = 1_000_000L;
    static final long LONG_TX_NS = 100_000L;
    /** Values are clamped to one minute: a histogram never resizes (no allocation). */
    static final long MAX_NS = 60_000_000_000L;

    private final Histogram gaps = new Histogram(MAX_NS, 2);
    private final Histogram cycles = new Histogram(MAX_NS, 2);
    private final DataplaneCounters c;
    private long lastEndNs;
    private long nextPublishNs;

    CycleRecorder(DataplaneCounters counters) {
        this.c = counters;
    }

    /** One cycle: it started at {@code startNs}, its TX flush took {@code txNs}, it ended at {@code endNs}. */
    void cycle(long startNs, long txNs, long endNs) {
        gapBefore(startNs, endNs);
        final long took = endNs - startNs;
        cycles.recordValue(clamp(took));
        if (took > LONG_CYCLE_NS) {
            c.longCycles.incrementRelease();
        }
        if (txNs > LONG_TX_NS) {
            c.longTx.incrementRelease();
        }
        ended(endNs);
    }

    /** An idle cycle that started (and, as far as the recorder cares, ended) at {@code startNs}. */
    void idle(long startNs) {
        gapBefore(startNs, startNs);
        ended(startNs);
    }

    /** The gap since the last cycle ended (none before the first cycle, which starts the publishing clock). */
    private void gapBefore(long startNs, long endNs) {
        if (lastEndNs != 0) {
            final long gap = startNs - lastEndNs;
            gaps.recordValue(clamp(gap));
            if (gap > STALL_NS) {
                c.stalls.incrementRelease();
            }
        } else {
            nextPublishNs = endNs + PUBLISH_INTERVAL_NS;
        }
    }

    private void ended(long endNs) {
        lastEndNs = endNs;
        if (endNs - nextPublishNs >= 0) {
            nextPublishNs = endNs + PUBLISH_INTERVAL_NS;
            publish();
        }
    }

    /** Percentiles and maxima since start into the counters (iterates the histograms: no allocation). */
    void publish() {
        c.gapP50.setRelease(gaps.getValueAtPercentile(50));
        c.gapP99.setRelease(gaps.getValueAtPercentile(99));
        c.gapP999.setRelease(gaps.getValueAtPercentile(99.9));
        c.gapMax.setRelease(gaps.getMaxValue());
        c.cycleP50.setRelease(cycles.getValueAtPercentile(50));
        c.cycleP99.setRelease(cycles.getValueAtPercentile(99));
        c.cycleP999.setRelease(cycles.getValueAtPercentile(99.9));
        c.cycleMax.setRelease(cycles.getMaxValue());
    }

    long gapCount() {
        return gaps.getTotalCount();
    }

    /** Cycles recorded as having done work. */
    long workingCycles() {
        return cycles.getTotalCount();
    }

    private static long clamp(long ns) {
        return ns < 0 ? 0 : Math.min(ns, MAX_NS);
    }
}
