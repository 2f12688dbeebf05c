package io.strait.apps.servers;

import io.strait.tcp.TcpEngine;
import io.strait.tcp.TcpHandler;
import org.agrona.DirectBuffer;

/**
 * CONTRACT.md {@code echo}: writes back every byte it receives, in order, until the peer closes; then closes.
 * Backpressure is TCP's own: bytes that do not fit the send buffer are left unconsumed, stay in the receive buffer
 * and shrink the window, and are offered again when the send buffer drains ({@link #onWritable}).
 */
public final class EchoServer implements TcpHandler {
    private final TcpEngine engine;

    public EchoServer(TcpEngine engine) {
        this.engine = engine;
    }

    @Override
    public void onOpen(long handle) {
    }

    @Override
    public int onData(long handle, DirectBuffer buffer, int offset, int length) {
        final int written = engine.write(handle, buffer, offset, length);
        return Math.max(written, 0);
    }

    @Override
    public void onWritable(long handle) {
        engine.resumeRead(handle);
    }

    @Override
    public void onPeerFin(long handle) {
        engine.close(handle); // everything read was written: FIN after it (CLOSE_WAIT to LAST_ACK)
    }

    @Override
    public void onClose(long handle, int reason) {
    }
}
