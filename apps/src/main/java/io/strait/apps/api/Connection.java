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
    private final Object[] attachments;
    private final long[] attachedTo;
    private final java.util.function.LongSupplier nowNs;
    private final OutboundQueues outbound;
    private final StraitCore owner;
    long handle;

    Connection(TcpEngine engine, int core, Object[] attachments, long[] attachedTo,
               java.util.function.LongSupplier nowNs, OutboundQueues outbound, StraitCore owner) {
        this.engine = engine;
        this.core = core;
        this.attachments = attachments;
        this.attachedTo = attachedTo;
        this.nowNs = nowNs;
        this.outbound = outbound;
        this.owner = owner;
    }

    /**
     * Writes like {@link #write(DirectBuffer, int, int)}, but what the send buffer cannot take now is copied into
     * this connection's outbound queue (bounded by {@link StraitCore#outboundLimit}) and sent as the peer
     * acknowledges; {@code onWritable} comes once the queue has drained. Bytes are never reordered: while
     * anything is queued, new bytes queue behind it.
     *
     * @return bytes accepted (sent or queued; fewer than offered only past the limit), -1 when closed for writing
     */
    public int send(DirectBuffer src, int offset, int length) {
        return outbound == null ? write(src, offset, length) : outbound.send(handle, src, offset, length);
    }

    /** {@link #send(DirectBuffer, int, int)} for a byte array. */
    public int send(byte[] src, int offset, int length) {
        wrap.wrap(src);
        return send(wrap, offset, length);
    }

    /** Bytes waiting in the outbound queue ({@link #send}), not yet in the engine's send buffer. */
    public long queuedBytes() {
        return outbound == null ? 0 : outbound.queued(handle);
    }

    /** True while the outbound queue is under half its limit: a good moment to send more. */
    public boolean isWritable() {
        return outbound == null || outbound.queued(handle) < outbound.limitBytes() / 2;
    }

    /** A handle usable from any thread ({@link ConnectionRef}): writes and closes are carried to the core. */
    public ConnectionRef ref() {
        return new ConnectionRef(owner, handle);
    }

    /**
     * Keeps an object of the app's with this connection (its state, a session, a Netty channel); the core drops it
     * after {@link ConnectionHandler#onClose}. Replaces what was attached before. No-op on a dead handle.
     */
    public void attach(Object attachment) {
        if (isOpen()) {
            attachments[TcpEngine.slot(handle)] = attachment;
            attachedTo[TcpEngine.slot(handle)] = handle;
        }
    }

    /** What {@link #attach} kept with this connection, or null. */
    @SuppressWarnings("unchecked")
    public <T> T attachment() {
        final int slot = TcpEngine.slot(handle);
        // The handle's generation must match: a stale handle never sees the slot's next connection's object.
        return slot >= 0 && slot < attachments.length && attachedTo[slot] == handle ? (T) attachments[slot] : null;
    }

    /** True while the handle names a live connection (not yet passed to onClose). */
    public boolean isOpen() {
        return engine.state(handle) != io.strait.tcp.TcpState.CLOSED;
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

    /** Graceful close: FIN after the queued bytes (the outbound queue's included). */
    public void close() {
        if (outbound == null || outbound.closeAfterDrain(handle)) {
            engine.close(handle);
        }
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

    /** The peer's address and port. Allocates: for set-up paths, not per packet. */
    public java.net.InetSocketAddress remoteAddress() {
        return new java.net.InetSocketAddress(Strait.inet(engine.remoteIp(handle)), engine.remotePort(handle));
    }

    /** The local address and port. Allocates: for set-up paths, not per packet. */
    public java.net.InetSocketAddress localAddress() {
        return new java.net.InetSocketAddress(Strait.inet(engine.localIp(handle)), engine.localPort(handle));
    }

    /** Bytes received and not yet consumed by onData (they hold the advertised window shut). */
    public int receiveQueueBytes() {
        return engine.receiveQueueBytes(handle);
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

    /**
     * Per-connection option: the most bytes the send buffer holds (SO_SNDBUF), within the core's buffer (see
     * {@link io.strait.tcp.TcpEngine#setSendBufferLimit}); 0 restores the core's size and autotuning.
     */
    public void setSendBufferLimit(int bytes) {
        engine.setSendBufferLimit(handle, bytes);
    }

    /**
     * Per-connection option: the most the advertised receive window offers (SO_RCVBUF), within the core's buffer
     * (see {@link io.strait.tcp.TcpEngine#setReceiveBufferLimit}); 0 restores the core's size and autotuning.
     */
    public void setReceiveBufferLimit(int bytes) {
        engine.setReceiveBufferLimit(handle, bytes);
    }

    /** The bytes this connection's send buffer holds at most now; -1 once closed. */
    public int sendBufferBytes() {
        return engine.sendBufferBytes(handle);
    }

    /** The most this connection's receive window offers now; -1 once closed. */
    public int receiveBufferBytes() {
        return engine.receiveBufferBytes(handle);
    }

    /** Per-connection option: keepalive probes (off by default; idle, interval and count from the TCP config). */
    public void setKeepalive(boolean on, long nowNs) {
        engine.setKeepalive(handle, on, nowNs);
    }

    /** {@link #setKeepalive(boolean, long)} at the core's current time. */
    public void setKeepalive(boolean on) {
        engine.setKeepalive(handle, on, nowNs.getAsLong());
    }

    /** RFC 9293 state, as {@link io.strait.tcp.TcpState}. */
    public int state() {
        return engine.state(handle);
    }
}
