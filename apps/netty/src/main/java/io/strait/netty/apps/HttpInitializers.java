package io.strait.netty.apps;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.AsciiString;

/** The pipelines of the netty-http and netty-https apps: Netty's own HTTP/1.1, HTTP/2 and TLS handlers. */
final class HttpInitializers {
    /** Largest POST /echo body held in memory. */
    static final int MAX_BODY = 256 * 1024 * 1024;

    private HttpInitializers() {
    }

    /** HTTP/1.1 after whatever codec precedes it. */
    static void http1(ChannelPipeline p) {
        p.addLast(new HttpServerKeepAliveHandler());
        p.addLast(new HttpObjectAggregator(MAX_BODY));
        p.addLast(new ChunkedWriteHandler());
        p.addLast(HttpRoutes.INSTANCE);
    }

    /** One HTTP/2 stream as an HTTP/1.1-shaped exchange through the same routes. */
    static final ChannelInitializer<Channel> H2_STREAM = new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel stream) {
            final ChannelPipeline p = stream.pipeline();
            p.addLast(new Http2StreamFrameToHttpObjectCodec(true));
            p.addLast(new HttpObjectAggregator(MAX_BODY));
            p.addLast(new ChunkedWriteHandler());
            p.addLast(HttpRoutes.INSTANCE);
        }
    };

    static void http2(ChannelPipeline p) {
        p.addLast(Http2FrameCodecBuilder.forServer().build());
        p.addLast(new Http2MultiplexHandler(H2_STREAM));
    }

    /** Cleartext: HTTP/1.1, and HTTP/2 with prior knowledge (h2load, curl --http2-prior-knowledge) or Upgrade. */
    static ChannelInitializer<Channel> cleartext() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                final HttpServerCodec codec = new HttpServerCodec();
                final HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(codec, protocol ->
                    AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                        ? new Http2ServerUpgradeCodec(Http2FrameCodecBuilder.forServer().build(),
                            new Http2MultiplexHandler(H2_STREAM))
                        : null);
                final ChannelPipeline p = ch.pipeline();
                p.addLast(new CleartextHttp2ServerUpgradeHandler(codec, upgrade, new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel c) {
                        http2(c.pipeline());
                    }
                }));
                http1(p);
            }
        };
    }

    /** TLS with ALPN: h2 or http/1.1 as the client chooses. */
    static ChannelInitializer<Channel> tls(SslContext ssl) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
                ch.pipeline().addLast(new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
                    @Override
                    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
                        final ChannelPipeline p = ctx.pipeline();
                        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                            http2(p);
                        } else {
                            p.addLast(new HttpServerCodec());
                            http1(p);
                        }
                    }
                });
            }
        };
    }
}
