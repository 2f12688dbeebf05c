package io.strait.apps.api;

import io.strait.tcp.TcpConfig;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.TcpHandler;
import io.strait.tcp.sim.FaultPlan;
import io.strait.tcp.sim.SimWire;
import io.strait.tcp.sim.VirtualClock;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.nio.ByteBuffer;
import java.util.function.Function;

/**
 * Warms the JIT before a server says READY: an app's handler behind a private TCP engine, driven over a simulated
 * wire in memory (virtual time, no port, no packets out) by a client engine that sends the app's request again
 * and again on a few connections. The engine's segment paths (header prediction, ACK processing, output, the
 * checksums) and the handler's are then compiled when the first real client arrives: without it the first
 * thousands of requests run in the interpreter and C1 at several times the steady-state latency. The JIT's
 * compiled code is shared by every instance and thread, so warming private instances warms the cores.
 */
public final class WarmUp {
    private static final int SERVER_IP = 0x0A00_0002;
    private static final int CLIENT_IP = 0x0A00_0001;
    private static final int PORT = 80;

    private WarmUp() {
    }

    /**
     * Runs {@code exchanges} request/response exchanges against a handler made by {@code app} (given the warm-up
     * engine's TCP settings), {@code connections} at a time; a response is complete when {@code responseBytes}
     * have come back for a request. Single-threaded, on the caller's thread.
     *
     * @return exchanges completed
     */
    public static long run(Function<TcpConfig, ConnectionHandler> app, byte[] request, int responseBytes,
                           int connections, long exchanges) {
        final TcpConfig config = TcpConfig.builder().maxConnections(Math.max(16, 2 * connections))
            .sendBufferBytes(64 * 1024).receiveBufferBytes(64 * 1024).build();
        final VirtualClock clock = new VirtualClock(1_000_000_000L);
        final long[] random = {0x5DEECE66DL};
        final TcpEngine server = new TcpEngine(config, () -> random[0] = random[0] * 6364136223846793005L + 1,
            counters(), "warm.s.");
        final TcpEngine client = new TcpEngine(config, () -> random[0] = random[0] * 6364136223846793005L + 1,
            counters(), "warm.c.");
        final SimWire wire = new SimWire(1, FaultPlan.clean(20_000), clock);
        wire.attach(client, CLIENT_IP, server, SERVER_IP);
        final Object[] attachments = new Object[config.maxConnections];
        final long[] attachedTo = new long[config.maxConnections];
        java.util.Arrays.fill(attachedTo, -1L);
        final Connection flyweight = new Connection(server, 0, attachments, attachedTo, clock::nowNs, null, null);
        final ConnectionHandler h = app.apply(config);
        server.listen(PORT, new HandlerBridge(h, flyweight));
        final Driver driver = new Driver(client, request, responseBytes, exchanges);
        for (int i = 0; i < connections; i++) {
            client.connect(CLIENT_IP, SERVER_IP, PORT, driver, clock.nowNs());
        }
        wire.runUntil(() -> driver.done >= exchanges && client.connectionCount() == 0,
            clock.nowNs() + 3_600_000_000_000L);
        return driver.done;
    }

    private static CountersManager counters() {
        return new CountersManager(new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 1024)),
            new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024)));
    }

    /** The client: a request, its whole response, the next request; closes when the total is reached. */
    private static final class Driver implements TcpHandler {
        private final TcpEngine engine;
        private final UnsafeBuffer request;
        private final int responseBytes;
        private final long total;
        private final org.agrona.collections.Long2LongHashMap received = new org.agrona.collections.Long2LongHashMap(-1);
        long sent;
        long done;

        Driver(TcpEngine engine, byte[] request, int responseBytes, long total) {
            this.engine = engine;
            this.request = new UnsafeBuffer(request);
            this.responseBytes = responseBytes;
            this.total = total;
        }

        private void next(long handle) {
            if (sent < total) {
                sent++;
                engine.write(handle, request, 0, request.capacity());
            } else {
                engine.close(handle);
            }
        }

        @Override
        public void onOpen(long handle) {
            next(handle);
        }

        @Override
        public int onData(long handle, DirectBuffer buffer, int offset, int length) {
            long got = Math.max(0, received.get(handle)) + length; // -1: nothing yet
            while (got >= responseBytes) {
                got -= responseBytes;
                done++;
                next(handle);
            }
            received.put(handle, got);
            return length;
        }

        @Override
        public void onPeerFin(long handle) {
            engine.close(handle);
        }

        @Override
        public void onClose(long handle, int reason) {
            received.remove(handle);
        }
    }
}
