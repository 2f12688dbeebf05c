package io.strait.netty;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.util.concurrent.ThreadAwareExecutor;
import io.strait.apps.api.Strait;
import io.strait.apps.api.StraitCore;
import org.agrona.concurrent.AgentInvoker;

import java.util.ArrayList;
import java.util.List;

/**
 * A Netty 4.2 {@link IoHandler} that is one Strait core: each {@link #run} is one duty cycle (receive burst, TCP
 * engine, timers, one TX flush), so the event loop's thread is the core's pinned poll thread and Netty's tasks run
 * between cycles. The loop never blocks: a task handed in from another thread is seen at the next cycle, without a
 * system call ({@link #wakeup} has nothing to do).
 *
 * <pre>{@code
 * EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, StraitIoHandler.newFactory(
 *     Strait.builder().dev("net_af_packet0,iface=strait0").ip("198.18.0.2/24")));
 * }</pre>
 * With more than one core use {@link StraitEventLoopGroup}: an accepted connection belongs to the core its packets
 * are steered to, and only that group registers it on the right event loop.
 */
public final class StraitIoHandler implements IoHandler {
    private final StraitTransport transport;
    private final int core;
    private final StraitCore straitCore;
    private final ThreadAwareExecutor executor;
    private final List<Registration> registrations = new ArrayList<>();
    private AgentInvoker invoker;

    StraitIoHandler(StraitTransport transport, int core, StraitCore straitCore, ThreadAwareExecutor executor) {
        this.transport = transport;
        this.core = core;
        this.straitCore = straitCore;
        this.executor = executor;
    }

    /** A factory whose handlers drive the cores of the Strait that {@code builder} starts (at the first handler). */
    public static IoHandlerFactory newFactory(Strait.Builder builder) {
        return new StraitTransport(builder);
    }

    int core() {
        return core;
    }

    StraitCore straitCore() {
        return straitCore;
    }

    StraitTransport transport() {
        return transport;
    }

    /** The event loop this core runs on. */
    ThreadAwareExecutor executor() {
        return executor;
    }

    @Override
    public void initialize() {
        // On the event loop's own thread: pinned to the core's CPU and registered with DPDK's EAL.
        invoker = transport.invoker(core);
    }

    @Override
    public int run(IoHandlerContext context) {
        return invoker.invoke();
    }

    @Override
    public void prepareToDestroy() {
        for (Registration r : registrations.toArray(new Registration[0])) {
            try {
                r.handle.close();
            } catch (Exception e) {
                // the channel reports its own close failure through its pipeline
            }
        }
    }

    @Override
    public void destroy() {
        // The channels closed in prepareToDestroy queued their FINs (or RSTs): a few more cycles send them before
        // the port goes away.
        final long until = System.nanoTime() + 20_000_000L;
        while (invoker != null && System.nanoTime() < until) {
            invoker.invoke();
        }
        transport.destroyed();
    }

    @Override
    public IoRegistration register(IoHandle handle) {
        if (!(handle instanceof StraitIoHandle)) {
            throw new IllegalArgumentException("a Strait event loop takes Strait channels, not " + handle);
        }
        final Registration r = new Registration(handle);
        registrations.add(r);
        return r;
    }

    @Override
    public void wakeup() {
        // The loop busy-polls: a task queued from another thread is run after the current cycle.
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return StraitIoHandle.class.isAssignableFrom(handleType);
    }

    /** What a Strait channel registers with its event loop. */
    interface StraitIoHandle extends IoHandle {
    }

    /** A channel's registration: names the core's handler (its {@link #attachment()}). */
    final class Registration implements IoRegistration {
        final IoHandle handle;
        private boolean valid = true;

        Registration(IoHandle handle) {
            this.handle = handle;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T attachment() {
            return (T) StraitIoHandler.this;
        }

        @Override
        public long submit(IoOps ops) {
            return 0; // readiness is the engine's callbacks, not operations to arm
        }

        @Override
        public boolean isValid() {
            return valid;
        }

        @Override
        public boolean cancel() {
            if (!valid) {
                return false;
            }
            valid = false;
            registrations.remove(this);
            return true;
        }
    }
}
