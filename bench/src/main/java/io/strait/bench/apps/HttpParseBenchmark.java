package io.strait.bench.apps;

import io.strait.apps.servers.HttpRequestParser;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.*;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/1.1 request parsing as {@code HttpServer} does it: {@link HttpRequestParser#step} byte by byte over the
 * received bytes in off-heap memory (an UnsafeBuffer on a direct buffer, as TCP's zero-copy onData view), then
 * {@link HttpRequestParser#reset} once a bodiless request's headers are complete (what the server does after
 * answering). The response is not written: this is the parse alone.
 * <ul>
 *   <li>{@code typical}: {@code GET / HTTP/1.1} with Host and User-Agent, as wrk sends (44 B);</li>
 *   <li>{@code pipelined16}: 16 of those back to back in one buffer; the score is per request;</li>
 *   <li>{@code tenHeaders}: a browser-like GET with 10 header fields (379 B).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class HttpParseBenchmark {
    static final String TYPICAL = "GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: wrk\r\n\r\n";
    static final int PIPELINED = 16;
    static final String TEN_HEADERS = "GET / HTTP/1.1\r\n"
        + "Host: www.example.com\r\n"
        + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
        + "Accept: text/html,application/xhtml+xml\r\n"
        + "Accept-Language: en-US,en;q=0.5\r\n"
        + "Accept-Encoding: gzip, deflate\r\n"
        + "Connection: keep-alive\r\n"
        + "Cache-Control: max-age=0\r\n"
        + "Upgrade-Insecure-Requests: 1\r\n"
        + "Cookie: session=0123456789abcdef\r\n"
        + "Referer: http://www.example.com/\r\n"
        + "\r\n";

    HttpRequestParser parser;
    UnsafeBuffer typical;
    UnsafeBuffer pipelined;
    UnsafeBuffer tenHeaders;

    @Setup
    public void setup() {
        parser = new HttpRequestParser(1);
        parser.reset(0);
        typical = offHeap(TYPICAL);
        pipelined = offHeap(TYPICAL.repeat(PIPELINED));
        tenHeaders = offHeap(TEN_HEADERS);
        if (parse(parser, typical) != 1 || parse(parser, pipelined) != PIPELINED || parse(parser, tenHeaders) != 1) {
            throw new IllegalStateException("requests not parsed");
        }
    }

    private static UnsafeBuffer offHeap(final String text) {
        final byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        final UnsafeBuffer u = new UnsafeBuffer(BufferUtil.allocateDirectAligned(BitUtil.align(b.length, 64), 64), 0,
            b.length);
        u.putBytes(0, b);
        return u;
    }

    /** HttpServer.onData's loop for request heads: skim the bulk, step the rest; a bodiless request resets. */
    static int parse(final HttpRequestParser p, final DirectBuffer buffer) {
        final int length = buffer.capacity();
        int requests = 0;
        for (int i = 0; i < length; i++) {
            i = p.skim(0, buffer, i, length);
            if (i == length) {
                break;
            }
            final int r = p.step(0, buffer.getByte(i) & 0xFF);
            if (r == HttpRequestParser.HEADERS_COMPLETE) {
                requests++;
                p.reset(0);
            } else if (r != HttpRequestParser.MORE) {
                throw new IllegalStateException("HTTP status " + r);
            }
        }
        return requests;
    }

    @Benchmark
    public int typical() {
        return parse(parser, typical);
    }

    @Benchmark
    @OperationsPerInvocation(PIPELINED)
    public int pipelined16() {
        return parse(parser, pipelined);
    }

    @Benchmark
    public int tenHeaders() {
        return parse(parser, tenHeaders);
    }
}
