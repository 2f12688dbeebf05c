package io.strait.bench.netty;

import io.strait.dataplane.sim.FramePipe;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ManualIoEventLoop;
import io.strait.apps.api.BenchCores;
import io.strait.apps.api.StraitCore;
import io.strait.dataplane.DataplaneCounters;
import io.strait.dataplane.NetAgent;
import io.strait.dataplane.TcpTransport;
import io.strait.netty.BenchTransports;
import io.strait.netty.StraitSocketChannel;
import io.strait.tcp.TcpConfig;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.TcpHandler;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The Netty transport's read and write paths, the real code end to end but for the NIC: a {@link StraitSocketChannel}
 * on a Netty {@link ManualIoEventLoop} that this thread drives, its {@code StraitIoHandler} running a Strait core's
 * duty cycle (a {@link NetAgent}: Ethernet, ARP, IPv4, the TCP engine, the channel's callbacks, one TX flush) over an
 * in-memory port ({@link FramePipe}, checksum offload as on a NIC) whose other end is a second NetAgent with a bare
 * TCP engine as the peer.
 *
 * <ul>
 *   <li>{@code read}: the peer sends one message of {@code size} bytes; the channel copies each burst once into a
 *       buffer of its allocator and fires {@code channelRead} / {@code channelReadComplete}; the handler releases it.
 *   <li>{@code write}: the handler's side writes one message of {@code size} bytes (a buffer of the channel's
 *       allocator, {@code writeAndFlush} with the void promise) through {@code ChannelOutboundBuffer} into the engine;
 *       done when the peer has it all.
 *   <li>{@code echo}: both: the handler writes back each buffer it reads and flushes at the burst's end.
 *   <li>{@code readEngineOnly}: {@code read} without Netty (the peer sending to a bare engine handler on the same
 *       cores), the floor the transport adds to.
 * </ul>
 * One operation is one whole message (both stacks, every segment and ACK it takes). Run with {@code -prof gc}:
 * {@code gc.alloc.rate.norm} is what the transport allocates per message beyond Netty's pooled buffers, which are
 * recycled (Netty's default allocator) on the benchmark thread, a {@code FastThreadLocalThread} as an event loop's is.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-exports",
    "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
    // The benchmark thread is an event loop's: a FastThreadLocalThread (see FastThreadLocalExecutor).
    "-Djmh.executor=CUSTOM", "-Djmh.executor.class=io.strait.bench.netty.FastThreadLocalExecutor",
    // Netty's leak detector samples 1 buffer in 128 with a stack trace: Netty's cost, not the transport's.
    "-Dio.netty.leakDetection.level=disabled"})
public class NettyTransportBenchmark {
    static final int IP_A = 0xC612_0502;   // 198.18.5.2: the Netty side
    static final int IP_B = 0xC612_0501;   // 198.18.5.1: the peer
    static final int PORT = 7;
    /** Cycles a message may take before the benchmark calls the run broken (it never nears this). */
    static final int MAX_CYCLES = 1_000_000;

    @Param({"64", "16384"})
    int size;

    FramePipe pipe;
    NetAgent agentA;
    NetAgent agentB;
    ManualIoEventLoop loop;
    StraitSocketChannel channel;
    NettyHandler nettyApp;
    Peer peer;
    /** The bare-engine connection on the Netty side's core (readEngineOnly), and its handler. */
    Peer engineApp;
    long engineOnlyHandle = -1;
    StraitCore coreA;
    TcpEngine engineB;
    UnsafeBuffer payload;
    byte[] payloadBytes;

    @Setup
    public void setup() throws Exception {
        final TcpConfig tcp = TcpConfig.builder().maxConnections(16).sendBufferBytes(256 * 1024)
            .receiveBufferBytes(256 * 1024).build();
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(2048 * 512, 64)),
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(2048 * 128, 64)), StandardCharsets.US_ASCII);
        pipe = new FramePipe(4096, 0x02_00_00_00_05_02L, 0x02_00_00_00_05_01L);
        final SystemNanoClock clock = SystemNanoClock.INSTANCE;
        agentA = new NetAgent("strait-core0", pipe.a, clock, new DataplaneCounters(counters, 0), IP_A, 24, 0, 64);
        agentB = new NetAgent("peer", pipe.b, clock, new DataplaneCounters(counters, 1), IP_B, 24, 0, 64);
        final long[] seed = {42};
        final TcpEngine engineA = new TcpEngine(tcp, () -> seed[0] = seed[0] * 6364136223846793005L + 1,
            counters, "a.tcp.");
        engineB = new TcpEngine(tcp, () -> seed[0] = seed[0] * 6364136223846793005L + 1, counters, "b.tcp.");
        coreA = BenchCores.over(0, engineA, agentA);
        agentB.transport(new TcpTransport(engineB));
        agentA.onStart();
        agentB.onStart();

        peer = new Peer(engineB);
        engineB.listen(PORT, peer);
        payloadBytes = new byte[size];
        for (int i = 0; i < size; i++) {
            payloadBytes[i] = (byte) (i % 251);
        }
        payload = new UnsafeBuffer(BufferUtil.allocateDirectAligned(Math.max(64, size), 64));
        payload.putBytes(0, payloadBytes);

        loop = new ManualIoEventLoop(Thread.currentThread(),
            BenchTransports.factory(new StraitCore[] {coreA}, new Agent[] {agentA}));
        channel = new StraitSocketChannel();
        nettyApp = new NettyHandler();
        channel.pipeline().addLast(nettyApp);
        final ChannelFuture registered = loop.register(channel);
        pumpUntil(registered::isDone);
        if (!registered.isSuccess()) {
            throw new IllegalStateException("register failed", registered.cause());
        }
        final ChannelFuture connected = channel.connect(new InetSocketAddress(inet(IP_B), PORT));
        pumpUntil(() -> connected.isDone() && peer.handle >= 0);
        if (!connected.isSuccess()) {
            throw new IllegalStateException("connect failed", connected.cause());
        }

        // The floor: a second connection from the same core, to a bare engine handler instead of a Netty channel.
        engineApp = new Peer(engineA);
        engineA.listen(PORT + 1, engineApp);
        final Peer opener = new Peer(engineB);
        engineB.connect(IP_B, IP_A, PORT + 1, opener, agentB.nowNs());
        pumpUntil(() -> engineApp.handle >= 0 && opener.handle >= 0);
        engineOnlyHandle = opener.handle;
    }

    @TearDown
    public void tearDown() {
        channel.close();
        for (int i = 0; i < 1000; i++) {
            cycle();
        }
        loop.shutdown();
        while (!loop.isTerminated()) {
            loop.runNow();
        }
    }

    /** One cycle of each side: the event loop (its tasks and the Netty side's core), then the peer. */
    void cycle() {
        loop.runNow();
        agentB.doWork();
    }

    void pumpUntil(java.util.function.BooleanSupplier done) {
        for (int i = 0; i < MAX_CYCLES; i++) {
            if (done.getAsBoolean()) {
                return;
            }
            cycle();
        }
        throw new IllegalStateException("not done after " + MAX_CYCLES + " cycles");
    }

    /** The peer sends {@code size} bytes on {@code handle} (as much as its send buffer takes each cycle). */
    void peerSends(long handle) {
        int offset = 0;
        for (int i = 0; offset < size; i++) {
            final int n = engineB.write(handle, payload, offset, size - offset);
            if (n < 0 || i == MAX_CYCLES) {
                throw new IllegalStateException("the peer cannot write: " + n);
            }
            offset += n;
            if (offset < size) {
                cycle();
            }
        }
    }

    private void awaitNetty(long target) {
        for (int i = 0; nettyApp.bytes < target; i++) {
            if (i == MAX_CYCLES) {
                throw new IllegalStateException("the channel read " + nettyApp.bytes + " of " + target);
            }
            cycle();
        }
    }

    private void awaitPeer(Peer p, long target) {
        for (int i = 0; p.bytes < target; i++) {
            if (i == MAX_CYCLES) {
                throw new IllegalStateException("the peer read " + p.bytes + " of " + target);
            }
            cycle();
        }
    }

    @Benchmark
    public long read() {
        nettyApp.echo = false;
        final long target = nettyApp.bytes + size;
        peerSends(peer.handle);
        awaitNetty(target);
        return nettyApp.bytes;
    }

    @Benchmark
    public long write() {
        nettyApp.echo = false;
        final long target = peer.bytes + size;
        final ByteBuf b = channel.alloc().directBuffer(size);
        b.writeBytes(payloadBytes, 0, size);
        channel.writeAndFlush(b, channel.voidPromise());
        awaitPeer(peer, target);
        return peer.bytes;
    }

    @Benchmark
    public long echo() {
        nettyApp.echo = true;
        final long target = peer.bytes + size;
        peerSends(peer.handle);
        awaitPeer(peer, target);
        return peer.bytes;
    }

    @Benchmark
    public long readEngineOnly() {
        final long target = engineApp.bytes + size;
        peerSends(engineOnlyHandle);
        awaitPeer(engineApp, target);
        return engineApp.bytes;
    }

    static InetAddress inet(int ip) throws UnknownHostException {
        return InetAddress.getByAddress(new byte[] {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8),
            (byte) ip});
    }

    /** The pipeline's one handler: counts and releases what it reads, or writes it back (echo). */
    static final class NettyHandler extends ChannelInboundHandlerAdapter {
        long bytes;
        boolean echo;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            final ByteBuf b = (ByteBuf) msg;
            bytes += b.readableBytes();
            if (echo) {
                ctx.write(b, ctx.voidPromise());
            } else {
                b.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (echo) {
                ctx.flush();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            throw new IllegalStateException("the channel failed", cause);
        }
    }

    /** A bare engine app: consumes and counts everything, remembers its (last) connection. */
    static final class Peer implements TcpHandler {
        private final TcpEngine engine;
        long handle = -1;
        long bytes;

        Peer(TcpEngine engine) {
            this.engine = engine;
        }

        @Override
        public void onOpen(long h) {
            handle = h;
        }

        @Override
        public int onData(long h, DirectBuffer buffer, int offset, int length) {
            bytes += length;
            return length;
        }

        @Override
        public void onPeerFin(long h) {
            engine.close(h);
        }

        @Override
        public void onClose(long h, int reason) {
        }
    }
}
