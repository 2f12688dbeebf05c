package io.strait.apps.api;

import io.strait.tcp.TcpHandler;
import org.agrona.DirectBuffer;

/**
 * The engine's handle-shaped callbacks delivered to a {@link ConnectionHandler} through a {@link Connection}
 * flyweight re-pointed per call. A core's bridge adds its own bookkeeping (outbound queue, attachments, connect
 * timeouts) by overriding {@link #onWritable} and {@link #onClose}; the warm-up uses it as is.
 */
class HandlerBridge implements TcpHandler {
    final ConnectionHandler h;
    final Connection c;

    HandlerBridge(ConnectionHandler handler, Connection flyweight) {
        this.h = handler;
        this.c = flyweight;
    }

    @Override
    public void onOpen(long handle) {
        h.onOpen(c.of(handle));
    }

    @Override
    public int onData(long handle, DirectBuffer buffer, int offset, int length) {
        return h.onData(c.of(handle), buffer, offset, length);
    }

    @Override
    public void onReadComplete(long handle) {
        h.onReadComplete(c.of(handle));
    }

    @Override
    public void onWritable(long handle) {
        h.onWritable(c.of(handle));
    }

    @Override
    public void onPeerFin(long handle) {
        h.onPeerClosed(c.of(handle));
    }

    @Override
    public void onClose(long handle, int reason) {
        h.onClose(c.of(handle), reason);
    }
}
