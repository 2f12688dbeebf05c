package io.strait.netty.apps;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.stream.ChunkedInput;

import java.nio.charset.StandardCharsets;

/**
 * The routes of CONTRACT.md's {@code http} app as a Netty handler, for HTTP/1.1 (after {@code HttpServerCodec} and
 * {@code HttpObjectAggregator}) and for each HTTP/2 stream (after {@code Http2StreamFrameToHttpObjectCodec}):
 * {@code GET /} answers {@code hello\n}; {@code GET /bytes/N} N bytes, byte i being {@code i mod 251}, streamed in
 * chunks ({@code ChunkedWriteHandler} must precede this handler); {@code POST /echo} the request body; anything else
 * 404; a malformed request 400 and close.
 */
@ChannelHandler.Sharable
final class HttpRoutes extends SimpleChannelInboundHandler<FullHttpRequest> {
    static final HttpRoutes INSTANCE = new HttpRoutes();
    private static final int CHUNK = 64 * 1024;
    /** CHUNK + 251 bytes of the pattern: a chunk starting at any offset is a slice of it. */
    private static final ByteBuf PATTERN;
    private static final ByteBuf HELLO = Unpooled.unreleasableBuffer(Unpooled.directBuffer(6)
        .writeBytes("hello\n".getBytes(StandardCharsets.US_ASCII))).asReadOnly();

    static {
        final ByteBuf p = Unpooled.directBuffer(CHUNK + 251);
        for (int i = 0; i < CHUNK + 251; i++) {
            p.writeByte(i % 251);
        }
        PATTERN = Unpooled.unreleasableBuffer(p).asReadOnly();
    }

    private HttpRoutes() {
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (req.decoderResult().isFailure()) {
            final FullHttpResponse bad = full(HttpResponseStatus.BAD_REQUEST, Unpooled.EMPTY_BUFFER);
            bad.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(bad).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        final boolean keepAlive = HttpUtil.isKeepAlive(req);
        final String uri = req.uri();
        if (req.method() == HttpMethod.GET && uri.equals("/")) {
            finish(ctx, full(HttpResponseStatus.OK, HELLO.duplicate()), keepAlive);
        } else if (req.method() == HttpMethod.GET && uri.startsWith("/bytes/")) {
            final long n = parseLength(uri.substring(7));
            if (n < 0) {
                finish(ctx, full(HttpResponseStatus.NOT_FOUND, Unpooled.EMPTY_BUFFER), keepAlive);
                return;
            }
            final HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_LENGTH, n);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
            if (!keepAlive) {
                head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            ctx.write(head);
            final ChannelFuture done = ctx.writeAndFlush(new HttpChunkedInput(new PatternInput(n)));
            if (!keepAlive) {
                done.addListener(ChannelFutureListener.CLOSE);
            }
        } else if (req.method() == HttpMethod.POST && uri.equals("/echo")) {
            finish(ctx, full(HttpResponseStatus.OK, req.content().retain()), keepAlive);
        } else {
            finish(ctx, full(HttpResponseStatus.NOT_FOUND, Unpooled.EMPTY_BUFFER), keepAlive);
        }
    }

    /** N in 0..2^31-1 from decimal digits only; -1 otherwise. */
    static long parseLength(String s) {
        if (s.isEmpty() || s.length() > 10) {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n <= Integer.MAX_VALUE ? n : -1;
    }

    private static FullHttpResponse full(HttpResponseStatus status, ByteBuf body) {
        final FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        return r;
    }

    private static void finish(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(r);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a reset peer or a broken stream: nothing more to answer
    }

    /** N bytes of the pattern, as slices of {@link #PATTERN} (no copy until the engine's send buffer). */
    static final class PatternInput implements ChunkedInput<ByteBuf> {
        private final long length;
        private long offset;

        PatternInput(long length) {
            this.length = length;
        }

        @Override
        public boolean isEndOfInput() {
            return offset >= length;
        }

        @Override
        public void close() {
        }

        @Override
        @Deprecated
        public ByteBuf readChunk(ChannelHandlerContext ctx) {
            return readChunk(ctx.alloc());
        }

        @Override
        public ByteBuf readChunk(io.netty.buffer.ByteBufAllocator allocator) {
            if (isEndOfInput()) {
                return null;
            }
            final int n = (int) Math.min(CHUNK, length - offset);
            final ByteBuf chunk = PATTERN.retainedSlice((int) (offset % 251), n);
            offset += n;
            return chunk;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public long progress() {
            return offset;
        }
    }
}
