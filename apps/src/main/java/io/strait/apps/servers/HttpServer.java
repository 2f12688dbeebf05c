package io.strait.apps.servers;

import io.strait.tcp.TcpConfig;
import io.strait.apps.api.Connection;
import io.strait.apps.api.ConnectionHandler;
import io.strait.apps.api.StraitCore;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

/**
 * CONTRACT.md {@code http}: HTTP/1.1 (RFC 9112) over one Strait core, parsed incrementally byte by byte
 * with per-connection state in primitive arrays indexed by the connection's slot: nothing is allocated per request.
 *
 * <ul>
 *   <li>{@code GET /} answers 200 {@code hello\n}; {@code GET /bytes/N} (0 ≤ N ≤ 2^31-1) streams N bytes, byte i
 *       being {@code i mod 251}, under backpressure; {@code POST /echo} answers with the request body, streamed as it
 *       arrives (Content-Length bodies keep their length, and what the send buffer cannot take yet is kept in a
 *       per-connection spill ring so clients that send before reading do not deadlock; chunked bodies are echoed
 *       chunked); anything else 404.
 *       HEAD is answered like GET without the body.</li>
 *   <li>Keep-alive by default for HTTP/1.1, {@code Connection: close} honoured, HTTP/1.0 closes unless it asks for
 *       keep-alive; pipelined requests are answered in order: while a response is still being written the parser
 *       stops consuming, so TCP's receive window applies the backpressure.</li>
 *   <li>Malformed input (bad request line, bare LF, bad header, bad or conflicting Content-Length, both
 *       Content-Length and Transfer-Encoding, bad chunk size) answers 400 and closes; a header block over
 *       {@link #MAX_HEADER_BYTES} answers 431 and closes; a version other than HTTP/1.x answers 505 and closes.</li>
 *   <li>With {@link #headerTimeout}, a request header not complete within the timeout (counted from the connection's
 *       opening or the request's first byte) answers 408 and closes (slowloris; {@link HeaderDeadlines}).</li>
 *   <li>With {@link #keepAliveTimeout}, a keep-alive connection idle that long after its last response (no byte of
 *       a next request) is closed with a FIN, as nginx's {@code keepalive_timeout}: a client that stops after one
 *       request cannot hold its connection forever.</li>
 * </ul>
 * Called on the core's thread only.
 */
public final class HttpServer implements ConnectionHandler {
    /** Largest request line plus headers (RFC 9112 §2.3 leaves it to the server; 8 KiB as nginx's default). */
    public static final int MAX_HEADER_BYTES = 8192;

    // Parser states the server acts in (the request line, headers and chunk framing are HttpRequestParser's).
    private static final byte BODY = HttpRequestParser.BODY;
    private static final byte CHUNK_SIZE = HttpRequestParser.CHUNK_SIZE;
    private static final byte CHUNK_DATA = HttpRequestParser.CHUNK_DATA;
    private static final byte CHUNK_DATA_CR = HttpRequestParser.CHUNK_DATA_CR;
    private static final byte RESPONDING = HttpRequestParser.RESPONDING;
    private static final byte DONE = HttpRequestParser.DONE;
    /** The last state in which the request line or a header is still being read. */
    private static final byte HEADERS_LF = HttpRequestParser.HEADERS_LF;

    /** nginx's client_header_timeout: 60 s. */
    public static final long DEFAULT_HEADER_TIMEOUT_NS = 60_000_000_000L;
    /** nginx's keepalive_timeout default. */
    public static final long DEFAULT_KEEPALIVE_TIMEOUT_NS = 75_000_000_000L;
    /** Header timeouts handled per poll cycle at most (the rest follow in the next cycles). */
    static final int HEADER_EXPIRIES_PER_CYCLE = 64;
    /** One log line per this interval at most for header timeouts; every one is counted. */
    static final long HEADER_TIMEOUT_LOG_INTERVAL_NS = 10_000_000_000L;

    // Routes.
    private static final byte ROUTE_HELLO = HttpRequestParser.ROUTE_HELLO;
    private static final byte ROUTE_BYTES = HttpRequestParser.ROUTE_BYTES;
    private static final byte ROUTE_ECHO = HttpRequestParser.ROUTE_ECHO;

    private static final byte[] HELLO = "hello\n".getBytes(StandardCharsets.US_ASCII);

    private final int sendBufferBytes;
    private final HttpRequestParser parser;
    // The parser's per-slot arrays, shared: the response side reads and updates the same request state.
    private final byte[] state;
    private final byte[] method;       // 0 GET, 1 HEAD, 2 POST, 3 other
    private final byte[] route;
    private final boolean[] closeAfter;
    private final boolean[] http10;
    private final boolean[] chunked;
    private final boolean[] sawLength;
    private final boolean[] keepAliveAsked;
    private final int[] tokenLength;
    private final long[] contentLength;
    private final long[] bodyLeft;      // request body bytes still to read (Content-Length or current chunk)
    private final long[] streamOffset;  // /bytes/N: next byte index; N in streamEnd
    private final long[] streamEnd;
    private final int[] pendingStatus;  // error status to send once writable, or 0
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[512]);
    /** The whole answer to a keep-alive HTTP/1.1 {@code GET /}, built once by {@link #head}: one write each. */
    private final UnsafeBuffer helloResponse;
    /**
     * POST /echo spill: request body bytes the send buffer could not take yet. Most HTTP clients send the whole
     * request before reading the response; echoing with TCP's backpressure alone would deadlock them once the body
     * outgrows both sides' buffers (both windows at zero). So the server keeps reading into an off-heap ring per
     * connection (taken from a per-core pool, reused, so no allocation once warm) and drains it as the send buffer
     * frees. Beyond {@link #SPILL_BYTES} per connection, or {@link #MAX_SPILLS} rings per core, TCP backpressure
     * applies again (clients that read while sending, as curl does, are fine at any size).
     */
    static final int SPILL_BYTES = 16 << 20;
    static final int MAX_SPILLS = 16;
    private final UnsafeBuffer[] spill;
    private final int[] spillHead;
    private final int[] spillLen;
    private final java.util.ArrayDeque<UnsafeBuffer> spareSpills = new java.util.ArrayDeque<>();
    private int spillsAllocated;
    // Header timeout (null/0 when off): deadlines, the core that runs them, the counter, the rate-limited line.
    private HeaderDeadlines headerDeadlines;
    private StraitCore core;
    private AtomicCounter headerTimeouts;
    private final HeaderDeadlines.Expiry onHeaderTimeout = this::headerTimedOut;
    private long nextLogNs;
    private boolean loggedOnce;
    private long unlogged;
    // Keep-alive idle timeout (null when off): armed when a response completes, disarmed by the next request's bytes.
    private HeaderDeadlines idleDeadlines;
    private AtomicCounter idleTimeouts;
    private final HeaderDeadlines.Expiry onIdleTimeout = this::idleTimedOut;

    /** One per core: its per-connection state is indexed by the core's connection slots. */
    public HttpServer(TcpConfig config) {
        final int n = config.maxConnections;
        this.sendBufferBytes = config.sendBufferBytes;
        parser = new HttpRequestParser(n);
        state = parser.state;
        method = parser.method;
        route = parser.route;
        closeAfter = parser.closeAfter;
        http10 = parser.http10;
        chunked = parser.chunked;
        sawLength = parser.sawLength;
        keepAliveAsked = parser.keepAliveAsked;
        tokenLength = parser.tokenLength;
        contentLength = parser.contentLength;
        bodyLeft = parser.bodyLeft;
        streamOffset = new long[n];
        streamEnd = parser.streamEnd;
        pendingStatus = new int[n];
        spill = new UnsafeBuffer[n];
        spillHead = new int[n];
        spillLen = new int[n];
        final int headLength = HttpResponseHead.head(scratch, 0, 200, HELLO.length, true, false, false);
        final byte[] hello = new byte[headLength + HELLO.length];
        scratch.getBytes(0, hello, 0, headLength);
        System.arraycopy(HELLO, 0, hello, headLength, HELLO.length);
        helloResponse = new UnsafeBuffer(hello);
    }

    /**
     * Closes connections whose request header is not complete within {@code timeoutNs} of the connection's opening
     * or of the request's first byte: 408, then close (RFC 9110 §15.5.9). Each is counted in {@code counter} (may be
     * null) and reported in one line on stderr at most every 10 s. Call once, on {@code core}'s thread, before the
     * first connection (in the per-core factory of {@code Strait.listen}).
     */
    public HttpServer headerTimeout(StraitCore core, long timeoutNs, AtomicCounter counter) {
        if (headerDeadlines != null) {
            throw new IllegalStateException("header timeout already set");
        }
        this.headerDeadlines = new HeaderDeadlines(state.length, timeoutNs);
        this.core = core;
        this.headerTimeouts = counter;
        core.addTask(nowNs -> headerDeadlines.expire(nowNs, HEADER_EXPIRIES_PER_CYCLE, onHeaderTimeout));
        return this;
    }

    /**
     * Closes (FIN) keep-alive connections idle for {@code timeoutNs} after their last response, as nginx's
     * {@code keepalive_timeout} (75 s by default there); counted in {@code counter} (may be null). Call once, on
     * {@code core}'s thread, before the first connection.
     */
    public HttpServer keepAliveTimeout(StraitCore core, long timeoutNs, AtomicCounter counter) {
        if (idleDeadlines != null) {
            throw new IllegalStateException("keep-alive timeout already set");
        }
        this.idleDeadlines = new HeaderDeadlines(state.length, timeoutNs);
        this.core = core;
        this.idleTimeouts = counter;
        core.addTask(nowNs -> idleDeadlines.expire(nowNs, HEADER_EXPIRIES_PER_CYCLE, onIdleTimeout));
        return this;
    }

    private void idleTimedOut(int s, long handle) {
        if (!core.isOpen(handle)) {
            return;
        }
        if (idleTimeouts != null) {
            idleTimeouts.increment();
        }
        state[s] = DONE;
        core.connection(handle).close();
    }

    private void headerTimedOut(int s, long handle) {
        if (!core.isOpen(handle)) {
            return;
        }
        if (headerTimeouts != null) {
            headerTimeouts.increment();
        }
        final long nowNs = core.nowNs();
        if (loggedOnce && nowNs - nextLogNs < 0) {
            unlogged++;
        } else {
            System.err.println("strait http: closed a connection whose request header was not complete within "
                + headerDeadlines.timeoutNs() / 1_000_000 + " ms (slow or stalled client); " + unlogged
                + " more since the last line" + (headerTimeouts != null ? "; http.header_timeouts "
                + headerTimeouts.get() : ""));
            loggedOnce = true;
            nextLogNs = nowNs + HEADER_TIMEOUT_LOG_INTERVAL_NS;
            unlogged = 0;
        }
        final Connection c = core.connection(handle);
        if (free(c) >= 256) {
            fail(c, s, 408);
        } else {
            state[s] = DONE;
            c.abort(); // it does not read either: no room for the answer
        }
    }

    @Override
    public void onOpen(Connection c) {
        reset(c.slot());
        if (headerDeadlines != null) {
            headerDeadlines.arm(c.slot(), c.handle(), core.nowNs());
        }
    }

    private void reset(int s) {
        parser.reset(s);
        pendingStatus[s] = 0;
    }

    private int free(Connection c) {
        return sendBufferBytes - c.sendQueueBytes();
    }

    @Override
    public int onData(Connection c, DirectBuffer buffer, int offset, int length) {
        final int s = c.slot();
        if (idleDeadlines != null) {
            idleDeadlines.disarm(s); // not idle: the next request has begun (or the client sends anyway)
        }
        if (headerDeadlines != null && state[s] <= HEADERS_LF && length > 0) {
            headerDeadlines.arm(s, c.handle(), core.nowNs()); // a request's first byte; no-op while armed
        }
        int i = 0;
        while (i < length) {
            final byte st = state[s];
            if (st == RESPONDING) {
                if (!continueResponse(c, s)) {
                    return i; // output full: leave the rest in TCP's receive buffer
                }
                continue;
            }
            if (st == DONE) {
                return length; // closing: anything more is discarded
            }
            if (st == BODY || st == CHUNK_DATA) {
                final int n = (int) Math.min(bodyLeft[s], length - i);
                final int used = body(c, s, buffer, offset + i, n);
                i += used;
                bodyLeft[s] -= used;
                if (used < n) {
                    return i;
                }
                if (bodyLeft[s] == 0) {
                    if (st == BODY) {
                        if (!requestComplete(c, s)) {
                            return i;
                        }
                    } else {
                        state[s] = CHUNK_DATA_CR;
                    }
                }
                continue;
            }
            if (idleDeadlines != null) {
                idleDeadlines.disarm(s); // a pipelined request behind the one just answered
            }
            i = parser.skim(s, buffer, offset + i, offset + length) - offset; // the bulk of names and values
            if (i == length) {
                break;
            }
            final int b = buffer.getByte(offset + i) & 0xFF;
            i++;
            final int r = parser.step(s, b);
            if (r > 0) {
                fail(c, s, r);
            } else if (r == HttpRequestParser.HEADERS_COMPLETE ? !headersComplete(c, s)
                : r == HttpRequestParser.REQUEST_COMPLETE && !requestComplete(c, s)) {
                return i; // output full: stop consuming
            }
        }
        if (state[s] == RESPONDING) {
            continueResponse(c, s);
        }
        return length;
    }

    /** The empty line after the headers: decide the body, start the response. */
    private boolean headersComplete(Connection c, int s) {
        if (headerDeadlines != null) {
            headerDeadlines.disarm(s);
        }
        if (chunked[s] && sawLength[s]) {
            fail(c, s, 400); // RFC 9112 §6.1: both is a smuggling risk; reject and close
            return false;
        }
        if (http10[s] && !keepAliveAsked[s]) {
            closeAfter[s] = true;
        }
        if (route[s] == ROUTE_ECHO) {
            if (free(c) < 160) {
                pendingStatus[s] = -1; // start the echo response once writable
                state[s] = RESPONDING;
                return false;
            }
            return startEcho(c, s);
        }
        // Other routes ignore the body but must read it (to find the next pipelined request).
        if (chunked[s]) {
            bodyLeft[s] = 0;
            tokenLength[s] = 0;
            state[s] = CHUNK_SIZE;
            return true;
        }
        if (contentLength[s] > 0) {
            bodyLeft[s] = contentLength[s];
            state[s] = BODY;
            return true;
        }
        return requestComplete(c, s);
    }

    private boolean startEcho(Connection c, int s) {
        if (chunked[s]) {
            writeHead(c, s, 200, -1);
            bodyLeft[s] = 0;
            tokenLength[s] = 0;
            state[s] = CHUNK_SIZE;
            return true;
        }
        writeHead(c, s, 200, contentLength[s]);
        if (contentLength[s] == 0) {
            return requestComplete(c, s);
        }
        bodyLeft[s] = contentLength[s];
        state[s] = BODY;
        return true;
    }

    /** Request body bytes: echoed for /echo (as much as the send buffer takes), skipped otherwise. */
    private int body(Connection c, int s, DirectBuffer buffer, int offset, int length) {
        if (route[s] != ROUTE_ECHO || method[s] == 1) {
            return length;
        }
        if (!chunked[s]) {
            int used = 0;
            if (spillLen[s] == 0) {
                used = Math.max(0, c.write(buffer, offset, length));
            }
            if (used < length) {
                used += toSpill(s, buffer, offset + used, length - used);
            }
            return used;
        }
        final int room = free(c) - 16;
        final int n = Math.min(length, room);
        if (n <= 0) {
            return 0;
        }
        int p = 0;
        p = HttpResponseHead.putHex(scratch, p, n);
        p = HttpResponseHead.put(scratch, p, "\r\n");
        c.write(scratch, 0, p);
        c.write(buffer, offset, n);
        c.write(scratch, p - 2, 2);
        return n;
    }

    /** Copies what fits into the connection's spill ring (taking one from the pool if needed); returns bytes taken. */
    private int toSpill(int s, DirectBuffer buffer, int offset, int length) {
        UnsafeBuffer ring = spill[s];
        if (ring == null) {
            ring = spareSpills.poll();
            if (ring == null) {
                if (spillsAllocated == MAX_SPILLS) {
                    return 0; // pool exhausted: TCP backpressure
                }
                ring = new UnsafeBuffer(org.agrona.BufferUtil.allocateDirectAligned(SPILL_BYTES, 64));
                spillsAllocated++;
            }
            spill[s] = ring;
            spillHead[s] = 0;
        }
        final int k = Math.min(length, SPILL_BYTES - spillLen[s]);
        final int tail = (spillHead[s] + spillLen[s]) % SPILL_BYTES;
        final int first = Math.min(k, SPILL_BYTES - tail);
        ring.putBytes(tail, buffer, offset, first);
        if (k > first) {
            ring.putBytes(0, buffer, offset + first, k - first);
        }
        spillLen[s] += k;
        return k;
    }

    /** Writes spilled bytes into the send buffer; true when the spill is empty (and its ring back in the pool). */
    private boolean drainSpill(Connection c, int s) {
        while (spillLen[s] > 0) {
            final int chunk = Math.min(spillLen[s], SPILL_BYTES - spillHead[s]);
            final int n = c.write(spill[s], spillHead[s], chunk);
            if (n <= 0) {
                return false;
            }
            spillHead[s] = (spillHead[s] + n) % SPILL_BYTES;
            spillLen[s] -= n;
        }
        releaseSpill(s);
        return true;
    }

    private void releaseSpill(int s) {
        if (spill[s] != null) {
            spareSpills.push(spill[s]);
            spill[s] = null;
        }
        spillHead[s] = 0;
        spillLen[s] = 0;
    }

    /** The request is fully read: answer it (or finish answering it). False when output filled up. */
    private boolean requestComplete(Connection c, int s) {
        switch (route[s]) {
            case ROUTE_HELLO -> {
                if (free(c) < 256) {
                    state[s] = RESPONDING;
                    streamOffset[s] = -1; // hello not yet written
                    return false;
                }
                if (method[s] == 0 && !closeAfter[s] && !http10[s]) {
                    c.write(helloResponse, 0, helloResponse.capacity()); // the common case, prebuilt
                    break;
                }
                writeHead(c, s, 200, HELLO.length);
                if (method[s] != 1) {
                    scratch.putBytes(0, HELLO);
                    c.write(scratch, 0, HELLO.length);
                }
            }
            case ROUTE_BYTES -> {
                if (free(c) < 256) {
                    state[s] = RESPONDING;
                    streamOffset[s] = -1;
                    return false;
                }
                writeHead(c, s, 200, streamEnd[s]);
                streamOffset[s] = method[s] == 1 ? streamEnd[s] : 0;
                state[s] = RESPONDING;
                return continueResponse(c, s);
            }
            case ROUTE_ECHO -> {
                if (spillLen[s] > 0) {
                    state[s] = RESPONDING;
                    streamOffset[s] = -3; // the body is read; the rest of the echo waits in the spill
                    return false;
                }
                if (chunked[s]) {
                    if (free(c) < 8) {
                        state[s] = RESPONDING;
                        streamOffset[s] = -2;
                        return false;
                    }
                    final int p = HttpResponseHead.put(scratch, 0, "0\r\n\r\n");
                    c.write(scratch, 0, p);
                }
            }
            default -> {
                if (free(c) < 256) {
                    state[s] = RESPONDING;
                    streamOffset[s] = -1;
                    return false;
                }
                writeHead(c, s, 404, 0);
            }
        }
        return finish(c, s);
    }

    /** After a full response: close if asked, else get ready for the next pipelined request. */
    private boolean finish(Connection c, int s) {
        if (closeAfter[s]) {
            state[s] = DONE;
            c.close();
            return true;
        }
        reset(s);
        if (idleDeadlines != null) {
            idleDeadlines.arm(s, c.handle(), core.nowNs());
        }
        return true;
    }

    /** Writes more of an in-progress response; true when it is complete. */
    private boolean continueResponse(Connection c, int s) {
        if (pendingStatus[s] > 0) {
            if (free(c) < 256) {
                return false;
            }
            writeHead(c, s, pendingStatus[s], 0);
            pendingStatus[s] = 0;
            state[s] = DONE;
            c.close();
            return true;
        }
        if (pendingStatus[s] == -1) {
            if (free(c) < 160) {
                return false;
            }
            pendingStatus[s] = 0;
            return startEcho(c, s);
        }
        if (route[s] == ROUTE_ECHO && streamOffset[s] == -3) {
            if (!drainSpill(c, s)) {
                return false;
            }
            streamOffset[s] = 0;
            return finish(c, s);
        }
        if (route[s] == ROUTE_BYTES && streamOffset[s] >= 0) {
            while (streamOffset[s] < streamEnd[s]) {
                final long i = streamOffset[s];
                final int written = BytesPattern.write(c, i, streamEnd[s]);
                if (written <= 0) {
                    return false;
                }
                streamOffset[s] = i + written;
            }
            return finish(c, s);
        }
        // A response whose head did not fit earlier.
        state[s] = BODY; // any value but RESPONDING; requestComplete sets what follows
        return requestComplete(c, s);
    }

    /** Answers an error and closes: RFC 9112 §2.2 / RFC 6585 §5. */
    private void fail(Connection c, int s, int status) {
        if (free(c) < 256) {
            pendingStatus[s] = status;
            state[s] = RESPONDING;
            return;
        }
        closeAfter[s] = true;
        writeHead(c, s, status, 0);
        state[s] = DONE;
        c.close();
    }

    private void writeHead(Connection c, int s, int status, long length) {
        final int p = HttpResponseHead.head(scratch, 0, status, length, route[s] == ROUTE_HELLO,
            closeAfter[s] || status >= 400, http10[s]);
        c.write(scratch, 0, p);
    }

    @Override
    public void onWritable(Connection c) {
        final int s = c.slot();
        if (spillLen[s] > 0 && state[s] != RESPONDING && !drainSpill(c, s)) {
            return;
        }
        if (state[s] == RESPONDING && continueResponse(c, s)) {
            c.resumeRead();
        } else if (state[s] == BODY || state[s] == CHUNK_DATA) {
            c.resumeRead();
        }
    }

    @Override
    public void onPeerClosed(Connection c) {
        final int s = c.slot();
        if (state[s] != RESPONDING) {
            state[s] = DONE;
            c.close();
        } else {
            closeAfter[s] = true;
        }
    }

    @Override
    public void onClose(Connection c, int reason) {
        if (headerDeadlines != null) {
            headerDeadlines.disarm(c.slot());
        }
        if (idleDeadlines != null) {
            idleDeadlines.disarm(c.slot());
        }
        state[c.slot()] = DONE;
        releaseSpill(c.slot());
    }
}
