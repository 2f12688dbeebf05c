package io.strait.apps.api;

import org.agrona.DirectBuffer;

/**
 * What an app does with its connections. Every method runs on the owning core's thread, never concurrently for one
 * core. The {@link Connection} passed in is a flyweight re-pointed for each call: use it during the call, keep
 * {@link Connection#handle()} (a {@code long}) if you need the connection later.
 */
public interface ConnectionHandler {
    /** The connection is established (accepted on a listening port, or an active open completed). */
    void onOpen(Connection connection);

    /**
     * Bytes arrived, in order. The view is zero-copy over packet memory and valid only during the call.
     *
     * @return bytes consumed (0..length); the rest stays in the connection's receive buffer (shrinking the
     *     advertised window) and is offered again after {@link #onWritable} or {@link Connection#resumeRead()}
     */
    int onData(Connection connection, DirectBuffer buffer, int offset, int length);

    /** End of a receive burst for this connection: flush what you batched. */
    default void onReadComplete(Connection connection) {
    }

    /** Send-buffer space was freed after a write accepted less than offered (backpressure released). */
    default void onWritable(Connection connection) {
    }

    /** The peer closed its side (FIN) and every byte before it was delivered. Default: close ours too. */
    default void onPeerClosed(Connection connection) {
        connection.close();
    }

    /**
     * The connection is gone; its handle is dead. {@code reason} is one of {@link io.strait.tcp.CloseReason}
     * (normal, peer FIN, reset, timeout, local abort, refused).
     */
    void onClose(Connection connection, int reason);
}
