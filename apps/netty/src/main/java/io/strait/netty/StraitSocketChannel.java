package io.strait.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketChannelConfig;
import io.netty.util.concurrent.Future;
import io.strait.apps.api.Connection;
import io.strait.tcp.CloseReason;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ConnectionPendingException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.TimeUnit;

/**
 * A TCP connection of Strait's engine as a Netty {@link SocketChannel}. It lives on the event loop of the core that
 * owns the connection; every method of its unsafe runs there, as do the engine's callbacks.
 *
 * <p>Reads: the bytes of a receive burst are copied once out of packet memory into a buffer from the channel's
 * allocator and fired at the burst's end ({@code channelRead}, then {@code channelReadComplete}). While the app does
 * not read ({@code AUTO_READ} off and no {@code read()}), bytes stay in the engine and the TCP window closes.
 * Writes: {@code ChannelOutboundBuffer} drains into the engine's send buffer until it is full, then resumes when the
 * engine reports space; the writability watermarks work on what waits in the outbound buffer, as with Netty's own
 * transports.
 */
public final class StraitSocketChannel extends AbstractChannel implements SocketChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

    private final StraitSocketChannelConfig config;
    private final StraitIoHandler.StraitIoHandle ioHandle = new IoHandleImpl();
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer target = new UnsafeBuffer(0, 0);
    private StraitIoHandler home;
    private IoRegistration registration;
    private long handle = -1;
    private boolean engineOpen;
    private volatile boolean open = true;
    private volatile boolean active;
    private volatile boolean inputShutdown;
    private volatile boolean outputShutdown;
    private boolean readRequested;
    /** The peer's FIN came before this accepted channel was registered: raised once it is. */
    private boolean peerClosedEarly;
    private boolean readInBurst;
    private boolean writePending;
    private ByteBuf inbound;
    private ChannelPromise connectPromise;
    private Future<?> connectTimeout;
    private InetSocketAddress requestedRemote;
    /** The local address of {@code bind}, used by the next connect that names none. */
    private InetSocketAddress bound;
    private InetSocketAddress local;
    private InetSocketAddress remote;

    /** An unconnected channel, for {@code Bootstrap}: it opens from the core of the event loop it registers on. */
    public StraitSocketChannel() {
        super(null);
        this.config = new StraitSocketChannelConfig(this);
    }

    /** An accepted connection of core {@code home}. */
    StraitSocketChannel(StraitServerSocketChannel parent, StraitIoHandler home, Connection c) {
        super(parent);
        this.config = new StraitSocketChannelConfig(this);
        this.home = home;
        this.handle = c.handle();
        this.engineOpen = true;
        this.active = true;
        this.local = c.localAddress();
        this.remote = c.remoteAddress();
    }

    /** The core's handler that owns this connection (null before an unconnected channel registers). */
    StraitIoHandler home() {
        return home;
    }

    // ---------------------------------------------------------------- Channel

    @Override
    public ServerSocketChannel parent() {
        return (ServerSocketChannel) super.parent();
    }

    @Override
    public SocketChannelConfig config() {
        return config;
    }

    @Override
    public ChannelMetadata metadata() {
        return METADATA;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public boolean isActive() {
        return open && active;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected SocketAddress remoteAddress0() {
        return remote;
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return Registrations.compatible(loop);
    }

    @Override
    protected AbstractUnsafe newUnsafe() {
        return new StraitUnsafe();
    }

    /** The connection flyweight, or null once the engine has let it go. Event loop only. */
    private Connection connection() {
        return engineOpen ? home.straitCore().connection(handle) : null;
    }

    @Override
    protected void doRegister(ChannelPromise promise) {
        final EventLoop loop = eventLoop();
        if (home != null && home.executor() != loop) {
            promise.setFailure(new IllegalStateException("this connection belongs to Strait core " + home.core()
                + " and must be registered on its event loop: use StraitEventLoopGroup as the child group"));
            return;
        }
        Registrations.register(loop, ioHandle, promise, r -> {
            registration = r;
            if (home == null) {
                home = r.attachment();
            }
            if (engineOpen) {
                config.apply(home.straitCore().connection(handle));
            } else if (active) {
                eventLoop().execute(() -> unsafe().close(unsafe().voidPromise())); // reset before it registered
            }
            if (peerClosedEarly) {
                eventLoop().execute(this::onPeerClosed); // after channelActive and the first read
            }
        });
    }

    @Override
    protected void doDeregister() {
        if (registration != null) {
            registration.cancel();
        }
    }

    /**
     * Binding a client channel names the local address its connect will use (checked then: the core's address or
     * the wildcard; port 0 for one Strait picks, or a port of the caller's).
     */
    @Override
    protected void doBind(SocketAddress localAddress) {
        bound = (InetSocketAddress) localAddress;
    }

    @Override
    protected void doDisconnect() {
        doClose();
    }

    @Override
    protected void doClose() {
        final boolean wasOpen = open;
        open = false;
        active = false;
        if (connectPromise != null) {
            connectPromise.tryFailure(new ClosedChannelException());
            connectPromise = null;
        }
        cancelConnectTimeout();
        releaseInbound();
        final Connection c = wasOpen ? connection() : null;
        if (c != null) {
            if (config.getSoLinger() == 0) {
                c.abort(); // SO_LINGER 0: RST now, queued bytes dropped (RFC 9293 §3.10.5)
            } else {
                c.close(); // FIN after the queued bytes; the engine finishes the close on its own
            }
        }
    }

    @Override
    protected void doShutdownOutput() {
        final Connection c = connection();
        if (c != null) {
            c.shutdownOutput();
        }
        outputShutdown = true;
    }

    @Override
    protected void doBeginRead() {
        readRequested = true;
        final Connection c = connection();
        if (c != null && c.receiveQueueBytes() > 0) {
            c.resumeRead(); // offers what waited in the window, through onData
            onReadComplete();
        }
    }

    @Override
    protected Object filterOutboundMessage(Object msg) {
        if (msg instanceof ByteBuf) {
            return msg;
        }
        throw new UnsupportedOperationException("a Strait channel writes ByteBuf, not "
            + (msg == null ? "null" : msg.getClass().getName()));
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        final Connection c = connection();
        if (c == null) {
            throw new ClosedChannelException();
        }
        for (;;) {
            final Object msg = in.current();
            if (msg == null) {
                writePending = false;
                return;
            }
            final ByteBuf buf = (ByteBuf) msg;
            final int readable = buf.readableBytes();
            if (readable == 0) {
                in.remove();
                continue;
            }
            final int written = write(c, buf, readable);
            if (written < 0) {
                throw new IOException("the connection is closed for writing");
            }
            in.removeBytes(written);
            if (written < readable) {
                writePending = true; // the engine's buffer is full: onWritable resumes the flush
                return;
            }
        }
    }

    /** Copies up to {@code length} readable bytes of {@code buf} into the engine; no allocation for plain buffers. */
    private int write(Connection c, ByteBuf buf, int length) {
        final int from = buf.readerIndex();
        if (buf.hasMemoryAddress()) {
            view.wrap(buf.memoryAddress() + from, length);
            return c.write(view, 0, length);
        }
        if (buf.hasArray()) {
            view.wrap(buf.array(), buf.arrayOffset() + from, length);
            return c.write(view, 0, length);
        }
        int done = 0;
        for (ByteBuffer nio : buf.nioBuffers(from, length)) { // composite buffers: one write per component
            final int n = nio.remaining();
            view.wrap(nio, nio.position(), n);
            final int w = c.write(view, 0, n);
            if (w < 0) {
                return done == 0 ? -1 : done;
            }
            done += w;
            if (w < n) {
                break;
            }
        }
        return done;
    }

    // ---------------------------------------------------------------- the engine's callbacks (core thread)

    /** Active open: the handshake completed. */
    void connected() {
        final ChannelPromise p = connectPromise;
        connectPromise = null;
        cancelConnectTimeout();
        final Connection c = connection();
        local = c.localAddress();
        remote = c.remoteAddress();
        config.apply(c);
        active = true;
        final boolean set = p != null && p.trySuccess();
        pipeline().fireChannelActive();
        if (!set) {
            unsafe().close(unsafe().voidPromise()); // cancelled or timed out meanwhile
        }
    }

    int onData(DirectBuffer buffer, int offset, int length) {
        if (!open || inputShutdown) {
            return length; // closed or input shut down: discarded, as a socket does
        }
        if (!isRegistered() || !(readRequested || config.isAutoRead())) {
            return 0; // the app is not reading: the bytes wait in the engine and the window closes
        }
        final RecvByteBufAllocator.Handle h = unsafe().recvBufAllocHandle();
        if (!readInBurst) {
            readInBurst = true;
            h.reset(config);
        }
        if (inbound != null && inbound.writableBytes() < length) {
            fireInbound(h);
        }
        if (inbound == null) {
            inbound = config.getAllocator().ioBuffer(Math.max(h.guess(), length));
        }
        final ByteBuf b = inbound;
        final int at = b.writerIndex();
        if (b.hasMemoryAddress()) {
            target.wrap(b.memoryAddress() + at, length);
            buffer.getBytes(offset, target, 0, length);
        } else if (b.hasArray()) {
            buffer.getBytes(offset, b.array(), b.arrayOffset() + at, length);
        } else {
            final ByteBuffer nio = b.internalNioBuffer(at, length);
            buffer.getBytes(offset, nio, nio.position(), length);
        }
        b.writerIndex(at + length);
        return length;
    }

    private void fireInbound(RecvByteBufAllocator.Handle h) {
        final ByteBuf b = inbound;
        inbound = null;
        h.lastBytesRead(b.readableBytes());
        h.incMessagesRead(1);
        pipeline().fireChannelRead(b);
    }

    private void releaseInbound() {
        if (inbound != null) {
            inbound.release();
            inbound = null;
        }
    }

    void onReadComplete() {
        if (!readInBurst) {
            return;
        }
        readInBurst = false;
        final RecvByteBufAllocator.Handle h = unsafe().recvBufAllocHandle();
        if (inbound != null) {
            if (open) {
                fireInbound(h);
            } else {
                releaseInbound();
            }
        }
        h.readComplete();
        if (open) {
            if (!config.isAutoRead()) {
                readRequested = false; // one read() is one burst
            }
            pipeline().fireChannelReadComplete();
        }
    }

    void onWritable() {
        if (writePending && open) {
            writePending = false;
            ((StraitUnsafe) unsafe()).flushNow();
        }
    }

    /** The peer sent FIN after every byte we consumed. */
    void onPeerClosed() {
        if (!isRegistered()) {
            peerClosedEarly = true; // the pipeline is not ours to touch until the channel registers here
            return;
        }
        peerClosedEarly = false;
        onReadComplete();
        if (!open || inputShutdown) {
            return;
        }
        inputShutdown = true;
        if (config.isAllowHalfClosure()) {
            pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
            pipeline().fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
        } else {
            unsafe().close(unsafe().voidPromise());
        }
    }

    /** The engine let the connection go (handle dead). */
    void onClosed(int reason) {
        engineOpen = false;
        final ChannelPromise p = connectPromise;
        if (p != null) {
            connectPromise = null;
            cancelConnectTimeout();
            p.tryFailure(switch (reason) {
                case CloseReason.REFUSED -> new ConnectException("Connection refused: " + requestedRemote);
                case CloseReason.TIMEOUT -> new ConnectTimeoutException("connection timed out: " + requestedRemote);
                default -> new ConnectException("connection failed (" + CloseReason.name(reason) + "): "
                    + requestedRemote);
            });
            unsafe().close(unsafe().voidPromise());
            return;
        }
        if (!open || !isRegistered()) {
            return; // closed by us (the engine finished the close), or reset before it registered
        }
        onReadComplete();
        if (reason == CloseReason.RESET) {
            pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        } else if (reason == CloseReason.TIMEOUT) {
            pipeline().fireExceptionCaught(new IOException("Connection timed out"));
        }
        unsafe().close(unsafe().voidPromise());
    }

    private static java.net.BindException bindException(String message) {
        return new java.net.BindException("Address already in use: " + message);
    }

    private void cancelConnectTimeout() {
        if (connectTimeout != null) {
            connectTimeout.cancel(false);
            connectTimeout = null;
        }
    }

    /**
     * The send ({@code send}) or receive buffer size in force for this connection, or 0 when it cannot be read
     * here (not connected, or not on the core's thread).
     */
    int bufferBytes(boolean send) {
        if (!engineOpen || home == null || !home.executor().isExecutorThread(Thread.currentThread())) {
            return 0;
        }
        final Connection c = home.straitCore().connection(handle);
        return Math.max(0, send ? c.sendBufferBytes() : c.receiveBufferBytes());
    }

    /** The core's configured buffer size (0 before the channel has a core). */
    int coreBufferBytes(boolean send) {
        final StraitIoHandler h = home;
        return h == null ? 0 : send ? h.straitCore().tcpConfig().sendBufferBytes
            : h.straitCore().tcpConfig().receiveBufferBytes;
    }

    /** A socket option changed: applied now on the core's thread, else when the channel registers there. */
    void optionChanged() {
        if (engineOpen && registration != null && eventLoop().inEventLoop()) {
            config.apply(home.straitCore().connection(handle));
        }
    }

    // ---------------------------------------------------------------- DuplexChannel

    @Override
    public boolean isInputShutdown() {
        return inputShutdown;
    }

    @Override
    public ChannelFuture shutdownInput() {
        return shutdownInput(newPromise());
    }

    @Override
    public ChannelFuture shutdownInput(ChannelPromise promise) {
        if (eventLoop().inEventLoop()) {
            inputShutdown = true; // later bytes are discarded
            promise.setSuccess();
        } else {
            eventLoop().execute(() -> shutdownInput(promise));
        }
        return promise;
    }

    @Override
    public boolean isOutputShutdown() {
        return outputShutdown || !isActive();
    }

    @Override
    public ChannelFuture shutdownOutput() {
        return shutdownOutput(newPromise());
    }

    @Override
    public ChannelFuture shutdownOutput(ChannelPromise promise) {
        if (eventLoop().inEventLoop()) {
            ((AbstractUnsafe) unsafe()).shutdownOutput(promise);
        } else {
            eventLoop().execute(() -> ((AbstractUnsafe) unsafe()).shutdownOutput(promise));
        }
        return promise;
    }

    @Override
    public boolean isShutdown() {
        return inputShutdown && isOutputShutdown() || !isActive();
    }

    @Override
    public ChannelFuture shutdown() {
        return shutdown(newPromise());
    }

    @Override
    public ChannelFuture shutdown(ChannelPromise promise) {
        final ChannelFuture out = shutdownOutput();
        out.addListener(f -> shutdownInput().addListener(g -> {
            if (!f.isSuccess()) {
                promise.setFailure(f.cause());
            } else if (!g.isSuccess()) {
                promise.setFailure(g.cause());
            } else {
                promise.setSuccess();
            }
        }));
        return promise;
    }

    // ---------------------------------------------------------------- unsafe

    private final class StraitUnsafe extends AbstractUnsafe {
        void flushNow() {
            flush0();
        }

        @Override
        public void connect(SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
            if (!promise.setUncancellable() || !ensureOpen(promise)) {
                return;
            }
            if (connectPromise != null || engineOpen) {
                promise.setFailure(new ConnectionPendingException());
                return;
            }
            final InetSocketAddress r = (InetSocketAddress) remoteAddress;
            final InetSocketAddress l = localAddress != null ? (InetSocketAddress) localAddress : bound;
            if (r.isUnresolved() || l != null && l.isUnresolved()) {
                promise.setFailure(new UnresolvedAddressException());
                return;
            }
            final long h;
            try {
                h = home.straitCore().connect(r, l, home.transport().clientBridge);
            } catch (IllegalArgumentException e) {
                promise.setFailure(e);
                return;
            } catch (IllegalStateException e) {
                // The local port is taken (or steered to another core): EADDRINUSE, as a kernel socket reports it.
                promise.setFailure(bindException(e.getMessage()));
                return;
            }
            if (h < 0) {
                promise.setFailure(new ConnectException("no free source port or connection slot on Strait core "
                    + home.core() + " for " + r));
                return;
            }
            handle = h;
            engineOpen = true;
            requestedRemote = r;
            connectPromise = promise;
            final Connection c = home.straitCore().connection(h);
            c.attach(StraitSocketChannel.this);
            config.applyBuffers(c); // before the SYN leaves at the next cycle: its window obeys SO_RCVBUF
            final int timeoutMs = config.getConnectTimeoutMillis();
            if (timeoutMs > 0) {
                connectTimeout = eventLoop().schedule(() -> {
                    final ChannelPromise p = connectPromise;
                    if (p != null && p.tryFailure(new ConnectTimeoutException("connection timed out after "
                        + timeoutMs + " ms: " + r))) {
                        connectPromise = null;
                        close(voidPromise());
                    }
                }, timeoutMs, TimeUnit.MILLISECONDS);
            }
        }
    }

    private final class IoHandleImpl implements StraitIoHandler.StraitIoHandle {
        @Override
        public void handle(IoRegistration registration, IoEvent ioEvent) {
            // Strait delivers through the engine's callbacks; no readiness events exist.
        }

        @Override
        public void close() {
            unsafe().close(unsafe().voidPromise());
        }
    }
}
