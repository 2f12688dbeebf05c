package io.strait.netty.apps;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.strait.apps.api.Strait;
import io.strait.netty.StraitEventLoopGroup;
import io.strait.netty.StraitServerSocketChannel;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code strait serve --app netty-http|netty-https|netty-grpc}: CONTRACT.md's Netty apps, built from Netty's and
 * gRPC-java's own handlers on Strait's event loop group and channels. Called by the command line by name, so the
 * command line's module does not depend on this one.
 */
public final class NettyServe {
    private NettyServe() {
    }

    /** Default port of each app. */
    public static int defaultPort(String app) {
        return switch (app) {
            case "netty-http" -> 80;
            case "netty-https" -> 443;
            case "netty-grpc" -> 50051;
            default -> throw new IllegalArgumentException("unknown Netty app " + app);
        };
    }

    /**
     * Serves {@code app} on {@code port} until {@code stop} opens; prints the READY line when it accepts
     * connections; hands the running Strait to {@code beforeClose} (for its counters) before shutting down.
     */
    public static void serve(String app, int port, Strait.Builder builder, String tlsCert, String tlsKey,
                             PrintStream out, CountDownLatch stop, Consumer<Strait> beforeClose) throws Exception {
        final io.netty.handler.ssl.SslContext ssl = app.equals("netty-https") ? Tls.serverContext(tlsCert, tlsKey)
            : null;
        final StraitEventLoopGroup group = new StraitEventLoopGroup(builder);
        Channel channel = null;
        Server grpc = null;
        try {
            switch (app) {
                case "netty-http", "netty-https" -> channel = new ServerBootstrap().group(group)
                    .channel(StraitServerSocketChannel.class)
                    .childHandler(ssl == null ? HttpInitializers.cleartext() : HttpInitializers.tls(ssl))
                    .bind(port).sync().channel();
                case "netty-grpc" -> grpc = NettyServerBuilder.forAddress(new InetSocketAddress(port))
                    .channelType(StraitServerSocketChannel.class)
                    .bossEventLoopGroup(group).workerEventLoopGroup(group)
                    .directExecutor()
                    .maxInboundMessageSize(64 << 20) // echoes of large messages, as the tests send
                    .addService(GrpcEcho.service())
                    .build().start();
                default -> throw new IllegalArgumentException("unknown Netty app " + app);
            }
            final Strait strait = group.strait();
            out.println("READY app=" + app + " port=" + port + " transport=netty " + strait.dataplane().describe() + " " + strait.dataplane().placement());
            out.flush();
            stop.await();
            out.println("stopping");
            if (channel != null) {
                channel.close().sync();
            }
            if (grpc != null) {
                grpc.shutdown().awaitTermination(5, TimeUnit.SECONDS);
            }
            beforeClose.accept(strait);
        } finally {
            if (grpc != null) {
                grpc.shutdownNow();
            }
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
