package io.strait.apps.api;

import io.strait.dataplane.NetAgent;
import io.strait.dataplane.TransportLayer;
import io.strait.tcp.SegmentSink;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.TcpHandler;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * One core of a running {@link Strait}: its TCP engine, its connections, and a bounded lock-free queue through which
 * other threads hand it work. Everything but {@link #execute(Runnable)} must be called on the core's own thread
 * (from a handler callback, a {@link Task}, or a Runnable given to execute).
 */
public final class StraitCore {
    /** Cross-thread commands the queue holds; {@link #execute} refuses more. */
    public static final int COMMAND_QUEUE = 4096;
    /** Commands run per cycle at most (work per cycle is capped). */
    static final int COMMANDS_PER_CYCLE = 64;

    /** Work an app runs on the core's thread once per poll cycle (timers of its own, open-loop sends ...). */
    @FunctionalInterface
    public interface Task {
        /** @return work done (0 lets the idle strategy back off) */
        int doWork(long nowNs);
    }

    private final int index;
    private final TcpEngine engine;
    private final NetAgent agent;
    /** The flyweight handed to callbacks; {@link #connection(long)} uses its own, so the two never alias. */
    private final Connection callback;
    private final Connection lookup;
    /** Per-connection app objects, indexed by slot ({@link Connection#attach}); cleared after onClose. */
    private final Object[] attachments;
    private final long[] attachedTo;
    /** Ports this core listens on (a second listen on one port is refused, not silently replaced). */
    private final org.agrona.collections.IntHashSet listening = new org.agrona.collections.IntHashSet();
    private final TransportLayer transport = new TransportLayer() {
        @Override
        public void onSegment(DirectBuffer buffer, int offset, int length, int srcIp, int dstIp,
                              boolean checksumVerified, long nowNs, SegmentSink out) {
            engine.onSegment(buffer, offset, length, srcIp, dstIp, checksumVerified, nowNs, out);
        }

        @Override
        public void onIcmpError(int type, int code, int mtu, int quotedSrcIp, int quotedDstIp, int srcPort,
                                int dstPort, int quotedSeq, long nowNs) {
            engine.onIcmpError(type, code, mtu, quotedSrcIp, quotedDstIp, srcPort, dstPort, quotedSeq, nowNs);
        }

        @Override
        public int poll(long nowNs, SegmentSink out) {
            return StraitCore.this.poll(nowNs, out);
        }
    };
    private ErrorHandler errorHandler = ErrorHandler.PRINT;
    private final OutboundQueues outbound;
    private final CoreTimers timers = new CoreTimers(e -> errorHandler.onError(this, e));
    /** Active opens given up by their connect timeout: their onClose says TIMEOUT, not LOCAL_ABORT. */
    private final org.agrona.collections.LongHashSet timedOut = new org.agrona.collections.LongHashSet();
    private final ManyToOneConcurrentArrayQueue<Runnable> commands =
        new ManyToOneConcurrentArrayQueue<>(COMMAND_QUEUE);
    private Task[] tasks = new Task[0];

    StraitCore(int index, TcpEngine engine, NetAgent agent) {
        this.index = index;
        this.engine = engine;
        this.agent = agent;
        this.attachments = new Object[engine.config().maxConnections];
        this.attachedTo = new long[attachments.length];
        java.util.Arrays.fill(attachedTo, -1L); // no handle is -1 (generation -1 with slot 2^32-1)
        this.outbound = new OutboundQueues(engine, attachments.length);
        this.callback = new Connection(engine, index, attachments, attachedTo, agent::nowNs, outbound, this);
        this.lookup = new Connection(engine, index, attachments, attachedTo, agent::nowNs, outbound, this);
    }

    /** What the dataplane calls: segments in, the per-cycle poll. Not part of the API. */
    TransportLayer transport() {
        return transport;
    }

    /**
     * The most bytes {@link Connection#send} queues per connection beyond the engine's send buffer (4 MB by
     * default); past it, send accepts less than offered. Core thread only (or before start).
     */
    public void outboundLimit(long bytes) {
        outbound.limitBytes(bytes);
    }

    /** Where exceptions thrown by handlers and tasks go (default: one line on stderr with the stack). */
    public void errorHandler(ErrorHandler handler) {
        this.errorHandler = java.util.Objects.requireNonNull(handler);
    }

    public int index() {
        return index;
    }

    /** The engine behind this core (package-private: the API is the one way in, issue 11). Core thread only. */
    TcpEngine engine() {
        return engine;
    }

    /** The TCP settings this core's engine runs with (buffer sizes and connection slots for per-core app state). */
    public io.strait.tcp.TcpConfig tcpConfig() {
        return engine.config();
    }

    /** Connections the app holds on this core (opened, not yet passed to onClose). Core thread only; scans. */
    public int openConnections() {
        final int[] n = new int[1];
        engine.forEachConnection(h -> n[0]++);
        return n[0];
    }

    /**
     * Ends every connection of this core: gracefully (FIN after the queued bytes) or, with {@code abort}, with a RST
     * now; each reaches its handler's onClose. Core thread only.
     */
    public void closeAll(boolean abort) {
        engine.forEachConnection(abort ? engine::abort : engine::close);
    }

    /** The cycle's time in ns (read once per cycle). */
    public long nowNs() {
        return agent.nowNs();
    }

    /** This core's address (big-endian int). */
    public int localIp() {
        return agent.localIp();
    }

    /** Hands work to this core from any thread; false when the queue is full (try again later). */
    public boolean execute(Runnable command) {
        return commands.offer(command);
    }

    /** Runs {@code task} once per cycle on this core. Core thread only (or before start). */
    public void addTask(Task task) {
        final Task[] more = java.util.Arrays.copyOf(tasks, tasks.length + 1);
        more[tasks.length] = task;
        tasks = more;
    }

    /**
     * Accepts connections on {@code port} (any local address of this core). Core thread only.
     *
     * @throws IllegalArgumentException for a port outside 1..65535
     * @throws IllegalStateException when this core already listens on the port
     */
    public void listen(int port, ConnectionHandler handler) {
        Strait.checkPort(port);
        java.util.Objects.requireNonNull(handler, "handler");
        if (!listening.add(port)) {
            throw new IllegalStateException("already listening on port " + port + " (unlisten it first)");
        }
        engine.listen(port, adapt(handler));
    }

    /** Stops accepting on {@code port}; established connections stay. Core thread only. */
    public void unlisten(int port) {
        if (listening.remove(port)) {
            engine.unlisten(port);
        }
    }

    /**
     * Opens a connection from this core (the engine picks a source port that steers back to this core).
     *
     * @return the handle, or -1 when no port or slot was free (counted by the engine)
     */
    public long connect(int remoteIp, int remotePort, ConnectionHandler handler) {
        Strait.checkPort(remotePort);
        return engine.connect(agent.localIp(), remoteIp, remotePort, adapt(handler), agent.nowNs());
    }

    /**
     * {@link #connect(java.net.InetSocketAddress, ConnectionHandler)} from a local address, as a socket bound before
     * it connects: its address must be this core's (or the wildcard), its port 0 (the engine picks one that steers
     * the replies back to this core) or a port of the caller's choice. Core thread only.
     *
     * @return the handle, or -1 when no connection slot was free
     * @throws IllegalArgumentException when the local address is not this core's, or the port is outside 0..65535
     * @throws IllegalStateException when the local port cannot be used for this remote end: a listener holds it, a
     *     connection (or TIME_WAIT) holds the four-tuple, or the NIC steers its replies to another core
     */
    public long connect(java.net.InetSocketAddress remote, java.net.InetSocketAddress local,
                        ConnectionHandler handler) {
        final int remoteIp = Strait.ipv4(remote.getAddress());
        Strait.checkPort(remote.getPort());
        if (local == null) {
            return connect(remoteIp, remote.getPort(), handler);
        }
        final int ours = agent.localIp();
        final int ip = Strait.ipv4(local.getAddress());
        if (ip != 0 && ip != ours) {
            throw new IllegalArgumentException("cannot connect from " + local + ": this core's address is "
                + Strait.inet(ours).getHostAddress() + " (give it, the wildcard 0.0.0.0, or no local address)");
        }
        final int port = local.getPort();
        if (port != 0) {
            final int use = engine.localPortUse(ours, port, remoteIp, remote.getPort());
            if (use != TcpEngine.PORT_FREE) {
                throw new IllegalStateException("cannot connect from local port " + port + " to " + remote + ": "
                    + switch (use) {
                        case TcpEngine.PORT_LISTENING -> "a listener holds the port";
                        case TcpEngine.PORT_IN_USE -> "a connection (or TIME_WAIT) from that port to "
                            + "that remote end exists";
                        default -> "the NIC steers its replies to another core (pick port 0, or a port "
                            + "this core owns)";
                    });
            }
        }
        return engine.connect(ours, port, remoteIp, remote.getPort(), adapt(handler), agent.nowNs());
    }

    /** {@link #connect(int, int, ConnectionHandler)} to an IPv4 socket address. */
    public long connect(java.net.InetSocketAddress remote, ConnectionHandler handler) {
        return connect(Strait.ipv4(remote.getAddress()), remote.getPort(), handler);
    }

    /**
     * {@link #connect(java.net.InetSocketAddress, ConnectionHandler)} that gives up after {@code timeout} when the
     * handshake has not completed (a silent host or an unanswered ARP otherwise takes the SYN retries, about two
     * minutes): the handler then sees {@code onClose(..., CloseReason.TIMEOUT)}. Core thread only.
     */
    public long connect(java.net.InetSocketAddress remote, ConnectionHandler handler, java.time.Duration timeout) {
        final long handle = connect(remote, handler);
        if (handle >= 0) {
            schedule(timeout.toNanos(), () -> {
                final int st = engine.state(handle);
                if (st == io.strait.tcp.TcpState.SYN_SENT || st == io.strait.tcp.TcpState.SYN_RECEIVED) {
                    timedOut.add(handle);
                    engine.abort(handle);
                }
            });
        }
        return handle;
    }

    /**
     * Runs {@code action} on this core's thread once {@code delayNs} has passed (within about a millisecond).
     * Core thread only; {@link #execute} it from elsewhere.
     *
     * @return an id for {@link #cancel(long)}
     */
    public long schedule(long delayNs, Runnable action) {
        final long now = agent.nowNs();
        return timers.schedule(now + Math.max(0, delayNs), now, java.util.Objects.requireNonNull(action));
    }

    /** Cancels a timer of {@link #schedule}; false when it already ran or was cancelled. Core thread only. */
    public boolean cancel(long timerId) {
        return timers.cancel(timerId);
    }

    /**
     * A flyweight for a handle of this core, for work outside a callback (core thread only). It is not the one
     * callbacks receive, so using it inside a callback does not retarget the callback's {@link Connection}; it is
     * re-pointed by the next call of this method.
     */
    public Connection connection(long handle) {
        return lookup.of(handle);
    }

    /** True while {@code handle} names a live connection of this core. */
    public boolean isOpen(long handle) {
        return engine.state(handle) != io.strait.tcp.TcpState.CLOSED;
    }

    /** Wraps an app handler so the engine's (handle)-shaped callbacks reach it through the flyweight. */
    TcpHandler adapt(ConnectionHandler h) {
        return new HandlerBridge(h, callback) {
            @Override
            public void onWritable(long handle) {
                if (outbound.drain(handle)) { // queued bytes first, then the app may write more
                    super.onWritable(handle);
                }
            }

            @Override
            public void onClose(long handle, int reason) {
                final int why = reason == io.strait.tcp.CloseReason.LOCAL_ABORT && timedOut.remove(handle)
                    ? io.strait.tcp.CloseReason.TIMEOUT : reason;
                outbound.clear(handle);
                try {
                    super.onClose(handle, why);
                } finally {
                    final int slot = TcpEngine.slot(handle);
                    if (attachedTo[slot] == handle) {
                        attachments[slot] = null;
                        attachedTo[slot] = -1L;
                    }
                }
            }
        };
    }

    private int poll(long nowNs, SegmentSink out) {
        int work = 0;
        for (int i = 0; i < COMMANDS_PER_CYCLE; i++) {
            final Runnable r = commands.poll();
            if (r == null) {
                break;
            }
            try {
                r.run();
            } catch (RuntimeException e) {
                errorHandler.onError(this, e); // one failed command never takes the core down
            }
            work++;
        }
        for (Task t : tasks) {
            try {
                work += t.doWork(nowNs);
            } catch (RuntimeException e) {
                errorHandler.onError(this, e);
            }
        }
        work += timers.poll(nowNs);
        return work + engine.poll(nowNs, out);
    }
}
