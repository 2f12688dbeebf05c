package io.strait.tcp;

/** RSTs decided outside a segment's arrival (abort, a failed handler), sent by the next poll. Bounded, counted. */
final class RstQueue {
    static final int CAPACITY = 256;

    final int[] localIp = new int[CAPACITY];
    final int[] remoteIp = new int[CAPACITY];
    final int[] ports = new int[CAPACITY];
    final int[] seq = new int[CAPACITY];
    int count;
    private final TcpCounters c;

    RstQueue(final TcpCounters c) {
        this.c = c;
    }

    /** RFC 9293 §3.10.5 ABORT: {@code <SEQ=SND.NXT><CTL=RST>} for the connection's four-tuple. */
    void add(final Tcb t) {
        if (count == CAPACITY) {
            c.dropRstQueueFull.incrementRelease();
            return;
        }
        localIp[count] = t.localIp;
        remoteIp[count] = t.remoteIp;
        ports[count] = (t.localPort << 16) | t.remotePort;
        seq[count] = t.sndMax;
        count++;
    }

    /** Sends every queued RST (they carry no ACK: RFC 9293 §3.10.7.1) and empties the queue; returns how many. */
    int sendAll(final SegmentWriter writer, final SegmentSink out) {
        final int n = count;
        for (int i = 0; i < n; i++) {
            writer.sendRaw(out, localIp[i], remoteIp[i], ports[i] >>> 16, ports[i] & 0xFFFF, seq[i], 0,
                io.strait.tcp.wire.TcpHeader.RST, 0);
        }
        count = 0;
        return n;
    }
}
