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
public final class StraitCore implements TransportLayer {
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
    private final Connection connection;
    private final ManyToOneConcurrentArrayQueue<Runnable> commands =
        new ManyToOneConcurrentArrayQueue<>(COMMAND_QUEUE);
    private Task[] tasks = new Task[0];

    StraitCore(int index, TcpEngine engine, NetAgent agent) {
        this.index = index;
        this.engine = engine;
        this.agent = agent;
        this.connection = new Connection(engine, index);
    }

    public int index() {
        return index;
    }

    /** The engine, for what the API does not wrap (counters, per-connection statistics). Core thread only. */
    public TcpEngine engine() {
        return engine;
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

    /** Accepts connections on {@code port} (any local address of this core). Core thread only. */
    public void listen(int port, ConnectionHandler handler) {
        engine.listen(port, adapt(handler));
    }

    /**
     * Opens a connection from this core (the engine picks a source port that steers back to this core).
     *
     * @return the handle, or -1 when no port or slot was free (counted by the engine)
     */
    public long connect(int remoteIp, int remotePort, ConnectionHandler handler) {
        return engine.connect(agent.localIp(), remoteIp, remotePort, adapt(handler), agent.nowNs());
    }

    /** The flyweight for a handle of this core (core thread only; re-pointed by every call). */
    public Connection connection(long handle) {
        return connection.of(handle);
    }

    /** Wraps an app handler so the engine's (handle)-shaped callbacks reach it through the flyweight. */
    TcpHandler adapt(ConnectionHandler h) {
        final Connection c = connection;
        return new TcpHandler() {
            @Override
            public void onOpen(long handle) {
                h.onOpen(c.of(handle));
            }

            @Override
            public int onData(long handle, DirectBuffer buffer, int offset, int length) {
                return h.onData(c.of(handle), buffer, offset, length);
            }

            @Override
            public void onReadComplete(long handle) {
                h.onReadComplete(c.of(handle));
            }

            @Override
            public void onWritable(long handle) {
                h.onWritable(c.of(handle));
            }

            @Override
            public void onPeerFin(long handle) {
                h.onPeerClosed(c.of(handle));
            }

            @Override
            public void onClose(long handle, int reason) {
                h.onClose(c.of(handle), reason);
            }
        };
    }

    @Override
    public void onSegment(DirectBuffer buffer, int offset, int length, int srcIp, int dstIp, boolean checksumVerified,
                          long nowNs, SegmentSink out) {
        engine.onSegment(buffer, offset, length, srcIp, dstIp, checksumVerified, nowNs, out);
    }

    @Override
    public int poll(long nowNs, SegmentSink out) {
        int work = 0;
        for (int i = 0; i < COMMANDS_PER_CYCLE; i++) {
            final Runnable r = commands.poll();
            if (r == null) {
                break;
            }
            r.run();
            work++;
        }
        for (Task t : tasks) {
            work += t.doWork(nowNs);
        }
        return work + engine.poll(nowNs, out);
    }
}
