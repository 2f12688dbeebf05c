package io.strait.tcp.sim;

/**
 * What the simulated wire does to segments, in both directions: fixed delay plus uniform jitter (jitter larger
 * than the spacing of segments reorders them), loss, duplication, corruption of one random byte (the receiver's
 * checksum must catch it) and a partition (everything dropped) for a time window. Probabilities are 0..1.
 */
public final class FaultPlan {
    public final long delayNs;
    public final long jitterNs;
    public final double loss;
    public final double duplicate;
    public final double corrupt;
    public final long partitionStartNs;
    public final long partitionEndNs;

    private FaultPlan(final Builder b) {
        delayNs = b.delayNs;
        jitterNs = b.jitterNs;
        loss = b.loss;
        duplicate = b.duplicate;
        corrupt = b.corrupt;
        partitionStartNs = b.partitionStartNs;
        partitionEndNs = b.partitionEndNs;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A perfect wire with the given one-way delay. */
    public static FaultPlan clean(final long delayNs) {
        return builder().delayNs(delayNs).build();
    }

    public boolean partitioned(final long nowNs) {
        return nowNs >= partitionStartNs && nowNs < partitionEndNs;
    }

    @Override
    public String toString() {
        return "FaultPlan{delayNs=" + delayNs + ", jitterNs=" + jitterNs + ", loss=" + loss + ", duplicate="
            + duplicate + ", corrupt=" + corrupt + ", partition=[" + partitionStartNs + ", " + partitionEndNs + ")}";
    }

    public static final class Builder {
        long delayNs = 1_000_000;
        long jitterNs;
        double loss;
        double duplicate;
        double corrupt;
        long partitionStartNs = Long.MAX_VALUE;
        long partitionEndNs = Long.MAX_VALUE;

        public Builder delayNs(final long v) { delayNs = v; return this; }
        public Builder jitterNs(final long v) { jitterNs = v; return this; }
        public Builder loss(final double v) { loss = v; return this; }
        public Builder duplicate(final double v) { duplicate = v; return this; }
        public Builder corrupt(final double v) { corrupt = v; return this; }
        public Builder partition(final long startNs, final long endNs) {
            partitionStartNs = startNs;
            partitionEndNs = endNs;
            return this;
        }

        public FaultPlan build() {
            return new FaultPlan(this);
        }
    }
}
