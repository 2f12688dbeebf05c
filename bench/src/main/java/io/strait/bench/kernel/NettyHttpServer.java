package io.strait.bench.kernel;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.strait.netty.StraitEventLoopGroup;
import io.strait.netty.StraitServerSocketChannel;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The Netty HTTP anchor: native epoll transport, one event-loop thread (accepting and serving),
 * {@link HttpServerCodec}, the same answers as {@link NioHttpServer}: {@code GET /} 200 {@code hello\n}, other
 * requests 404, a request the codec cannot decode 400 and close; keep-alive and pipelining (responses are written as
 * requests are decoded and flushed once per read), {@code Connection: close} honoured.
 *
 * <p>The bodies are pre-built direct buffers sent as {@code retainedDuplicate()}s, with pre-built (shared, read-only
 * by use) header sets, as the usual Netty benchmark servers do. There is no fallback to NIO: if the native epoll
 * transport does not load, the server says why and exits 1.
 */
public final class NettyHttpServer {
    static final String HELP = """
        usage: java -cp bench/target/benchmarks.jar io.strait.bench.kernel.NettyHttpServer --port N [--bind ADDR]
          HTTP/1.1 server on the Linux kernel stack with Netty's native epoll transport and one event-loop thread:
          GET / -> 200 "hello\\n", keep-alive and pipelining, Connection: close honoured, other requests 404,
          malformed 400 and close. Prints a line starting with READY when listening; SIGTERM/SIGINT stop it
          (exit 0). Exits 1 if the native epoll transport cannot be loaded (no NIO fallback). --bind defaults to
          0.0.0.0.
          --strait DEVARGS runs the same server on Strait's Netty transport instead of epoll (one event loop = one
          Strait core on DEVARGS, e.g. net_af_packet0,iface=strait0, answering on --bind/24, pinned to --cpu N);
          needs root, DPDK, and Strait's JVM flags and -Dstrait.shim.
        """;

    private static final ByteBuf HELLO = body("hello\n");
    private static final ByteBuf NOT_FOUND = body("not found\n");
    private static final ByteBuf BAD_REQUEST = body("bad request\n");
    private static final HttpHeaders HELLO_KEEP_ALIVE = headers(HELLO, null);
    private static final HttpHeaders HELLO_KEEP_ALIVE_10 = headers(HELLO, HttpHeaderValues.KEEP_ALIVE);
    private static final HttpHeaders HELLO_CLOSE = headers(HELLO, HttpHeaderValues.CLOSE);
    private static final HttpHeaders NOT_FOUND_KEEP_ALIVE = headers(NOT_FOUND, null);
    private static final HttpHeaders NOT_FOUND_KEEP_ALIVE_10 = headers(NOT_FOUND, HttpHeaderValues.KEEP_ALIVE);
    private static final HttpHeaders NOT_FOUND_CLOSE = headers(NOT_FOUND, HttpHeaderValues.CLOSE);
    private static final HttpHeaders BAD_REQUEST_CLOSE = headers(BAD_REQUEST, HttpHeaderValues.CLOSE);

    /** Requests answered; touched only by the event-loop thread, read after it terminated. */
    private static long requests;
    private static long accepted;

    private NettyHttpServer() {
    }

    public static void main(String[] argv) {
        KernelArgs.main("NettyHttpServer", HELP, argv, NettyHttpServer::run);
    }

    private static int run(String[] argv) throws Exception {
        final KernelArgs a = new KernelArgs("NettyHttpServer", argv, Set.of("--port", "--bind", "--strait", "--cpu"),
            Set.of());
        final InetSocketAddress address = a.listenAddress();
        final String straitDev = a.get("--strait", null);
        if (straitDev == null && !Epoll.isAvailable()) {
            final Throwable cause = Epoll.unavailabilityCause();
            System.err.println("NettyHttpServer: Netty's native epoll transport is unavailable ("
                + (cause == null ? "unknown reason" : cause.toString().replace('\n', ' '))
                + "); it needs Linux x86_64 and netty-transport-native-epoll:linux-x86_64 on the class path");
            return 1;
        }
        final CountDownLatch stop = new CountDownLatch(1);
        KernelArgs.onTermination(stop::countDown); // before anything slow: a SIGTERM during start-up exits cleanly
        final EventLoopGroup group = straitDev == null ? new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory())
            : new StraitEventLoopGroup(straitBuilder(straitDev, address, a.get("--cpu", null)));
        try {
            final ChannelFuture bound = new ServerBootstrap()
                .group(group)
                .channelFactory(straitDev != null ? StraitServerSocketChannel::new
                    : () -> new EpollServerSocketChannel(address.getAddress() instanceof Inet6Address
                    ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET))
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted++;
                        ch.pipeline().addLast(new HttpServerCodec(), new Handler());
                    }
                })
                .bind(address).awaitUninterruptibly();
            if (!bound.isSuccess()) {
                System.err.println("NettyHttpServer: cannot listen on " + address + ": " + bound.cause().getMessage()
                    + " (is the port in use, or the --bind address not on this host?)");
                return 1;
            }
            final Channel server = bound.channel();
            System.out.println("READY NettyHttpServer listening on " + server.localAddress()
                + (straitDev == null ? " (epoll)" : " (strait " + straitDev + ")"));
            System.out.flush();
            // Heap allocated by the event loop thread per request answered: the transport's share shows as the
            // difference between epoll and Strait under the same pipeline (Netty's pooled buffers are not counted).
            final long loopThread = group.next().submit(() -> Thread.currentThread().threadId()).get();
            final com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            final long allocatedAtReady = threads.getThreadAllocatedBytes(loopThread);
            final long requestsAtReady = group.next().submit(() -> requests).get();
            stop.await();
            final long allocated = threads.getThreadAllocatedBytes(loopThread) - allocatedAtReady;
            final long served = group.next().submit(() -> requests).get() - requestsAtReady;
            System.out.println("NettyHttpServer allocation: " + allocated + " B on the event loop for " + served
                + " requests = " + (served == 0 ? "n/a" : String.format("%.1f", (double) allocated / served))
                + " B/request");
            server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        System.out.println("NettyHttpServer stopped: " + accepted + " connections, " + requests + " requests");
        return 0;
    }

    /** Strait on {@code dev}, answering on the bind address (/24), its one core pinned to {@code cpu} if given. */
    private static io.strait.apps.api.Strait.Builder straitBuilder(String dev, InetSocketAddress address, String cpu) {
        final io.strait.apps.api.Strait.Builder b = io.strait.apps.api.Strait.builder().dev(dev)
            .ip(address.getAddress().getHostAddress() + "/24")
            .tcp(io.strait.tcp.TcpConfig.builder().maxConnections(4096).sendBufferBytes(64 * 1024)
                .receiveBufferBytes(64 * 1024).build());
        if (cpu != null) {
            b.cpus(Integer.parseInt(cpu));
        }
        return b;
    }

    /** One per connection, after the codec. */
    private static final class Handler extends ChannelInboundHandlerAdapter {
        private boolean closing; // a response that ends the connection is written: ignore anything after it
        private boolean pending; // written, not yet flushed

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (closing || !(msg instanceof HttpRequest request)) {
                    return; // request bodies (HttpContent) and anything after a closing response are dropped
                }
                requests++;
                if (request.decoderResult().isFailure()
                        || request.protocolVersion().equals(HttpVersion.HTTP_1_1)
                        && !request.headers().contains(HttpHeaderNames.HOST)) {
                    closing = true;
                    respond(ctx, HttpResponseStatus.BAD_REQUEST, BAD_REQUEST, BAD_REQUEST_CLOSE);
                    return;
                }
                final boolean http11 = request.protocolVersion().equals(HttpVersion.HTTP_1_1);
                final boolean keepAlive = HttpUtil.isKeepAlive(request);
                final HttpMethod method = request.method();
                final boolean hello = (method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD))
                    && "/".equals(request.uri());
                if (!keepAlive) {
                    closing = true;
                }
                if (hello) {
                    respond(ctx, HttpResponseStatus.OK, HELLO,
                        !keepAlive ? HELLO_CLOSE : http11 ? HELLO_KEEP_ALIVE : HELLO_KEEP_ALIVE_10);
                } else {
                    respond(ctx, HttpResponseStatus.NOT_FOUND, NOT_FOUND,
                        !keepAlive ? NOT_FOUND_CLOSE : http11 ? NOT_FOUND_KEEP_ALIVE : NOT_FOUND_KEEP_ALIVE_10);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void respond(ChannelHandlerContext ctx, HttpResponseStatus status, ByteBuf body, HttpHeaders h) {
            final DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                body.retainedDuplicate(), h, EmptyHttpHeaders.INSTANCE);
            if (closing) {
                pending = false;
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            } else {
                pending = true;
                ctx.write(response, ctx.voidPromise());
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (pending) {
                pending = false;
                ctx.flush(); // one flush for all the pipelined requests of this read
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // reset by peer and friends
        }
    }

    private static ByteBuf body(String text) {
        final byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        return Unpooled.unreleasableBuffer(Unpooled.directBuffer(bytes.length).writeBytes(bytes).asReadOnly());
    }

    /** Content-Length, Content-Type (and Connection when it is not the default), in the order NioHttpServer sends. */
    private static HttpHeaders headers(ByteBuf body, CharSequence connection) {
        final HttpHeaders h = new DefaultHttpHeaders();
        h.add(AsciiString.cached("Content-Length"), AsciiString.cached(Integer.toString(body.readableBytes())));
        h.add(AsciiString.cached("Content-Type"), HttpHeaderValues.TEXT_PLAIN);
        if (connection != null) {
            h.add(AsciiString.cached("Connection"), connection);
        }
        return h;
    }
}
