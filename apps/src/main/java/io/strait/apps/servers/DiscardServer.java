package io.strait.apps.servers;

import io.strait.apps.api.Connection;
import io.strait.apps.api.ConnectionHandler;
import org.agrona.DirectBuffer;

/** CONTRACT.md {@code discard}: reads and drops everything; closes when the peer closes. */
public final class DiscardServer implements ConnectionHandler {
    /** One instance serves every core: it keeps no state. */
    public static final DiscardServer INSTANCE = new DiscardServer();

    private DiscardServer() {
    }

    @Override
    public void onOpen(Connection c) {
    }

    @Override
    public int onData(Connection c, DirectBuffer buffer, int offset, int length) {
        return length;
    }

    @Override
    public void onPeerClosed(Connection c) {
        c.close();
    }

    @Override
    public void onClose(Connection c, int reason) {
    }
}
