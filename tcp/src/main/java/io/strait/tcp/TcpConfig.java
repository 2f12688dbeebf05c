package io.strait.tcp;

/**
 * The engine's tunables: plain numbers, built once with {@link #builder()} and immutable after. Times are in
 * nanoseconds of the caller's clock ({@code nowNs}), sizes in bytes.
 */
public final class TcpConfig {
    /** Congestion control algorithms (one small interface, two implementations). */
    public static final int CC_NEWRENO = 0;
    public static final int CC_CUBIC = 1;
    public static final int CC_BBR = 2;

    public final int maxConnections;
    public final int listenBacklog;
    public final int sendBufferBytes;
    public final int receiveBufferBytes;
    /** Buffer autotuning: the size a ring grows to when the bandwidth-delay product needs it (0 = never grows). */
    public final int largeBufferBytes;
    /** Buffer autotuning: large rings per engine (the per-core memory budget, shared by both directions). */
    public final int largeBuffers;
    public final int mss;
    public final int windowScaleShift;
    public final boolean timestamps;
    public final boolean sack;
    public final boolean windowScale;
    public final boolean synCookies;
    public final long rtoMinNs;
    public final long rtoMaxNs;
    public final long rtoInitialNs;
    public final int maxRetransmits;
    public final int maxSynRetransmits;
    /** Retransmissions and zero-window probes an orphan (closed by the application) gets (Linux tcp_orphan_retries). */
    public final int orphanRetries;
    public final long delayedAckNs;
    public final boolean tailLossProbe;
    public final long tlpMinNs;
    public final boolean ackEverySecondSegment;
    public final boolean nagle;
    public final boolean keepalive;
    public final long keepaliveIdleNs;
    public final long keepaliveIntervalNs;
    public final int keepaliveCount;
    public final long finWait2TimeoutNs;
    public final long mslNs;
    public final long synReceivedTimeoutNs;
    public final int congestionControl;
    public final int initialWindowSegments;
    public final int challengeAckLimitPerSecond;
    public final int maxTimersPerPoll;
    public final long timerTickNs;
    public final long cookieSecretRotationNs;
    public final int ephemeralPortMin;
    public final int ephemeralPortMax;
    /** RFC 4821 packetization-layer PMTUD after a suspected black hole (Linux net.ipv4.tcp_mtu_probing = 1). */
    public final boolean mtuProbing;
    /** RFC 4821 §7.2: the MSS a black-holed connection falls back to (search_low; Linux tcp_base_mss). */
    public final int mtuProbeBaseMss;
    /** Consecutive retransmission timeouts after which a black hole is suspected (Linux tcp_retries1). */
    public final int mtuBlackholeRtos;
    /** How long after a finished search the path is probed again for a larger MTU (Linux tcp_probe_interval). */
    public final long mtuProbeIntervalNs;

    private TcpConfig(final Builder b) {
        maxConnections = b.maxConnections;
        listenBacklog = b.listenBacklog;
        sendBufferBytes = b.sendBufferBytes;
        receiveBufferBytes = b.receiveBufferBytes;
        largeBufferBytes = b.largeBufferBytes;
        largeBuffers = b.largeBuffers;
        mss = b.mss;
        windowScaleShift = b.windowScaleShift;
        timestamps = b.timestamps;
        sack = b.sack;
        windowScale = b.windowScale;
        synCookies = b.synCookies;
        rtoMinNs = b.rtoMinNs;
        rtoMaxNs = b.rtoMaxNs;
        rtoInitialNs = b.rtoInitialNs;
        maxRetransmits = b.maxRetransmits;
        maxSynRetransmits = b.maxSynRetransmits;
        orphanRetries = b.orphanRetries;
        delayedAckNs = b.delayedAckNs;
        tailLossProbe = b.tailLossProbe;
        tlpMinNs = b.tlpMinNs;
        ackEverySecondSegment = b.ackEverySecondSegment;
        nagle = b.nagle;
        keepalive = b.keepalive;
        keepaliveIdleNs = b.keepaliveIdleNs;
        keepaliveIntervalNs = b.keepaliveIntervalNs;
        keepaliveCount = b.keepaliveCount;
        finWait2TimeoutNs = b.finWait2TimeoutNs;
        mslNs = b.mslNs;
        synReceivedTimeoutNs = b.synReceivedTimeoutNs;
        congestionControl = b.congestionControl;
        initialWindowSegments = b.initialWindowSegments;
        challengeAckLimitPerSecond = b.challengeAckLimitPerSecond;
        maxTimersPerPoll = b.maxTimersPerPoll;
        timerTickNs = b.timerTickNs;
        cookieSecretRotationNs = b.cookieSecretRotationNs;
        ephemeralPortMin = b.ephemeralPortMin;
        ephemeralPortMax = b.ephemeralPortMax;
        mtuProbing = b.mtuProbing;
        mtuProbeBaseMss = b.mtuProbeBaseMss;
        mtuBlackholeRtos = b.mtuBlackholeRtos;
        mtuProbeIntervalNs = b.mtuProbeIntervalNs;
        if (mtuProbeBaseMss < MtuProbing.FLOOR_MSS || mtuProbeBaseMss > 65535 || mtuBlackholeRtos < 1
            || mtuProbeIntervalNs < 0) {
            throw new IllegalArgumentException("mtuProbeBaseMss must be " + MtuProbing.FLOOR_MSS
                + "..65535, mtuBlackholeRtos >= 1 and mtuProbeIntervalNs >= 0");
        }
        if (maxConnections < 1 || sendBufferBytes < 2 * mss || receiveBufferBytes < 2 * mss) {
            throw new IllegalArgumentException("maxConnections >= 1 and buffers >= 2*mss required");
        }
        if (largeBuffers < 0 || largeBufferBytes < 0
            || (largeBuffers > 0 && (largeBufferBytes < sendBufferBytes || largeBufferBytes < receiveBufferBytes))) {
            throw new IllegalArgumentException("large buffers must be at least the send and receive buffers");
        }
        if (windowScaleShift < 0 || windowScaleShift > 14) {
            throw new IllegalArgumentException("windowScaleShift must be 0..14 (RFC 7323 §2.3)");
        }
        if (rtoMinNs <= 0 || rtoMinNs > rtoMaxNs || rtoInitialNs <= 0 || tlpMinNs < 0) {
            throw new IllegalArgumentException("0 < rtoMinNs <= rtoMaxNs, rtoInitialNs > 0 and tlpMinNs >= 0 required");
        }
        if (delayedAckNs < 0 || delayedAckNs >= 500_000_000L) {
            // RFC 9293 §3.8.6.3 (MUST-40): "the delay MUST be less than 0.5 seconds".
            throw new IllegalArgumentException("delayedAckNs must be 0 <= d < 500 ms (RFC 9293 §3.8.6.3, MUST-40)");
        }
        if (Long.bitCount(timerTickNs) != 1) {
            throw new IllegalArgumentException("timerTickNs must be a power of two");
        }
        // A receive buffer larger than 65535 << shift is fine: the advertised window is capped (RFC 7323 §2.3).
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Bytes of one large ring's chunk (the ring and its transmit records). */
    public static long largeChunkBytes(final int largeBufferBytes) {
        return largeBufferBytes + (long) SentSegments.capacityFor(largeBufferBytes) * SentSegments.RECORD_BYTES;
    }

    /** How many large rings a per-core budget of {@code budgetBytes} holds. */
    public static int largeBuffersFor(final long budgetBytes, final int largeBufferBytes) {
        return largeBufferBytes <= 0 ? 0 : (int) Math.min(budgetBytes / largeChunkBytes(largeBufferBytes), 1 << 20);
    }

    /** The engine's off-heap slab: a chunk per connection plus the large rings; at most 2 GiB. */
    public long slabBytes() {
        final long small = sendBufferBytes + (long) receiveBufferBytes
            + (long) SentSegments.capacityFor(sendBufferBytes) * SentSegments.RECORD_BYTES;
        return small * maxConnections + (largeBuffers > 0 ? largeChunkBytes(largeBufferBytes) * largeBuffers : 0);
    }

    /** Two times the MSL: how long TIME_WAIT lasts (RFC 9293 §3.4.2). */
    public long timeWaitNs() {
        return 2 * mslNs;
    }

    public static final class Builder {
        int maxConnections = 1024;
        int listenBacklog = 128;
        int sendBufferBytes = 256 * 1024;
        int receiveBufferBytes = 256 * 1024;
        int largeBufferBytes = 0;
        int largeBuffers = 0;
        /** RFC 9293 §3.7.1: 1460 for Ethernet (1500 - 20 - 20). */
        int mss = 1460;
        /** RFC 7323 §2.2: shift; 7 gives windows up to 8 MB. */
        int windowScaleShift = 7;
        boolean timestamps = true;
        boolean sack = true;
        boolean windowScale = true;
        boolean synCookies = true;
        /** RFC 6298 §2.4 says 1 s; Deviation, as Linux: 200 ms. */
        long rtoMinNs = 200_000_000L;
        /** RFC 6298 §2.5: at least 60 s. */
        long rtoMaxNs = 60_000_000_000L;
        /** RFC 6298 §2.1: 1 s. */
        long rtoInitialNs = 1_000_000_000L;
        /** RFC 9293 §3.8.3: R2 for data, at least 100 s; as a count of retransmissions, as Linux (tcp_retries2). */
        int maxRetransmits = 15;
        /** RFC 9293 §3.8.3: R2 for SYN, at least 3 minutes; as a count, as Linux (tcp_syn_retries). */
        int maxSynRetransmits = 6;
        /** Linux's tcp_orphan_retries default (0 means 8). */
        int orphanRetries = 8;
        /** RFC 9293 §3.8.6.3 / RFC 1122 §4.2.3.2: less than 0.5 s; 40 ms as Linux's minimum. */
        long delayedAckNs = 40_000_000L;
        boolean ackEverySecondSegment = true;
        /** RFC 8985 §7: Tail Loss Probe, on as in Linux. */
        boolean tailLossProbe = true;
        /**
         * RFC 8985 §7.2 leaves the PTO floor open; as Linux (TCP_TIMEOUT_MIN, added to 2·SRTT): 2 ms. A flight of
         * one segment waits for WCDelAckT (200 ms) instead.
         */
        long tlpMinNs = 2_000_000L;
        boolean nagle = false;
        boolean keepalive = false;
        /** RFC 1122 §4.2.3.6: no less than two hours by default. */
        long keepaliveIdleNs = 7_200_000_000_000L;
        long keepaliveIntervalNs = 75_000_000_000L;
        int keepaliveCount = 9;
        /** Deviation, as Linux (tcp_fin_timeout): orphaned FIN_WAIT_2 connections are closed after 60 s. */
        long finWait2TimeoutNs = 60_000_000_000L;
        /** RFC 9293 §3.4.2: MSL is 2 minutes; Deviation, as Linux: TIME_WAIT = 60 s, i.e. MSL 30 s. */
        long mslNs = 30_000_000_000L;
        long synReceivedTimeoutNs = 75_000_000_000L;
        int congestionControl = CC_NEWRENO;
        /** RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)). */
        int initialWindowSegments = 10;
        /** RFC 5961 §10: rate-limit challenge ACKs; Linux's default tcp_challenge_ack_limit was 1000. */
        int challengeAckLimitPerSecond = 1000;
        int maxTimersPerPoll = 256;
        /** Timer wheel resolution, a power of two: 2^20 ns ~ 1 ms. */
        long timerTickNs = 1L << 20;
        long cookieSecretRotationNs = 64_000_000_000L;
        /** RFC 6056 §2.1: the IANA dynamic range 49152-65535; Linux uses 32768-60999. */
        int ephemeralPortMin = 49152;
        int ephemeralPortMax = 65535;
        /**
         * RFC 4821 PLPMTUD: on, as Linux with net.ipv4.tcp_mtu_probing = 1 (Linux's default is 0): it only acts once
         * repeated timeouts suggest a black hole, and without it such a connection stalls until R2.
         */
        boolean mtuProbing = true;
        /** RFC 4821 §7.2: 1024 bytes is a search_low nearly every path carries (Linux tcp_base_mss). */
        int mtuProbeBaseMss = 1024;
        /** As Linux (tcp_retries1 = 3): a black hole is suspected from the third timeout in a row. */
        int mtuBlackholeRtos = 3;
        /** As Linux (tcp_probe_interval): 10 minutes between searches for a larger MTU. */
        long mtuProbeIntervalNs = 600_000_000_000L;

        public Builder maxConnections(final int v) { maxConnections = v; return this; }
        public Builder listenBacklog(final int v) { listenBacklog = v; return this; }
        public Builder sendBufferBytes(final int v) { sendBufferBytes = v; return this; }
        public Builder receiveBufferBytes(final int v) { receiveBufferBytes = v; return this; }
        /** Buffer autotuning: rings grow to {@code bytes} while {@code count} large rings remain in the budget. */
        public Builder largeBuffers(final int bytes, final int count) { largeBufferBytes = bytes; largeBuffers = count; return this; }
        public Builder mss(final int v) { mss = v; return this; }
        public Builder windowScaleShift(final int v) { windowScaleShift = v; return this; }
        public Builder timestamps(final boolean v) { timestamps = v; return this; }
        public Builder sack(final boolean v) { sack = v; return this; }
        public Builder windowScale(final boolean v) { windowScale = v; return this; }
        public Builder synCookies(final boolean v) { synCookies = v; return this; }
        public Builder rtoMinNs(final long v) { rtoMinNs = v; return this; }
        public Builder rtoMaxNs(final long v) { rtoMaxNs = v; return this; }
        public Builder rtoInitialNs(final long v) { rtoInitialNs = v; return this; }
        public Builder maxRetransmits(final int v) { maxRetransmits = v; return this; }
        public Builder maxSynRetransmits(final int v) { maxSynRetransmits = v; return this; }
        public Builder orphanRetries(final int v) { orphanRetries = v; return this; }
        public Builder delayedAckNs(final long v) { delayedAckNs = v; return this; }
        public Builder ackEverySecondSegment(final boolean v) { ackEverySecondSegment = v; return this; }
        public Builder tailLossProbe(final boolean v) { tailLossProbe = v; return this; }
        public Builder tlpMinNs(final long v) { tlpMinNs = v; return this; }
        public Builder nagle(final boolean v) { nagle = v; return this; }
        public Builder keepalive(final boolean v) { keepalive = v; return this; }
        public Builder keepaliveIdleNs(final long v) { keepaliveIdleNs = v; return this; }
        public Builder keepaliveIntervalNs(final long v) { keepaliveIntervalNs = v; return this; }
        public Builder keepaliveCount(final int v) { keepaliveCount = v; return this; }
        public Builder finWait2TimeoutNs(final long v) { finWait2TimeoutNs = v; return this; }
        public Builder mslNs(final long v) { mslNs = v; return this; }
        public Builder synReceivedTimeoutNs(final long v) { synReceivedTimeoutNs = v; return this; }
        public Builder congestionControl(final int v) { congestionControl = v; return this; }
        public Builder initialWindowSegments(final int v) { initialWindowSegments = v; return this; }
        public Builder challengeAckLimitPerSecond(final int v) { challengeAckLimitPerSecond = v; return this; }
        public Builder maxTimersPerPoll(final int v) { maxTimersPerPoll = v; return this; }
        public Builder timerTickNs(final long v) { timerTickNs = v; return this; }
        public Builder cookieSecretRotationNs(final long v) { cookieSecretRotationNs = v; return this; }
        public Builder mtuProbing(final boolean v) { mtuProbing = v; return this; }
        public Builder mtuProbeBaseMss(final int v) { mtuProbeBaseMss = v; return this; }
        public Builder mtuBlackholeRtos(final int v) { mtuBlackholeRtos = v; return this; }
        public Builder mtuProbeIntervalNs(final long v) { mtuProbeIntervalNs = v; return this; }
        public Builder ephemeralPorts(final int min, final int max) { ephemeralPortMin = min; ephemeralPortMax = max; return this; }

        public TcpConfig build() {
            return new TcpConfig(this);
        }
    }
}
