package io.strait.netty;

import io.strait.apps.api.Connection;
import io.strait.apps.api.ConnectionHandler;
import org.agrona.DirectBuffer;

/**
 * The engine's callbacks, routed to the Netty channel attached to each connection. One per listening server channel
 * (which creates the channel of an accepted connection) and one for the active opens of a group.
 */
final class ConnectionBridge implements ConnectionHandler {
    private final StraitServerSocketChannel server;

    ConnectionBridge(StraitServerSocketChannel server) {
        this.server = server;
    }

    @Override
    public void onOpen(Connection c) {
        final StraitSocketChannel ch = c.attachment();
        if (ch != null) {
            ch.connected();
        } else if (server != null) {
            server.accepted(c);
        } else {
            c.abort(); // no channel waits for this connection
        }
    }

    @Override
    public int onData(Connection c, DirectBuffer buffer, int offset, int length) {
        final StraitSocketChannel ch = c.attachment();
        return ch == null ? length : ch.onData(buffer, offset, length);
    }

    @Override
    public void onReadComplete(Connection c) {
        final StraitSocketChannel ch = c.attachment();
        if (ch != null) {
            ch.onReadComplete();
        }
    }

    @Override
    public void onWritable(Connection c) {
        final StraitSocketChannel ch = c.attachment();
        if (ch != null) {
            ch.onWritable();
        }
    }

    @Override
    public void onPeerClosed(Connection c) {
        final StraitSocketChannel ch = c.attachment();
        if (ch != null) {
            ch.onPeerClosed();
        } else {
            c.close();
        }
    }

    @Override
    public void onClose(Connection c, int reason) {
        final StraitSocketChannel ch = c.attachment();
        if (ch != null) {
            ch.onClosed(reason);
        }
    }
}
