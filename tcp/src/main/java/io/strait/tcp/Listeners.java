package io.strait.tcp;

/** Listening ports (RFC 9293 §3.10.7.2) and their SYN_RECEIVED backlog counts, indexed by port. */
final class Listeners {
    private final TcpHandler[] handlers = new TcpHandler[65536];
    private final int[] backlog = new int[65536];

    TcpHandler get(final int port) {
        return handlers[port & 0xFFFF];
    }

    void listen(final int port, final TcpHandler h) {
        handlers[port & 0xFFFF] = h;
    }

    int backlog(final int port) {
        return backlog[port & 0xFFFF];
    }

    void enterBacklog(final Tcb t) {
        t.inBacklog = true;
        backlog[t.localPort]++;
    }

    /** The TCB leaves SYN_RECEIVED (established or gone). */
    void leaveBacklog(final Tcb t) {
        if (t.inBacklog) {
            t.inBacklog = false;
            backlog[t.localPort]--;
        }
    }
}
