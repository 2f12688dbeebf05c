package io.strait.netty.examples;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.strait.apps.api.Strait;
import io.strait.netty.StraitEventLoopGroup;
import io.strait.netty.StraitServerSocketChannel;

import java.nio.charset.StandardCharsets;

/** The README's "Netty on Strait" example: a Netty HTTP server on port 8080 of the embedded default port. Root. */
public final class NettyHttpExample {
    public static void main(String[] args) throws InterruptedException {
        EventLoopGroup group = new StraitEventLoopGroup( // one event loop per Strait core, pinned
            Strait.builder().dev("net_af_packet0,iface=strait0").ip("198.18.0.2/24"));
        try {
            Channel server = new ServerBootstrap().group(group).channel(StraitServerSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    protected void initChannel(Channel ch) { // Netty's own handlers, unchanged
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                            new SimpleChannelInboundHandler<FullHttpRequest>() {
                                protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                        HttpResponseStatus.OK, Unpooled.copiedBuffer("hello\n", StandardCharsets.UTF_8));
                                    HttpUtil.setContentLength(res, 6);
                                    ctx.writeAndFlush(res);
                                }
                            });
                    }
                }).bind(8080).sync().channel();
            System.out.println("READY netty http on 198.18.0.2:8080");
            server.closeFuture().await(Long.parseLong(args.length > 0 ? args[0] : "3600000"));
        } finally {
            group.shutdownGracefully().sync();
        }
    }
}
