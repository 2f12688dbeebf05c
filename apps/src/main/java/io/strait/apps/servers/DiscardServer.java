package io.strait.apps.servers;

import io.strait.tcp.TcpEngine;
import io.strait.tcp.TcpHandler;
import org.agrona.DirectBuffer;

/** CONTRACT.md {@code discard}: reads and drops everything; closes when the peer closes. */
public final class DiscardServer implements TcpHandler {
    private final TcpEngine engine;

    public DiscardServer(TcpEngine engine) {
        this.engine = engine;
    }

    @Override
    public void onOpen(long handle) {
    }

    @Override
    public int onData(long handle, DirectBuffer buffer, int offset, int length) {
        return length;
    }

    @Override
    public void onPeerFin(long handle) {
        engine.close(handle);
    }

    @Override
    public void onClose(long handle, int reason) {
    }
}
