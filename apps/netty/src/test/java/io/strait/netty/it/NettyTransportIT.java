package io.strait.netty.it;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ResourceLeakDetector;
import io.strait.apps.api.Strait;
import io.strait.it.Cmd;
import io.strait.netty.StraitEventLoopGroup;
import io.strait.netty.StraitServerSocketChannel;
import io.strait.netty.StraitSocketChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: the Netty transport in this JVM (a StraitEventLoopGroup over the test veth) with unmodified Netty
 * bootstraps: half-close, backpressure both ways, abort, and a Netty client on Strait fetching from nginx.
 */
class NettyTransportIT {
    static StraitEventLoopGroup group;
    static Process nginx;
    static Path nginxDir;
    static final AtomicBoolean writabilityWentFalse = new AtomicBoolean();
    static final AtomicLong maxPendingBytes = new AtomicLong();
    static final AtomicLong unreadReceived = new AtomicLong();
    static final AtomicReference<Channel> notReading = new AtomicReference<>();
    static final long STREAM_BYTES = 50_000_000;
    static final int ECHO_WARMUP = 5_000;
    static final int ECHO_MEASURED = 20_000;
    /** Bytes the event loop thread allocated over the measured echo messages; -1 until measured. */
    static final AtomicLong echoAllocated = new AtomicLong(-1);

    @BeforeAll
    static void start() throws Exception {
        group = new StraitEventLoopGroup(Strait.builder().dev("net_af_packet0,iface=strait0").ip("198.18.0.2/24"));
        new ServerBootstrap().group(group).channel(StraitServerSocketChannel.class)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childHandler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HalfCloseCounter());
                }
            }).bind(7101).sync();
        new ServerBootstrap().group(group).channel(StraitServerSocketChannel.class)
            .childHandler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new Streamer());
                }
            }).bind(7102).sync();
        new ServerBootstrap().group(group).channel(StraitServerSocketChannel.class)
            .childOption(ChannelOption.SO_LINGER, 0)
            .childHandler(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ((ByteBuf) msg).release();
                    ctx.close(); // SO_LINGER 0: RST
                }
            }).bind(7103).sync();
        new ServerBootstrap().group(group).channel(StraitServerSocketChannel.class)
            .childOption(ChannelOption.AUTO_READ, false)
            .childHandler(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    notReading.set(ctx.channel());
                }

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    unreadReceived.addAndGet(((ByteBuf) msg).readableBytes());
                    ((ByteBuf) msg).release();
                }
            }).bind(7104).sync();
        new ServerBootstrap().group(group).channel(StraitServerSocketChannel.class)
            .childHandler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new AllocationCountingEcho());
                }
            }).bind(7105).sync();

        nginxDir = Files.createTempDirectory("strait-netty-nginx");
        Files.writeString(nginxDir.resolve("nginx.conf"), """
            worker_processes 1;
            daemon off;
            pid %1$s/nginx.pid;
            error_log %1$s/error.log;
            events { worker_connections 1024; }
            http { access_log off; client_body_temp_path %1$s; proxy_temp_path %1$s; fastcgi_temp_path %1$s;
                   uwsgi_temp_path %1$s; scgi_temp_path %1$s;
                   server { listen 198.18.0.1:8081; location / { return 200 "from nginx\\n"; } } }
            """.formatted(nginxDir));
        nginx = new ProcessBuilder("ip", "netns", "exec", Cmd.NS, "nginx", "-c", nginxDir.resolve("nginx.conf")
            .toString()).redirectErrorStream(true).start();
        final long deadline = System.nanoTime() + 20_000_000_000L;
        while (Cmd.peer(5, "sh", "-c", "ss -ltn | grep -c 198.18.0.1:8081").out().strip().equals("0")) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("nginx did not start in the peer");
            }
            Thread.sleep(200);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (nginx != null) {
            nginx.descendants().forEach(ProcessHandle::destroy);
            nginx.destroy();
            nginx.waitFor(10, TimeUnit.SECONDS);
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
        }
    }

    /** Counts bytes until the peer's FIN (ChannelInputShutdownEvent), then answers and closes. */
    /**
     * Echoes every read as Netty's own echo example would, minus the promise (voidPromise), and counts the event loop
     * thread's heap allocation between the ECHO_WARMUP-th and the (ECHO_WARMUP + ECHO_MEASURED)-th read.
     */
    static final class AllocationCountingEcho extends ChannelInboundHandlerAdapter {
        private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        private int reads;
        private long startBytes;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            reads++;
            if (reads == ECHO_WARMUP) {
                startBytes = threads.getCurrentThreadAllocatedBytes();
            } else if (reads == ECHO_WARMUP + ECHO_MEASURED) {
                echoAllocated.set(threads.getCurrentThreadAllocatedBytes() - startBytes);
            }
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }
    }

    static final class HalfCloseCounter extends ChannelInboundHandlerAdapter {
        private long bytes;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            bytes += ((ByteBuf) msg).readableBytes();
            ((ByteBuf) msg).release();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt == ChannelInputShutdownEvent.INSTANCE) {
                ctx.writeAndFlush(Unpooled.copiedBuffer("got " + bytes + "\n", StandardCharsets.US_ASCII))
                    .addListener(f -> ctx.close());
            }
        }
    }

    /** Streams STREAM_BYTES of pattern while the channel is writable; records how far the outbound buffer grew. */
    static final class Streamer extends ChannelInboundHandlerAdapter {
        private long sent;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            pump(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (!ctx.channel().isWritable()) {
                writabilityWentFalse.set(true);
            }
            pump(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((ByteBuf) msg).release();
        }

        private void pump(ChannelHandlerContext ctx) {
            while (ctx.channel().isWritable() && sent < STREAM_BYTES) {
                final int n = (int) Math.min(16384, STREAM_BYTES - sent);
                final ByteBuf b = ctx.alloc().directBuffer(n);
                for (int i = 0; i < n; i++) {
                    b.writeByte((int) ((sent + i) % 251));
                }
                sent += n;
                ctx.writeAndFlush(b);
                maxPendingBytes.accumulateAndGet(ctx.channel().unsafe().outboundBuffer().totalPendingWriteBytes(),
                    Math::max);
            }
            if (!ctx.channel().isWritable()) {
                writabilityWentFalse.set(true);
            }
            if (sent == STREAM_BYTES) {
                sent = Long.MAX_VALUE;
                // Completes after every earlier write left for the engine; the close then sends FIN behind them.
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> ctx.close());
            }
        }
    }

    @Test
    void theTransportAllocatesNothingPerReadOrWrite() {
        // One connection, 64 B ping-pong: every round trip is one read (a pooled ByteBuf), one write and one flush.
        // Netty's leak detector is off for it: at its default level it records a stack trace (~2.4 KB) on every
        // 128th buffer it samples, which is Netty's own cost (epoll pays it alike), not the transport's.
        final int total = ECHO_WARMUP + ECHO_MEASURED + 100;
        final ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        final Cmd.Result r;
        try {
            r = Cmd.peer(120, "/usr/bin/python3", "-c", """
            import socket
            s = socket.create_connection(('198.18.0.2', 7105), timeout=20)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            m = bytes(range(64)); ok = 0
            for i in range(%d):
                s.sendall(m)
                d = b''
                while len(d) < 64:
                    c = s.recv(64 - len(d))
                    if not c: raise SystemExit('closed')
                    d += c
                ok += d == m
            print(ok)
            """.formatted(total));
        } finally {
            ResourceLeakDetector.setLevel(level);
        }
        assertEquals(String.valueOf(total), r.out().strip(), r.toString());
        final long allocated = echoAllocated.get();
        assertTrue(allocated >= 0, "the server did not see " + (ECHO_WARMUP + ECHO_MEASURED) + " reads");
        System.out.println("NettyTransportIT: event loop allocated " + allocated + " B over " + ECHO_MEASURED
            + " echoed reads (" + String.format("%.2f", (double) allocated / ECHO_MEASURED) + " B per read)");
        // Netty's pooled buffers and recycled outbound entries are reused: what is left is the transport's own.
        assertTrue(allocated < 8L * ECHO_MEASURED, "event loop allocated " + allocated + " B over " + ECHO_MEASURED
            + " reads");
    }

    @Test
    void halfCloseRaisesInputShutdownAndTheServerStillWrites() {
        final Cmd.Result r = Cmd.peer(60, "/usr/bin/python3", "-c", """
            import socket
            s = socket.create_connection(('198.18.0.2', 7101), timeout=20)
            s.sendall(b'x' * 300000)
            s.shutdown(socket.SHUT_WR)
            d = b''
            while True:
                c = s.recv(65536)
                if not c: break
                d += c
            print(d.decode().strip())
            """);
        assertEquals("got 300000", r.out().strip(), r.toString());
    }

    @Test
    void aClientThatStopsReadingTurnsWritabilityOffAndTheOutboundBufferStaysBounded() {
        final Cmd.Result r = Cmd.peer(120, "/usr/bin/python3", "-c", """
            import socket, time
            s = socket.create_connection(('198.18.0.2', 7102), timeout=30)
            time.sleep(3)    # not reading: the server's engine buffer and our window fill, writability goes off
            pat = bytes(i % 251 for i in range(251))
            n = 0; ok = True; buf = b''
            while True:
                c = s.recv(1 << 20)
                if not c: break
                buf += c
                k = (len(buf) // 251) * 251
                ok = ok and all(buf[j:j + 251] == pat for j in range(0, k, 251))
                n += k; buf = buf[k:]
            n += len(buf); ok = ok and buf == pat[:len(buf)]
            print(n, ok)
            """);
        assertEquals(STREAM_BYTES + " True", r.out().strip(), r.toString());
        assertTrue(writabilityWentFalse.get(), "writability went false while the client did not read");
        // Netty's default high watermark is 64 KB: the outbound buffer never holds much more than that plus the
        // message that crossed it; the rest waited in the engine's send buffer and the peer's window.
        assertTrue(maxPendingBytes.get() <= 64 * 1024 + 16384, "outbound buffer peak " + maxPendingBytes.get());
    }

    @Test
    void soLingerZeroCloseResetsThePeer() {
        final Cmd.Result r = Cmd.peer(60, "/usr/bin/python3", "-c", """
            import socket, time
            s = socket.create_connection(('198.18.0.2', 7103), timeout=20)
            s.sendall(b'hello')
            try:
                d = s.recv(100)
                print('eof' if not d else 'data')
            except ConnectionResetError:
                print('reset')
            """);
        assertEquals("reset", r.out().strip(), r.toString());
    }

    @Test
    void withAutoReadOffTheWindowClosesUntilTheAppReads() throws Exception {
        final CompletableFuture<Cmd.Result> client = CompletableFuture.supplyAsync(() -> Cmd.peer(120,
            "/usr/bin/python3", "-c", """
            import socket
            s = socket.create_connection(('198.18.0.2', 7104), timeout=60)
            s.sendall(b'y' * 8000000)
            s.shutdown(socket.SHUT_WR)
            s.recv(1)
            print('sent')
            """));
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (notReading.get() == null && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(notReading.get() != null, "the connection was accepted");
        Thread.sleep(3000);
        assertEquals(0, unreadReceived.get(), "nothing is read while AUTO_READ is off and read() is not called");
        assertTrue(!client.isDone(), "the client's send is held by the closed window");
        notReading.get().config().setAutoRead(true);
        final Cmd.Result r = client.get(90, TimeUnit.SECONDS);
        final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (unreadReceived.get() < 8_000_000 && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        assertEquals(8_000_000, unreadReceived.get(), r.toString());
        notReading.get().close().sync();
    }

    @Test
    void aNettyClientOnStraitFetchesFromNginx() throws Exception {
        final CompletableFuture<String> body = new CompletableFuture<>();
        final Channel ch = new Bootstrap().group(group).channel(StraitSocketChannel.class)
            .handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel c) {
                    c.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 20),
                        new SimpleChannelInboundHandler<FullHttpResponse>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
                                body.complete(res.status().code() + " "
                                    + res.content().toString(StandardCharsets.US_ASCII));
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                body.completeExceptionally(cause);
                            }
                        });
                }
            }).connect("198.18.0.1", 8081).sync().channel();
        final DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        req.headers().set(HttpHeaderNames.HOST, "198.18.0.1");
        ch.writeAndFlush(req);
        assertEquals("200 from nginx\n", body.get(20, TimeUnit.SECONDS));
        assertTrue(ch.localAddress().toString().contains("198.18.0.2"), ch.localAddress().toString());
        ch.close().sync();
    }

    /**
     * Issue 11 §3: an active open from a local port of the caller's (Linux, the peer, sees it as the source port),
     * and SO_RCVBUF / SO_SNDBUF applied per connection: the window Linux may fill (its snd_wnd, from {@code ss}) is
     * the 8 KB cap, not the core's 128 KB buffer, and the channel reports the sizes in force.
     */
    @Test
    void aNettyClientConnectsFromItsChosenPortWithItsBufferCaps() throws Exception {
        final CompletableFuture<Cmd.Result> server = CompletableFuture.supplyAsync(() -> Cmd.peer(60,
            "/usr/bin/python3", "-c", """
            import socket, subprocess, re, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('198.18.0.1', 8091)); s.listen(); s.settimeout(40)
            c, (ip, port) = s.accept()
            time.sleep(0.3)
            out = subprocess.run(['ss', '-tin', 'sport', '= :8091'], capture_output=True, text=True).stdout
            w = re.search(r'snd_wnd:(\\d+)', out)
            c.sendall(('%d %s\\n' % (port, w.group(1) if w else '-1')).encode()); c.close()
            print(port, w.group(1) if w else out)
            """));
        final long deadline = System.nanoTime() + 20_000_000_000L;
        while (Cmd.peer(5, "sh", "-c", "ss -ltn | grep -c 198.18.0.1:8091").out().strip().equals("0")) {
            assertTrue(System.nanoTime() < deadline, "the peer's server did not start");
            Thread.sleep(100);
        }
        final CompletableFuture<String> reply = new CompletableFuture<>();
        final StringBuilder text = new StringBuilder();
        final Channel ch = new Bootstrap().group(group).channel(StraitSocketChannel.class)
            .option(ChannelOption.SO_RCVBUF, 8192).option(ChannelOption.SO_SNDBUF, 16384)
            .handler(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    text.append(((ByteBuf) msg).toString(StandardCharsets.US_ASCII));
                    ((ByteBuf) msg).release();
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    reply.complete(text.toString().strip());
                }
            }).connect(new InetSocketAddress("198.18.0.1", 8091), new InetSocketAddress("198.18.0.2", 45123))
            .sync().channel();
        assertEquals(45123, ((InetSocketAddress) ch.localAddress()).getPort());
        final int[] inForce = ch.eventLoop().submit(() -> new int[] {ch.config().getOption(ChannelOption.SO_SNDBUF),
            ch.config().getOption(ChannelOption.SO_RCVBUF)}).get(10, TimeUnit.SECONDS);
        assertEquals(16384, inForce[0], "SO_SNDBUF in force");
        assertEquals(8192, inForce[1], "SO_RCVBUF in force");
        final String[] got = reply.get(30, TimeUnit.SECONDS).split(" ");
        assertEquals("45123", got[0], "the source port Linux saw: " + server.get(30, TimeUnit.SECONDS));
        final int peerWindow = Integer.parseInt(got[1]);
        assertTrue(peerWindow > 0 && peerWindow <= 8192, "Linux's snd_wnd toward us " + peerWindow
            + " (the core's receive buffer is 128 KB; the cap is 8 KB)");

        // A local address that is not this port's fails clearly, before any packet.
        final ChannelFuture foreign = new Bootstrap().group(group).channel(StraitSocketChannel.class)
            .handler(new ChannelInboundHandlerAdapter())
            .connect(new InetSocketAddress("198.18.0.1", 8091), new InetSocketAddress("198.18.0.9", 0)).await();
        assertInstanceOf(IllegalArgumentException.class, foreign.cause(), String.valueOf(foreign.cause()));
    }

    @Test
    void connectionRefusedAndConnectTimeoutAreNettysExceptions() throws Exception {
        final ChannelFuture refused = new Bootstrap().group(group).channel(StraitSocketChannel.class)
            .handler(new ChannelInboundHandlerAdapter()).connect("198.18.0.1", 8999).await();
        assertInstanceOf(ConnectException.class, refused.cause(), String.valueOf(refused.cause()));
        assertTrue(refused.cause().getMessage().contains("refused"), refused.cause().getMessage());

        final long t0 = System.nanoTime();
        final ChannelFuture silent = new Bootstrap().group(group).channel(StraitSocketChannel.class)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 1500)
            .handler(new ChannelInboundHandlerAdapter()).connect("198.18.0.77", 80).await();
        final long ms = (System.nanoTime() - t0) / 1_000_000;
        assertInstanceOf(ConnectTimeoutException.class, silent.cause(), String.valueOf(silent.cause()));
        assertTrue(ms >= 1400 && ms < 5000, "timed out after " + ms + " ms");
    }
}
