package io.strait.apps.servers;

import io.strait.apps.api.Connection;
import io.strait.apps.api.ConnectionHandler;
import org.agrona.DirectBuffer;

/**
 * CONTRACT.md {@code echo}: writes back every byte it receives, in order, until the peer closes; then closes.
 * Backpressure is TCP's own: bytes that do not fit the send buffer are left unconsumed, stay in the receive buffer
 * and shrink the window, and are offered again when the send buffer drains ({@link #onWritable}).
 */
public final class EchoServer implements ConnectionHandler {
    /** One instance serves every core: it keeps no state. */
    public static final EchoServer INSTANCE = new EchoServer();

    private EchoServer() {
    }

    @Override
    public void onOpen(Connection c) {
    }

    @Override
    public int onData(Connection c, DirectBuffer buffer, int offset, int length) {
        final int written = c.write(buffer, offset, length);
        return Math.max(written, 0);
    }

    @Override
    public void onWritable(Connection c) {
        c.resumeRead();
    }

    @Override
    public void onPeerClosed(Connection c) {
        c.close(); // everything read was written: FIN after it (CLOSE_WAIT to LAST_ACK)
    }

    @Override
    public void onClose(Connection c, int reason) {
    }
}
