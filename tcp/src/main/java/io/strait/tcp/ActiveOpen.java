package io.strait.tcp;

import static io.strait.tcp.TcpState.SYN_SENT;

/**
 * Active opens (RFC 9293 §3.10.1 OPEN): the local port, chosen by the caller or picked by RFC 6056 §3.3.3's
 * algorithm 3 (a keyed hash of the remote end plus a counter) among the ports whose replies the {@link FlowFilter}
 * steers to this core, and a TCB in SYN_SENT whose SYN offers every enabled option; the SYN goes out on the
 * engine's next poll.
 */
final class ActiveOpen {
    private final TcpConfig cfg;
    private final TcpCounters c;
    private final TcbPool pool;
    private final Listeners listeners;
    private final Input input;
    private final Secrets secrets;
    private final WorkQueue work;
    private FlowFilter flowFilter;
    private long nextEphemeral;

    ActiveOpen(final TcpConfig cfg, final TcpCounters c, final TcbPool pool, final Listeners listeners,
        final Input input, final Secrets secrets, final WorkQueue work, final long firstEphemeral) {
        this.cfg = cfg;
        this.c = c;
        this.pool = pool;
        this.listeners = listeners;
        this.input = input;
        this.secrets = secrets;
        this.work = work;
        this.nextEphemeral = firstEphemeral;
    }

    void flowFilter(final FlowFilter f) {
        flowFilter = f;
    }

    /** See {@link TcpEngine#localPortUse}. */
    int localPortUse(final int localIp, final int localPort, final int remoteIp, final int remotePort) {
        if (listeners.get(localPort) != null) {
            return TcpEngine.PORT_LISTENING;
        }
        if (pool.find(localIp, localPort, remoteIp, remotePort) >= 0) {
            // RFC 9293 §3.4: a connection is named by its four-tuple, which must be unique.
            return TcpEngine.PORT_IN_USE;
        }
        if (flowFilter != null && !flowFilter.ownsLocalPort(localIp, localPort, remoteIp, remotePort)) {
            return TcpEngine.PORT_NOT_STEERED_HERE;
        }
        return TcpEngine.PORT_FREE;
    }

    /** See {@link TcpEngine#connect(int, int, int, int, TcpHandler, long)}; {@code localPort} 0 picks one. */
    long open(final int localIp, final int localPort, final int remoteIp, final int remotePort,
        final TcpHandler handler, final long nowNs) {
        if (!unicast(remoteIp)) {
            // RFC 9293 §3.9.1.1 (MUST-46): an OPEN to a broadcast or multicast (or unspecified) address is an error.
            c.connectFailures.incrementRelease();
            return -1;
        }
        final int port = localPort == 0 ? pickEphemeralPort(localIp, remoteIp, remotePort)
            : localPortUse(localIp, localPort, remoteIp, remotePort) == TcpEngine.PORT_FREE ? localPort : -1;
        if (port < 0 || !pool.ensureFree()) {
            c.connectFailures.incrementRelease();
            return -1;
        }
        final Tcb t = input.newTcb(handler, localIp, port, remoteIp, remotePort, false);
        t.appAttached = true;
        Input.startSend(t, secrets.isn(t, nowNs));
        // Offer every enabled option in the SYN (RFC 7323 §2.2, §3.2; RFC 2018 §2); renegotiated on SYN-ACK.
        t.tsOn = cfg.timestamps;
        t.sackOn = cfg.sack;
        t.wsOn = cfg.windowScale;
        t.rcvWscale = t.wsOn ? cfg.windowScaleShift : 0;
        t.sndMss = cfg.mss;
        pool.setState(t, SYN_SENT);
        t.lastRecvNs = nowNs;
        work.add(t);
        c.activeOpens.incrementRelease();
        return t.handle();
    }

    /**
     * False for 0.0.0.0, the limited broadcast 255.255.255.255 and class D (multicast) and E (reserved) addresses
     * (RFC 1122 §3.2.1.3). A subnet-directed broadcast needs the netmask, which the dataplane holds.
     */
    static boolean unicast(final int ip) {
        return ip != 0 && (ip >>> 28) < 0xE;
    }

    /** RFC 6056 §3.3.3, algorithm 3 (simple hash-based), honouring the {@link FlowFilter}. */
    private int pickEphemeralPort(final int localIp, final int remoteIp, final int remotePort) {
        final int min = cfg.ephemeralPortMin;
        final int num = cfg.ephemeralPortMax - min + 1;
        final long offset = secrets.portOffset(localIp, remoteIp, remotePort);
        for (int count = 0; count < num; count++) {
            final int port = min + (int) Math.floorMod(nextEphemeral + offset, (long) num);
            nextEphemeral++;
            if (localPortUse(localIp, port, remoteIp, remotePort) == TcpEngine.PORT_FREE) {
                return port;
            }
        }
        return -1;
    }
}
