package io.strait.apps.servers;

import org.agrona.DirectBuffer;

/**
 * The request side of {@link HttpServer}: HTTP/1.1 request line, header fields and chunk framing (RFC 9112), parsed
 * one byte at a time with per-connection state in primitive arrays indexed by the connection's slot, so nothing is
 * allocated per request. The parser only records what it reads (method, route, version, Content-Length,
 * Transfer-Encoding, Connection); {@link HttpServer} acts on what {@link #step} returns and shares these arrays for
 * the response side. Called on the core's thread only.
 */
public final class HttpRequestParser {
    /** {@link #step}: the byte was consumed; nothing to act on yet. */
    public static final int MORE = 0;
    /** {@link #step}: the empty line after the header fields was read (RFC 9112 §2.1): decide the body, answer. */
    public static final int HEADERS_COMPLETE = -1;
    /** {@link #step}: the trailer section after the last chunk ended (RFC 9112 §7.1): the request is complete. */
    public static final int REQUEST_COMPLETE = -2;

    static final int MAX_TARGET = 64;
    static final int MAX_NAME = 24;
    static final int MAX_VALUE = 32;

    // Parser states (BODY, CHUNK_DATA, RESPONDING and DONE are the server's: step is not called in them).
    static final byte METHOD = 0;
    static final byte TARGET = 1;
    static final byte VERSION = 2;
    static final byte LINE_LF = 3;
    static final byte NAME = 4;
    static final byte VALUE = 5;
    static final byte HEADERS_LF = 6;
    static final byte BODY = 7;
    static final byte CHUNK_SIZE = 8;
    static final byte CHUNK_EXT = 9;
    static final byte CHUNK_SIZE_LF = 10;
    static final byte CHUNK_DATA = 11;
    static final byte CHUNK_DATA_CR = 12;
    static final byte CHUNK_DATA_LF = 13;
    static final byte TRAILER = 14;
    static final byte TRAILER_LF = 15;
    static final byte RESPONDING = 16;
    static final byte DONE = 17;

    // Routes.
    static final byte ROUTE_NOT_FOUND = 0;
    static final byte ROUTE_HELLO = 1;
    static final byte ROUTE_BYTES = 2;
    static final byte ROUTE_ECHO = 3;

    final byte[] state;
    final byte[] method;       // 0 GET, 1 HEAD, 2 POST, 3 other
    final byte[] route;
    final boolean[] closeAfter;
    final boolean[] http10;
    final boolean[] chunked;
    final boolean[] sawLength;
    final boolean[] keepAliveAsked;
    final int[] headerBytes;
    final int[] tokenLength;
    final byte[] token;         // per slot: the target, a header name, then its value
    final int[] nameLength;
    final long[] contentLength;
    final long[] bodyLeft;      // request body bytes still to read (Content-Length or current chunk)
    final long[] streamEnd;     // /bytes/N: N

    /** @param maxConnections slots, as the engine's {@code maxConnections} */
    public HttpRequestParser(int maxConnections) {
        final int n = maxConnections;
        state = new byte[n];
        method = new byte[n];
        route = new byte[n];
        closeAfter = new boolean[n];
        http10 = new boolean[n];
        chunked = new boolean[n];
        sawLength = new boolean[n];
        keepAliveAsked = new boolean[n];
        headerBytes = new int[n];
        tokenLength = new int[n];
        token = new byte[n * (MAX_TARGET + MAX_NAME + MAX_VALUE)];
        nameLength = new int[n];
        contentLength = new long[n];
        bodyLeft = new long[n];
        streamEnd = new long[n];
    }

    /** Ready for a new request on slot {@code s}: at the start of a connection and after each response. */
    public void reset(int s) {
        state[s] = METHOD;
        method[s] = 0;
        route[s] = ROUTE_NOT_FOUND;
        closeAfter[s] = false;
        http10[s] = false;
        chunked[s] = false;
        sawLength[s] = false;
        keepAliveAsked[s] = false;
        headerBytes[s] = 0;
        tokenLength[s] = 0;
        nameLength[s] = 0;
        contentLength[s] = 0;
        bodyLeft[s] = 0;
    }

    /**
     * Consumes one byte of request line, header fields or chunk framing for connection slot {@code s}, whose state
     * is a parse state (not a body, not responding); {@code b} is the byte, 0 to 255.
     *
     * @return {@link #MORE}, {@link #HEADERS_COMPLETE}, {@link #REQUEST_COMPLETE}, or the status (400, 431, 505)
     *     to answer before closing
     */
    public int step(int s, int b) {
        final byte st = state[s];
        if (st <= HEADERS_LF && ++headerBytes[s] > HttpServer.MAX_HEADER_BYTES) {
            return 431;
        }
        switch (st) {
            case METHOD -> {
                if (b == ' ') {
                    method[s] = methodOf(s);
                    tokenLength[s] = 0;
                    state[s] = TARGET;
                } else if (b >= 'A' && b <= 'Z' && tokenLength[s] < 8) {
                    token[base(s) + tokenLength[s]++] = (byte) b;
                } else if (!(b == '\r' || b == '\n') || tokenLength[s] > 0) {
                    return 400;
                } // RFC 9112 §2.2: empty lines before a request line are ignored
            }
            case TARGET -> {
                if (b == ' ') {
                    route[s] = routeOf(s);
                    tokenLength[s] = 0;
                    state[s] = VERSION;
                } else if (b <= ' ' || b == 0x7F) {
                    return 400;
                } else if (tokenLength[s] < MAX_TARGET) {
                    token[base(s) + tokenLength[s]++] = (byte) b;
                } else {
                    tokenLength[s] = MAX_TARGET + 1; // too long for any route: 404 (never truncated into a match)
                }
            }
            case VERSION -> {
                if (b == '\r') {
                    final int v = versionOf(s);
                    if (v < 0) {
                        return tokenLength[s] >= 5 && startsWith(s, "HTTP/") ? 505 : 400;
                    } else {
                        http10[s] = v == 0;
                        state[s] = LINE_LF;
                    }
                } else if (tokenLength[s] < 8) {
                    token[base(s) + tokenLength[s]++] = (byte) b;
                } else {
                    return 400;
                }
            }
            case LINE_LF -> {
                if (b != '\n') {
                    return 400;
                } else {
                    tokenLength[s] = 0;
                    state[s] = NAME;
                }
            }
            case NAME -> {
                if (b == ':') {
                    if (tokenLength[s] == 0) {
                        return 400;
                    } else {
                        nameLength[s] = tokenLength[s];
                        tokenLength[s] = 0;
                        state[s] = VALUE;
                    }
                } else if (b == '\r' && tokenLength[s] == 0) {
                    state[s] = HEADERS_LF;
                } else if (isTokenChar(b)) {
                    if (tokenLength[s] < MAX_NAME) {
                        token[base(s) + MAX_TARGET + tokenLength[s]] = (byte) (b | 0x20);
                    }
                    tokenLength[s]++;
                } else {
                    return 400; // RFC 9112 §5.1: no whitespace between name and colon
                }
            }
            case VALUE -> {
                if (b == '\r') {
                    state[s] = LINE_LF;
                    return header(s);
                } else if (b == '\n' || (b < ' ' && b != '\t') || b == 0x7F) {
                    return 400;
                } else if ((b == ' ' || b == '\t') && tokenLength[s] == 0) {
                    return MORE; // leading OWS
                } else {
                    if (tokenLength[s] < MAX_VALUE) {
                        token[base(s) + MAX_TARGET + MAX_NAME + tokenLength[s]] = (byte) b;
                    }
                    tokenLength[s]++;
                }
            }
            case HEADERS_LF -> {
                if (b != '\n') {
                    return 400;
                } else {
                    return HEADERS_COMPLETE;
                }
            }
            case CHUNK_SIZE -> {
                final int d = hex(b);
                if (d >= 0 && bodyLeft[s] < (1L << 40)) {
                    bodyLeft[s] = bodyLeft[s] * 16 + d;
                    tokenLength[s]++;
                } else if ((b == ';' || b == ' ' || b == '\t') && tokenLength[s] > 0) {
                    state[s] = CHUNK_EXT;
                } else if (b == '\r' && tokenLength[s] > 0) {
                    state[s] = CHUNK_SIZE_LF;
                } else {
                    return 400;
                }
            }
            case CHUNK_EXT -> {
                if (b == '\r') {
                    state[s] = CHUNK_SIZE_LF;
                } else if (b == '\n') {
                    return 400;
                }
            }
            case CHUNK_SIZE_LF -> {
                if (b != '\n') {
                    return 400;
                } else if (bodyLeft[s] == 0) {
                    tokenLength[s] = 0;
                    state[s] = TRAILER; // last chunk: trailers until an empty line
                } else {
                    state[s] = CHUNK_DATA;
                }
            }
            case CHUNK_DATA_CR -> {
                if (b == '\r') {
                    state[s] = CHUNK_DATA_LF;
                } else {
                    return 400;
                }
            }
            case CHUNK_DATA_LF -> {
                if (b == '\n') {
                    tokenLength[s] = 0;
                    bodyLeft[s] = 0;
                    state[s] = CHUNK_SIZE;
                } else {
                    return 400;
                }
            }
            case TRAILER -> {
                if (b == '\r') {
                    state[s] = TRAILER_LF;
                } else if (b == '\n') {
                    return 400;
                } else {
                    tokenLength[s]++;
                }
            }
            case TRAILER_LF -> {
                if (b != '\n') {
                    return 400;
                } else if (tokenLength[s] == 0) {
                    return REQUEST_COMPLETE;
                } else {
                    tokenLength[s] = 0;
                    state[s] = TRAILER;
                }
            }
            default -> {
                return 400;
            }
        }
        return MORE;
    }

    /** RFC 9110 §5.6.2 tchar, as a table for {@link #skim}. */
    private static final boolean[] TCHAR = new boolean[256];

    static {
        for (int b = 0; b < 256; b++) {
            TCHAR[b] = isTokenChar(b);
        }
    }

    /**
     * The bulk of a request head in one tight loop: the bytes of a request target, a header name or a header value
     * that {@link #step} would only copy or count. Stops at the first byte that ends or breaks the token (space,
     * colon, CR, a byte that is not allowed there) and at the header-size limit, leaving that byte to {@code step},
     * so the result is exactly what stepping byte by byte gives.
     *
     * @param index where to start in {@code buffer}
     * @param end   one past the last readable byte
     * @return the index of the first byte not consumed ({@code index} when the state has no bulk run)
     */
    public int skim(int s, DirectBuffer buffer, int index, int end) {
        final byte st = state[s];
        if (st != VALUE && st != NAME && st != TARGET) {
            return index;
        }
        final int room = HttpServer.MAX_HEADER_BYTES - headerBytes[s];
        final int stop = Math.min(end, index + Math.max(0, room));
        int n = tokenLength[s];
        int i = index;
        if (st == VALUE) {
            final int at = base(s) + MAX_TARGET + MAX_NAME;
            for (; i < stop; i++) {
                final int b = buffer.getByte(i) & 0xFF;
                if ((b < ' ' && b != '\t') || b == 0x7F) {
                    break; // CR ends the value; anything else is step's 400
                }
                if (n == 0 && (b == ' ' || b == '\t')) {
                    continue; // leading OWS
                }
                if (n < MAX_VALUE) {
                    token[at + n] = (byte) b;
                }
                n++;
            }
        } else if (st == NAME) {
            final int at = base(s) + MAX_TARGET;
            for (; i < stop; i++) {
                final int b = buffer.getByte(i) & 0xFF;
                if (!TCHAR[b]) {
                    break; // ':' ends the name; CR on an empty name ends the head; anything else is step's 400
                }
                if (n < MAX_NAME) {
                    token[at + n] = (byte) (b | 0x20);
                }
                n++;
            }
        } else {
            final int at = base(s);
            for (; i < stop; i++) {
                final int b = buffer.getByte(i) & 0xFF;
                if (b <= ' ' || b == 0x7F) {
                    break;
                }
                if (n < MAX_TARGET) {
                    token[at + n++] = (byte) b;
                } else {
                    n = MAX_TARGET + 1; // too long for any route: 404 (never truncated into a match)
                }
            }
        }
        tokenLength[s] = n;
        headerBytes[s] += i - index;
        return i;
    }

    private static boolean isTokenChar(int b) {
        return b > ' ' && b < 0x7F && b != '(' && b != ')' && b != ',' && b != '/' && b != ':' && b != ';'
            && b != '<' && b != '=' && b != '>' && b != '?' && b != '@' && b != '[' && b != '\\' && b != ']'
            && b != '{' && b != '}' && b != '"';
    }

    private static int hex(int b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }

    private static int base(int s) {
        return s * (MAX_TARGET + MAX_NAME + MAX_VALUE);
    }

    private boolean startsWith(int s, String text) {
        if (tokenLength[s] < text.length()) {
            return false;
        }
        for (int k = 0; k < text.length(); k++) {
            if (token[base(s) + k] != text.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private boolean tokenEquals(int s, int from, int length, String text) {
        if (length != text.length()) {
            return false;
        }
        for (int k = 0; k < length; k++) {
            if (token[base(s) + from + k] != text.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private byte methodOf(int s) {
        final int n = tokenLength[s];
        if (tokenEquals(s, 0, n, "GET")) {
            return 0;
        }
        if (tokenEquals(s, 0, n, "HEAD")) {
            return 1;
        }
        if (tokenEquals(s, 0, n, "POST")) {
            return 2;
        }
        if (n == 0) {
            return 3;
        }
        return 3;
    }

    /** HTTP/1.0 gives 0, HTTP/1.1 gives 1, anything else -1. */
    private int versionOf(int s) {
        if (tokenEquals(s, 0, tokenLength[s], "HTTP/1.1")) {
            return 1;
        }
        if (tokenEquals(s, 0, tokenLength[s], "HTTP/1.0")) {
            return 0;
        }
        return -1;
    }

    private byte routeOf(int s) {
        final int n = tokenLength[s];
        if (n > MAX_TARGET) {
            return ROUTE_NOT_FOUND;
        }
        if (tokenEquals(s, 0, n, "/")) {
            return method[s] <= 1 ? ROUTE_HELLO : ROUTE_NOT_FOUND;
        }
        if (tokenEquals(s, 0, n, "/echo")) {
            return method[s] == 2 ? ROUTE_ECHO : ROUTE_NOT_FOUND;
        }
        final String prefix = "/bytes/";
        if (method[s] <= 1 && n > prefix.length() && n <= prefix.length() + 10 && startsWith(s, prefix)) {
            long v = 0;
            for (int k = prefix.length(); k < n; k++) {
                final int d = token[base(s) + k] - '0';
                if (d < 0 || d > 9) {
                    return ROUTE_NOT_FOUND;
                }
                v = v * 10 + d;
            }
            if (v > Integer.MAX_VALUE) {
                return ROUTE_NOT_FOUND;
            }
            streamEnd[s] = v;
            return ROUTE_BYTES;
        }
        return ROUTE_NOT_FOUND;
    }

    /** A complete header line: note what the server needs (RFC 9112 §6, RFC 9110 §7.6.1); MORE, or 400 if bad. */
    private int header(int s) {
        final int nl = Math.min(nameLength[s], MAX_NAME + 1);
        final int vl = tokenLength[s];
        final int v = MAX_TARGET + MAX_NAME;
        int end = Math.min(vl, MAX_VALUE); // trailing OWS
        while (end > 0 && (token[base(s) + v + end - 1] == ' ' || token[base(s) + v + end - 1] == '\t')) {
            end--;
        }
        if (tokenEquals(s, MAX_TARGET, nl, "content-length")) {
            if (vl > 18 || end == 0) {
                return 400;
            }
            long n = 0;
            for (int k = 0; k < end; k++) {
                final int d = token[base(s) + v + k] - '0';
                if (d < 0 || d > 9) {
                    return 400;
                }
                n = n * 10 + d;
            }
            if (sawLength[s] && n != contentLength[s]) {
                return 400; // RFC 9112 §6.3 (5): differing Content-Length values
            }
            sawLength[s] = true;
            contentLength[s] = n;
        } else if (tokenEquals(s, MAX_TARGET, nl, "transfer-encoding")) {
            if (vl <= MAX_VALUE && equalsIgnoreCase(s, v, end, "chunked")) {
                chunked[s] = true;
            } else {
                return 400; // only chunked is understood (RFC 9112 §6.1: else 501; 400 and close here)
            }
        } else if (tokenEquals(s, MAX_TARGET, nl, "connection")) {
            if (vl <= MAX_VALUE && equalsIgnoreCase(s, v, end, "close")) {
                closeAfter[s] = true;
            } else if (vl <= MAX_VALUE && equalsIgnoreCase(s, v, end, "keep-alive")) {
                keepAliveAsked[s] = true;
            }
        }
        tokenLength[s] = 0;
        return MORE;
    }

    private boolean equalsIgnoreCase(int s, int from, int length, String text) {
        if (length != text.length()) {
            return false;
        }
        for (int k = 0; k < length; k++) {
            if ((token[base(s) + from + k] | 0x20) != text.charAt(k)) {
                return false;
            }
        }
        return true;
    }
}
