package io.strait.netty;

import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.util.concurrent.ThreadAwareExecutor;
import io.strait.apps.api.Strait;

/**
 * One Strait instance shared by the event loops of a group: the first {@link #newHandler} starts it (invoker mode,
 * so each event loop thread drives one core), each further call takes the next core, and the last handler destroyed
 * closes it.
 */
final class StraitTransport implements IoHandlerFactory {
    private final Strait.Builder builder;
    private Strait strait;
    private StraitIoHandler[] handlers;
    private int created;
    private int destroyed;
    /** Active opens of every core: their channel is attached before the first callback. */
    final ConnectionBridge clientBridge = new ConnectionBridge(null);

    StraitTransport(Strait.Builder builder) {
        this.builder = builder;
    }

    int cores() {
        return builder.cores();
    }

    @Override
    public synchronized IoHandler newHandler(ThreadAwareExecutor executor) {
        if (strait == null) {
            strait = builder.invoker(true).start();
            handlers = new StraitIoHandler[strait.cores()];
        }
        if (created == handlers.length) {
            throw new IllegalStateException("the event loop group has more threads than Strait has cores ("
                + handlers.length + "): give the group " + handlers.length + " threads (or use StraitEventLoopGroup)");
        }
        final StraitIoHandler h = new StraitIoHandler(this, created, strait.core(created), executor);
        handlers[created++] = h;
        return h;
    }

    synchronized Strait strait() {
        return strait;
    }

    synchronized StraitIoHandler handler(int core) {
        return handlers[core];
    }

    /** Fails clearly when some core has no event loop to drive it (its connections would hang). */
    synchronized void checkEveryCoreDriven() {
        if (created != handlers.length) {
            throw new IllegalStateException("Strait has " + handlers.length + " cores but the event loop group only "
                + created + " threads: every core needs its event loop");
        }
    }

    synchronized void destroyed() {
        if (++destroyed == created && strait != null) {
            strait.close();
            strait = null;
        }
    }
}
