package io.strait.tcp;

import org.agrona.DirectBuffer;

/**
 * Events of a connection, called on the engine's own thread (the core's poll loop), never concurrently.
 *
 * <p>A connection is named by a {@code long} handle: slot in the low 32 bits, generation in the high 32, so a
 * stale handle (a connection since closed and its slot reused) is caught by the engine. {@link TcpEngine#slot(long)}
 * gives the slot, a small dense int that apps may use to index their own per-connection arrays.
 */
public interface TcpHandler {
    /** The connection reached ESTABLISHED (passive or active open). */
    void onOpen(long handle);

    /**
     * In-order bytes arrived. The view is zero-copy: valid only during the call.
     *
     * @return how many bytes the app consumed (0..length). The rest stays in the connection's receive buffer,
     *     shrinks the advertised window, and is offered again after the next {@link #onWritable} or
     *     {@link TcpEngine#resumeRead(long)}.
     */
    int onData(long handle, DirectBuffer buffer, int offset, int length);

    /** End of a receive burst for this connection: a good moment to flush what onData wrote. */
    default void onReadComplete(long handle) {
    }

    /** Send-buffer space was freed after a {@link TcpEngine#write} returned less than asked. */
    default void onWritable(long handle) {
    }

    /**
     * The peer sent FIN (RFC 9293 §3.10.7.4 eighth) and every byte before it was consumed: no more data will
     * arrive. The app may still write, then {@link TcpEngine#close(long)} (passive close, CLOSE_WAIT to LAST_ACK).
     */
    default void onPeerFin(long handle) {
    }

    /** The connection is gone; the handle is dead after this call. {@code reason} is one of {@link CloseReason}. */
    void onClose(long handle, int reason);
}
