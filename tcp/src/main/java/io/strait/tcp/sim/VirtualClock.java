package io.strait.tcp.sim;

/** Simulated time in nanoseconds, advanced only by hand (tests) or by the {@link SimWire} event loop. */
public final class VirtualClock {
    private long nowNs;

    public VirtualClock(final long startNs) {
        this.nowNs = startNs;
    }

    public long nowNs() {
        return nowNs;
    }

    /** Moves time forward to {@code tNs}; time never goes back. */
    public void advanceTo(final long tNs) {
        if (tNs > nowNs) {
            nowNs = tNs;
        }
    }

    public void advanceBy(final long deltaNs) {
        nowNs += deltaNs;
    }
}
