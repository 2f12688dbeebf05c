package io.strait.apps.api;

import io.strait.dataplane.DataplaneCounters;
import io.strait.dataplane.FrameIo;
import io.strait.dataplane.NetAgent;
import io.strait.dataplane.TcpTransport;
import io.strait.dataplane.sim.FramePipe;
import io.strait.tcp.TcpConfig;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.TcpHandler;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.nio.ByteBuffer;
import java.util.function.Function;

/**
 * Warms the JIT before a server says READY: an app's handler behind a private core (a {@link NetAgent}, an engine
 * with the real core's settings, a {@link StraitCore}), driven over an in-memory port by a client agent and engine
 * that send the app's request again and again on a few connections. The compiled code is shared by every instance
 * and thread, so warming private instances warms the cores. Measured (bench/results/warmup-20261202): alone it does
 * not bring the first 10k requests near steady state, because the JIT's profiles then lack the real port's classes
 * and C2 recompiles at the first real traffic; with the JDK's AOT cache recorded on real traffic
 * ({@code setup/strait serve --aot}) it does.
 */
public final class WarmUp {
    private static final int SERVER_IP = 0x0A00_0002;
    private static final int CLIENT_IP = 0x0A00_0001;
    private static final int PORT = 80;

    private WarmUp() {
    }

    /**
     * The whole path a core runs, not only the engine: {@code exchanges} request/response exchanges against a handler
     * made by {@code app} for the warm-up's core (with the real core's TCP settings {@code config}, so congestion
     * control, options and buffer sizes take the branches real traffic takes), through a {@link NetAgent} and a {@link StraitCore} as {@code Strait} builds them (burst,
     * Ethernet, ARP, IPv4, the engine, the app, output, the TX queue), over an in-memory port ({@link FramePipe})
     * whose far end is a second agent with a client engine. {@code caps} are the real port's capabilities, so the
     * warm-up takes the same checksum paths (software or offloaded) as the traffic that follows. Real time, on the
     * caller's thread; stops after {@code maxNs} whatever is done.
     *
     * <p>Waits for the exchanges, not for the closes (the client's TIME_WAIT would hold it for 2 MSL): the
     * connections are aborted at the end.
     *
     * @return exchanges completed
     */
    public static long runStack(Function<StraitCore, ConnectionHandler> app, TcpConfig config, byte[] request,
                                int responseBytes, int connections, long exchanges, int caps, long maxNs) {
        return runStack(app, config, request, responseBytes, connections, exchanges, caps, maxNs, 0, 0);
    }

    /**
     * As {@link #runStack(Function, TcpConfig, byte[], int, int, long, int, long)}, over a port that loses
     * {@code loss} and reorders {@code reorder} of the frames each way once every connection has had its first
     * exchange (so that no handshake waits out a SYN's 1 s timeout): with responses of many segments this runs loss
     * recovery (SACK, RACK-TLP, retransmission, PRR, D-SACK and undo), which a lossless warm-up never reaches.
     * Measured (bench/results/loss-20261202T045943Z/README.md, README "Warm-up"): a server warmed without it took
     * up to 2x as long for its first 0.1%-loss downloads while C2 compiled and deoptimised the recovery paths.
     */
    public static long runStack(Function<StraitCore, ConnectionHandler> app, TcpConfig config, byte[] request,
                                int responseBytes, int connections, long exchanges, int caps, long maxNs,
                                double loss, double reorder) {
        return runStack(app, config, request, responseBytes, connections, exchanges, caps, maxNs, loss, reorder,
            counters());
    }

    /** With the warm-up's counters ({@code warm.s.}, {@code warm.c.}) in {@code counters}, for tests. */
    static long runStack(Function<StraitCore, ConnectionHandler> app, TcpConfig config, byte[] request,
                         int responseBytes, int connections, long exchanges, int caps, long maxNs, double loss,
                         double reorder, CountersManager counters) {
        final FramePipe pipe = new FramePipe(4096, 0x02_00_00_00_77_02L, 0x02_00_00_00_77_01L,
            caps & (FrameIo.CAP_RX_IP_CKSUM | FrameIo.CAP_RX_TCP_CKSUM | FrameIo.CAP_TX_IP_CKSUM
                | FrameIo.CAP_TX_TCP_CKSUM));
        final org.agrona.concurrent.SystemNanoClock clock = org.agrona.concurrent.SystemNanoClock.INSTANCE;
        final long[] random = {0x5DEECE66DL};
        final NetAgent serverAgent = new NetAgent("strait-warm-s", pipe.a, clock, new DataplaneCounters(counters, 0),
            SERVER_IP, 24, 0, 16);
        final NetAgent clientAgent = new NetAgent("strait-warm-c", pipe.b, clock, new DataplaneCounters(counters, 1),
            CLIENT_IP, 24, 0, 16);
        final TcpEngine server = new TcpEngine(config, () -> random[0] = random[0] * 6364136223846793005L + 1,
            counters, "warm.s.");
        server.txChecksumOffload((pipe.a.caps() & FrameIo.CAP_TX_TCP_CKSUM) != 0);
        final TcpEngine client = new TcpEngine(config, () -> random[0] = random[0] * 6364136223846793005L + 1,
            counters, "warm.c.");
        final StraitCore core = new StraitCore(0, server, serverAgent);
        serverAgent.transport(core.transport());
        clientAgent.transport(new TcpTransport(client));
        serverAgent.onStart();
        clientAgent.onStart();
        core.listen(PORT, app.apply(core));
        final Driver driver = new Driver(client, request, responseBytes, exchanges);
        for (int i = 0; i < connections; i++) {
            client.connect(CLIENT_IP, SERVER_IP, PORT, driver, clock.nanoTime());
        }
        final long deadline = System.nanoTime() + maxNs;
        boolean impaired = false;
        while (driver.done < exchanges && System.nanoTime() - deadline < 0) { // not the closes: TIME_WAIT lasts
            if (!impaired && driver.done >= connections && (loss > 0 || reorder > 0)) {
                pipe.impair(loss, reorder, 0x5EED);
                impaired = true;
            }
            clientAgent.doWork();
            serverAgent.doWork();
        }
        pipe.impair(0, 0, 0); // the aborts' RSTs must get through
        client.forEachConnection(client::abort);
        core.closeAll(true);
        for (int i = 0; i < 100; i++) { // the aborts' RSTs through, buffers back to the pipe
            clientAgent.doWork();
            serverAgent.doWork();
        }
        serverAgent.onClose();
        clientAgent.onClose();
        return driver.done;
    }

    static CountersManager counters() {
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
