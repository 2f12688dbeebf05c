package io.strait.tcp;

/**
 * The numbers a peer must not predict, keyed by secrets drawn once from the {@link EntropySource}: initial
 * sequence numbers (RFC 6528 §3), timestamp offsets (RFC 7323 §7.1) and ephemeral ports (RFC 6056 §3.3.3).
 */
final class Secrets {
    /** RFC 6528 §3: M is a timer that ticks every 4 microseconds. */
    static final long ISN_TICK_NS = 4_000L;

    private final long isnK0;
    private final long isnK1;
    private final long portK0;
    private final long portK1;
    private final long tsK0;
    private final long tsK1;

    Secrets(final EntropySource entropy) {
        isnK0 = entropy.nextLong();
        isnK1 = entropy.nextLong();
        portK0 = entropy.nextLong();
        portK1 = entropy.nextLong();
        tsK0 = entropy.nextLong();
        tsK1 = entropy.nextLong();
    }

    /** RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey). */
    int isn(final Tcb t, final long nowNs) {
        final long f = SipHash.hash(isnK0, isnK1, ConnectionTable.addrKey(t.localIp, t.remoteIp),
            ConnectionTable.portKey(t.localPort, t.remotePort));
        return (int) (nowNs / ISN_TICK_NS) + (int) f;
    }

    /** RFC 7323 §7.1: a per-connection random offset keeps timestamps from leaking the clock. */
    int tsOffset(final int localIp, final int localPort, final int remoteIp, final int remotePort) {
        return (int) SipHash.hash(tsK0, tsK1, ConnectionTable.addrKey(localIp, remoteIp),
            ConnectionTable.portKey(localPort, remotePort));
    }

    /** RFC 6056 §3.3.3 algorithm 3: the offset into the ephemeral range for this destination. */
    long portOffset(final int localIp, final int remoteIp, final int remotePort) {
        return SipHash.hash(portK0, portK1, ConnectionTable.addrKey(localIp, remoteIp), remotePort) & Long.MAX_VALUE;
    }
}
