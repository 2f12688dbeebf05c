package io.strait.apps.api;

import io.strait.tcp.TcpEngine;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A connection, as handed to a {@link ConnectionHandler}: a flyweight over (core, handle), re-pointed for each
 * callback, so no object exists per connection. Use it on the owning core's thread only; from other threads, go
 * through {@link StraitCore#execute(Runnable)}.
 */
public final class Connection {
    private final TcpEngine engine;
    private final int core;
    private final UnsafeBuffer wrap = new UnsafeBuffer(new byte[0]);
    long handle;

    Connection(TcpEngine engine, int core) {
        this.engine = engine;
        this.core = core;
    }

    /** Points this flyweight at another connection of the same core (for apps that keep handles). */
    public Connection of(long handle) {
        this.handle = handle;
        return this;
    }

    /** Slot (low 32 bits) and generation (high 32): stale handles are refused by the engine. */
    public long handle() {
        return handle;
    }

    /** A small dense index, unique among this core's live connections: index your own per-connection arrays. */
    public int slot() {
        return TcpEngine.slot(handle);
    }

    public int core() {
        return core;
    }

    /**
     * Copies bytes into the send buffer.
     *
     * @return bytes accepted (fewer than offered when the buffer is full: {@code onWritable} follows), -1 when the
     *     connection is closed for writing
     */
    public int write(DirectBuffer src, int offset, int length) {
        return engine.write(handle, src, offset, length);
    }

    /** {@link #write(DirectBuffer, int, int)} for a byte array (wrapped, not copied, until the engine copies it). */
    public int write(byte[] src, int offset, int length) {
        wrap.wrap(src);
        return engine.write(handle, wrap, offset, length);
    }

    /** Bytes queued and not yet acknowledged by the peer. */
    public int sendQueueBytes() {
        return engine.sendQueueBytes(handle);
    }

    /** Half-close: sends FIN after the queued bytes; reading goes on (RFC 9293 §3.6). */
    public void shutdownOutput() {
        engine.shutdownOutput(handle);
    }

    /** Graceful close: FIN after the queued bytes. */
    public void close() {
        engine.close(handle);
    }

    /** Abortive close: RST now, queued bytes discarded (RFC 9293 §3.10.5). */
    public void abort() {
        engine.abort(handle);
    }

    /** Offers again the bytes an earlier onData left unconsumed. */
    public void resumeRead() {
        engine.resumeRead(handle);
    }

    public int remoteIp() {
        return engine.remoteIp(handle);
    }

    public int remotePort() {
        return engine.remotePort(handle);
    }

    public int localPort() {
        return engine.localPort(handle);
    }

    /** Per-connection option: Nagle's algorithm (off by default: low latency). */
    public void setNagle(boolean on) {
        engine.setNagle(handle, on);
    }

    /** Per-connection option: keepalive probes (off by default; idle, interval and count from the TCP config). */
    public void setKeepalive(boolean on, long nowNs) {
        engine.setKeepalive(handle, on, nowNs);
    }

    /** RFC 9293 state, as {@link io.strait.tcp.TcpState}. */
    public int state() {
        return engine.state(handle);
    }
}
