package io.strait.netty;

import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.util.concurrent.ThreadAwareExecutor;
import io.strait.apps.api.Strait;
import io.strait.apps.api.StraitCore;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;

/**
 * One Strait instance shared by the event loops of a group: the first {@link #newHandler} starts it (invoker mode,
 * so each event loop thread drives one core), each further call takes the next core, and the last handler destroyed
 * closes it.
 *
 * <p>Or, for benchmarks and tests without DPDK ({@link #StraitTransport(StraitCore[], Agent[])}): cores the caller
 * built over poll loops of its own (a {@code NetAgent} over an in-memory port), each event loop running one loop's
 * duty cycle. The channels then run the same code as on a port; only where the frames go differs.
 */
final class StraitTransport implements IoHandlerFactory {
    private final Strait.Builder builder;
    private final StraitCore[] givenCores;
    private final Agent[] givenCycles;
    private Strait strait;
    private boolean running;
    private StraitIoHandler[] handlers;
    private int created;
    private int destroyed;
    /** Active opens of every core: their channel is attached before the first callback. */
    final ConnectionBridge clientBridge = new ConnectionBridge(null);

    StraitTransport(Strait.Builder builder) {
        this.builder = builder;
        this.givenCores = null;
        this.givenCycles = null;
    }

    /** Cores built by the caller, core {@code i} driven by {@code cycles[i]} (not started or closed here). */
    StraitTransport(StraitCore[] cores, Agent[] cycles) {
        if (cores.length != cycles.length || cores.length == 0) {
            throw new IllegalArgumentException("one duty cycle per core, at least one core");
        }
        this.builder = null;
        this.givenCores = cores.clone();
        this.givenCycles = cycles.clone();
    }

    int cores() {
        return builder != null ? builder.cores() : givenCores.length;
    }

    @Override
    public synchronized IoHandler newHandler(ThreadAwareExecutor executor) {
        if (handlers == null) {
            if (builder != null) {
                strait = builder.invoker(true).start();
            }
            running = true;
            handlers = new StraitIoHandler[cores()];
        }
        if (created == handlers.length) {
            throw new IllegalStateException("the event loop group has more threads than Strait has cores ("
                + handlers.length + "): give the group " + handlers.length + " threads (or use StraitEventLoopGroup)");
        }
        final StraitIoHandler h = new StraitIoHandler(this, created, core(created), executor);
        handlers[created++] = h;
        return h;
    }

    /** Core {@code k}'s duty cycle, for the one thread that drives it (pinned to the core's CPU on a port). */
    synchronized AgentInvoker invoker(int k) {
        if (builder != null) {
            return strait.invoker(k, true);
        }
        final AgentInvoker invoker = new AgentInvoker(Throwable::printStackTrace, null, givenCycles[k]);
        invoker.start();
        return invoker;
    }

    /** The running Strait; null before the first handler, after the last, and for cores given by the caller. */
    synchronized Strait strait() {
        return strait;
    }

    /** True from the first handler until the last one is destroyed. */
    synchronized boolean running() {
        return running;
    }

    synchronized StraitCore core(int k) {
        return builder != null ? strait.core(k) : givenCores[k];
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
        if (++destroyed == created) {
            running = false;
            if (strait != null) {
                strait.close();
                strait = null;
            }
        }
    }
}
