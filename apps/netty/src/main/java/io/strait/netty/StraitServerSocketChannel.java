package io.strait.netty;

import io.netty.channel.AbstractServerChannel;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.ServerSocketChannelConfig;
import io.strait.apps.api.Connection;
import io.strait.apps.api.Strait;
import io.strait.apps.api.StraitCore;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * A listening port of Strait as a Netty {@link ServerSocketChannel}. Binding listens on every core (a connection is
 * accepted by the core its packets are steered to); each accepted connection becomes a {@link StraitSocketChannel}
 * fired into this channel's pipeline, so {@code ServerBootstrap}'s acceptor registers it, and
 * {@link StraitEventLoopGroup} places it on its core's event loop.
 */
public final class StraitServerSocketChannel extends AbstractServerChannel implements ServerSocketChannel {
    private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

    private final StraitServerSocketChannelConfig config = new StraitServerSocketChannelConfig(this);
    private final StraitIoHandler.StraitIoHandle ioHandle = new StraitIoHandler.StraitIoHandle() {
        @Override
        public void handle(IoRegistration registration, IoEvent ioEvent) {
        }

        @Override
        public void close() {
            unsafe().close(unsafe().voidPromise());
        }
    };
    private final ConnectionBridge bridge = new ConnectionBridge(this);
    private StraitIoHandler home;
    private IoRegistration registration;
    private volatile boolean open = true;
    private volatile InetSocketAddress local;

    public StraitServerSocketChannel() {
    }

    @Override
    public ServerSocketChannelConfig config() {
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
        return open && local != null;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return null;
    }

    @Override
    protected SocketAddress localAddress0() {
        return local;
    }

    @Override
    protected boolean isCompatible(EventLoop loop) {
        return Registrations.compatible(loop);
    }

    @Override
    protected void doRegister(ChannelPromise promise) {
        Registrations.register(eventLoop(), ioHandle, promise, r -> {
            registration = r;
            home = r.attachment();
        });
    }

    @Override
    protected void doDeregister() {
        if (registration != null) {
            registration.cancel();
        }
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        final InetSocketAddress l = (InetSocketAddress) localAddress;
        final StraitTransport transport = home.transport();
        transport.checkEveryCoreDriven();
        final int ip = Strait.ipv4(l.getAddress());
        final int ours = home.straitCore().localIp();
        if (ip != 0 && ip != ours) {
            throw new IllegalArgumentException("cannot bind " + l + ": this Strait port's address is "
                + Strait.inet(ours).getHostAddress());
        }
        final int port = l.getPort();
        home.straitCore().listen(port, bridge); // this core first: a port in use fails the bind here
        for (int k = 0; k < transport.cores(); k++) {
            final StraitCore core = transport.core(k);
            if (core != home.straitCore()) {
                execute(core, () -> core.listen(port, bridge));
            }
        }
        local = new InetSocketAddress(Strait.inet(ours), port);
    }

    @Override
    protected void doClose() {
        open = false;
        final InetSocketAddress l = local;
        if (l == null || home == null) {
            return;
        }
        final StraitTransport transport = home.transport();
        if (!transport.running()) {
            return;
        }
        for (int k = 0; k < transport.cores(); k++) {
            final StraitCore core = transport.core(k);
            if (core == home.straitCore()) {
                core.unlisten(l.getPort());
            } else {
                execute(core, () -> core.unlisten(l.getPort()));
            }
        }
    }

    private static void execute(StraitCore core, Runnable r) {
        while (!core.execute(r)) {
            Thread.onSpinWait();
        }
    }

    @Override
    protected void doBeginRead() {
        // Connections are accepted by the engine whatever the app reads; each is fired as it comes.
    }

    /** A connection of {@code c.core()} completed its handshake: its channel goes to this channel's pipeline. */
    void accepted(Connection c) {
        final StraitIoHandler coreHandler = home.transport().handler(c.core());
        final StraitSocketChannel child = new StraitSocketChannel(this, coreHandler, c);
        c.attach(child);
        if (!open) {
            c.abort();
            return;
        }
        final Runnable fire = () -> {
            pipeline().fireChannelRead(child);
            pipeline().fireChannelReadComplete();
        };
        if (eventLoop().inEventLoop()) {
            fire.run();
        } else {
            eventLoop().execute(fire);
        }
    }
}
