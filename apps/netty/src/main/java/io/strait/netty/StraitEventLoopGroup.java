package io.strait.netty;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.strait.apps.api.Strait;

/**
 * A {@link MultiThreadIoEventLoopGroup} whose event loops are the cores of one Strait instance (one thread per core,
 * each pinned to its CPU), and which registers an accepted connection on the event loop of the core that owns it.
 * Use it as both the boss and the worker group of a {@code ServerBootstrap}, and for {@code Bootstrap}.
 */
public final class StraitEventLoopGroup extends MultiThreadIoEventLoopGroup {
    private final StraitTransport transport;

    /** Starts the Strait {@code builder} describes (one event loop per core). Needs root and DPDK. */
    public StraitEventLoopGroup(Strait.Builder builder) {
        this(new StraitTransport(builder));
    }

    private StraitEventLoopGroup(StraitTransport transport) {
        super(transport.cores(), transport);
        this.transport = transport;
    }

    /** The running Strait (counters, the dataplane); null once the group has shut down. */
    public Strait strait() {
        return transport.strait();
    }

    @Override
    public ChannelFuture register(Channel channel) {
        final EventLoop home = homeLoop(channel);
        return home != null ? home.register(channel) : super.register(channel);
    }

    @Override
    public ChannelFuture register(ChannelPromise promise) {
        final EventLoop home = homeLoop(promise.channel());
        return home != null ? home.register(promise) : super.register(promise);
    }

    private static EventLoop homeLoop(Channel channel) {
        if (channel instanceof StraitSocketChannel s && s.home() != null) {
            return (EventLoop) s.home().executor();
        }
        return null;
    }
}
