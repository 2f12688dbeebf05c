package io.strait.bench.kernel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Set;

/**
 * The Linux-kernel HTTP anchor in plain java.nio: one selector thread, non-blocking, HTTP/1.1 keep-alive with
 * pipelining. {@code GET /} (and {@code HEAD /}) answers {@code 200 hello\n}; any other request 404; a malformed one
 * 400 and close; {@code Connection: close} (or HTTP/1.0 without keep-alive) is answered, then the connection is
 * closed (a lingering close: our FIN first, then whatever the client still sends is read and dropped until its FIN).
 *
 * <p>Each connection owns two direct buffers (requests in, responses out), taken from a pool when accepted and given
 * back when closed; the responses are pre-built bytes copied into the out buffer. In the steady state nothing is
 * allocated per request. Requests split over reads, several requests in one read (pipelining) and partial writes
 * are all handled; when responses pile up (a client that pipelines but does not read) reading pauses until the out
 * buffer drains.
 */
public final class NioHttpServer extends SelectorServer {
    static final String HELP = """
        usage: java -cp bench/target/benchmarks.jar io.strait.bench.kernel.NioHttpServer --port N [--bind ADDR]
          HTTP/1.1 server on the Linux kernel stack (java.nio, one selector thread): GET / -> 200 "hello\\n",
          keep-alive and pipelining, Connection: close honoured, other requests 404, malformed 400 and close.
          Prints a line starting with READY when listening; SIGTERM/SIGINT stop it (exit 0).
          --bind defaults to 0.0.0.0.
        """;

    private static final int IN_BYTES = 16 * 1024;   // the largest request head accepted (else 431)
    private static final int OUT_BYTES = 16 * 1024;
    private static final int POOL_MAX = 4096;
    private static final long LINGER_NS = 2_000_000_000L;

    // Pre-built responses. Keep-alive HTTP/1.1 needs no Connection header; HTTP/1.0 keep-alive says so.
    private static final int KEEP_ALIVE = 0;
    private static final int CLOSE = 1;
    private static final int KEEP_ALIVE_10 = 2;
    private static final Response[] OK = responses("200 OK", "hello\n");
    private static final Response[] NOT_FOUND = responses("404 Not Found", "not found\n");
    private static final Response BAD_REQUEST = response("400 Bad Request", "bad request\n", CLOSE);
    private static final Response TOO_LARGE = response("431 Request Header Fields Too Large", "too large\n", CLOSE);
    private static final Response BAD_VERSION = response("505 HTTP Version Not Supported", "bad version\n", CLOSE);
    private static final int MAX_RESPONSE = 256;

    private static final byte[] H_CONNECTION = bytes("connection");
    private static final byte[] H_CONTENT_LENGTH = bytes("content-length");
    private static final byte[] H_TRANSFER_ENCODING = bytes("transfer-encoding");
    private static final byte[] H_HOST = bytes("host");
    private static final byte[] T_CLOSE = bytes("close");
    private static final byte[] T_KEEP_ALIVE = bytes("keep-alive");

    private final ArrayDeque<Conn> pool = new ArrayDeque<>();
    private final ArrayList<Conn> lingering = new ArrayList<>();
    private long requests;

    private NioHttpServer() {
        super("NioHttpServer");
    }

    public static void main(String[] argv) {
        KernelArgs.main("NioHttpServer", HELP, argv, args -> {
            final KernelArgs a = new KernelArgs("NioHttpServer", args, Set.of("--port", "--bind"), Set.of());
            return new NioHttpServer().serve(a.listenAddress());
        });
    }

    @Override
    String summary() {
        return accepted + " connections, " + requests + " requests";
    }

    @Override
    void opened(Selector selector, SocketChannel channel) throws IOException {
        Conn c = pool.pollFirst();
        if (c == null) {
            c = new Conn();
        }
        c.channel = channel;
        c.key = channel.register(selector, SelectionKey.OP_READ, c);
        c.interest = SelectionKey.OP_READ;
    }

    @Override
    void ready(SelectionKey key) {
        final Conn c = (Conn) key.attachment();
        try {
            if (c.lingerDeadlineNs != 0) {
                c.drain();
                return;
            }
            if (key.isReadable()) {
                c.onReadable();
            }
            if (c.channel != null && key.isValid() && key.isWritable()) {
                c.onWritable();
            }
            if (c.channel != null) {
                c.settle();
            }
        } catch (IOException | RuntimeException e) {
            c.close(); // reset by peer, broken pipe, ...
        }
    }

    @Override
    void tick(long nowNs) {
        for (int i = lingering.size() - 1; i >= 0; i--) {
            final Conn c = lingering.get(i);
            if (c.channel == null || nowNs - c.lingerDeadlineNs >= 0) {
                c.close();
            }
        }
    }

    /** One connection: its buffers and where its parser stands. Reused through {@link #pool}. */
    private final class Conn {
        final ByteBuffer in = ByteBuffer.allocateDirect(IN_BYTES);   // write mode; unparsed bytes are [start, position)
        final ByteBuffer out = ByteBuffer.allocateDirect(OUT_BYTES); // write mode; unsent bytes are [0, position)
        SocketChannel channel;
        SelectionKey key;
        int interest;
        int start;          // first unparsed byte in `in`
        int scanFrom;       // where the search for the end of the head resumes
        long skip;          // request body bytes still to drop
        boolean closeAfter; // a response that ends the connection is queued: parse nothing more
        boolean eof;        // the client sent its FIN
        boolean outFull;    // parsing stopped for room in `out`
        long lingerDeadlineNs;

        void onReadable() throws IOException {
            if (closeAfter || eof) {
                return;
            }
            final int n = channel.read(in);
            if (n < 0) {
                eof = true;
                return;
            }
            if (n > 0) {
                parse();
            }
        }

        void onWritable() throws IOException {
            pump();
        }

        /** After the events: send what is queued, then pick the interest set (or close). */
        void settle() throws IOException {
            if (out.position() > 0) {
                pump();
            }
            final boolean pending = out.position() > 0;
            if (!pending && (closeAfter || eof && !outFull)) {
                if (closeAfter && !eof) {
                    linger();
                } else {
                    close();
                }
                return;
            }
            int want = pending ? SelectionKey.OP_WRITE : 0;
            if (!closeAfter && !eof && !outFull && in.hasRemaining()) {
                want |= SelectionKey.OP_READ;
            }
            if (want != interest) {
                interest = want;
                key.interestOps(want);
            }
        }

        /** Sends what is queued; while that makes room, answers the requests that waited for it. */
        private void pump() throws IOException {
            flush();
            while (outFull && out.remaining() >= MAX_RESPONSE) {
                outFull = false;
                parse();
                flush();
            }
        }

        private void flush() throws IOException {
            out.flip();
            channel.write(out);
            out.compact();
        }

        /** Answers every complete request in [start, position) while `out` has room. */
        private void parse() {
            int end = in.position();
            while (!closeAfter) {
                if (skip > 0) {
                    final int n = (int) Math.min(skip, end - start);
                    start += n;
                    skip -= n;
                    scanFrom = start;
                    if (skip > 0) {
                        break;
                    }
                }
                while (start < end && (in.get(start) == '\r' || in.get(start) == '\n')) {
                    start++; // empty lines before a request line are ignored (RFC 9112 section 2.2)
                }
                if (start == end) {
                    break;
                }
                if (out.remaining() < MAX_RESPONSE) {
                    outFull = true;
                    break;
                }
                final int headEnd = headEnd(end);
                if (headEnd < 0) {
                    if (end - start >= IN_BYTES) {
                        respond(TOO_LARGE, false);
                    }
                    break;
                }
                request(start, headEnd);
                requests++;
                start = headEnd;
                scanFrom = start;
            }
            // Keep the unparsed tail at the front of `in` for the next read.
            if (start == end) {
                in.clear();
                scanFrom -= start;
                start = 0;
            } else if (start > 0) {
                in.flip().position(start);
                in.compact();
                scanFrom -= start;
                start = 0;
            }
            if (scanFrom < 0) {
                scanFrom = 0;
            }
        }

        /** The index just after the head's closing CRLF CRLF, or -1 if it has not all arrived. */
        private int headEnd(int end) {
            int i = Math.max(scanFrom, start);
            for (; i + 3 < end; i++) {
                if (in.get(i + 3) == '\n' && in.get(i + 2) == '\r' && in.get(i + 1) == '\n' && in.get(i) == '\r') {
                    return i + 4;
                }
            }
            scanFrom = i;
            return -1;
        }

        /** One complete head in [from, to): validates it and queues the answer. */
        private void request(int from, int to) {
            final int lineEnd = indexOf('\r', from, to);
            if (in.get(lineEnd + 1) != '\n') {
                respond(BAD_REQUEST, false);
                return;
            }
            // method SP target SP HTTP/x.y
            int sp1 = from;
            while (sp1 < lineEnd && isTchar(in.get(sp1))) {
                sp1++;
            }
            if (sp1 == from || sp1 >= lineEnd || in.get(sp1) != ' ') {
                respond(BAD_REQUEST, false);
                return;
            }
            final int targetFrom = sp1 + 1;
            int sp2 = targetFrom;
            while (sp2 < lineEnd && in.get(sp2) > ' ' && in.get(sp2) != 0x7f) {
                sp2++;
            }
            if (sp2 == targetFrom || sp2 >= lineEnd || in.get(sp2) != ' ' || lineEnd - (sp2 + 1) != 8
                    || !matches(sp2 + 1, "HTTP/")) {
                respond(BAD_REQUEST, false);
                return;
            }
            final int major = in.get(sp2 + 6) - '0';
            final int minor = in.get(sp2 + 8) - '0';
            if (major < 0 || major > 9 || in.get(sp2 + 7) != '.' || minor < 0 || minor > 9) {
                respond(BAD_REQUEST, false);
                return;
            }
            if (major != 1) {
                respond(BAD_VERSION, false);
                return;
            }
            final boolean http11 = minor >= 1;
            final boolean head = sp1 - from == 4 && matches(from, "HEAD");
            final boolean get = sp1 - from == 3 && matches(from, "GET");
            final boolean root = sp2 - targetFrom == 1 && in.get(targetFrom) == '/';

            boolean close = false;
            boolean keepAlive = false;
            boolean host = false;
            long contentLength = -1;
            int line = lineEnd + 2;
            final int headersEnd = to - 2; // the empty line
            while (line < headersEnd) {
                final int eol = indexOf('\r', line, to);
                if (in.get(eol + 1) != '\n') {
                    respond(BAD_REQUEST, false);
                    return;
                }
                int colon = line;
                while (colon < eol && isTchar(in.get(colon))) {
                    colon++;
                }
                if (colon == line || colon >= eol || in.get(colon) != ':') {
                    respond(BAD_REQUEST, false); // also obs-fold, and whitespace before the colon
                    return;
                }
                int v = colon + 1;
                int ve = eol;
                while (v < ve && (in.get(v) == ' ' || in.get(v) == '\t')) {
                    v++;
                }
                while (ve > v && (in.get(ve - 1) == ' ' || in.get(ve - 1) == '\t')) {
                    ve--;
                }
                final int nameLength = colon - line;
                if (nameMatches(line, nameLength, H_CONNECTION)) {
                    close |= hasToken(v, ve, T_CLOSE);
                    keepAlive |= hasToken(v, ve, T_KEEP_ALIVE);
                } else if (nameMatches(line, nameLength, H_CONTENT_LENGTH)) {
                    final long n = decimal(v, ve);
                    if (n < 0 || contentLength >= 0 && contentLength != n) {
                        respond(BAD_REQUEST, false);
                        return;
                    }
                    contentLength = n;
                } else if (nameMatches(line, nameLength, H_TRANSFER_ENCODING)) {
                    respond(BAD_REQUEST, false); // request bodies in chunks are not supported here
                    return;
                } else if (nameMatches(line, nameLength, H_HOST)) {
                    host = true;
                }
                line = eol + 2;
            }
            if (http11 && !host) {
                respond(BAD_REQUEST, false);
                return;
            }
            if (contentLength > 0) {
                skip = contentLength;
            }
            final int mode = close ? CLOSE : http11 ? KEEP_ALIVE : keepAlive ? KEEP_ALIVE_10 : CLOSE;
            final Response[] r = (get || head) && root ? OK : NOT_FOUND;
            respond(r[mode], head);
        }

        private void respond(Response r, boolean headOnly) {
            final int n = headOnly ? r.headLength : r.length;
            out.put(out.position(), r.bytes, 0, n);
            out.position(out.position() + n);
            if (r.closes) {
                closeAfter = true;
            }
        }

        private int indexOf(char b, int from, int to) {
            for (int i = from; i < to; i++) {
                if (in.get(i) == b) {
                    return i;
                }
            }
            return to - 1; // unreachable for a head ending in CRLF CRLF
        }

        private boolean matches(int at, String text) {
            for (int k = 0; k < text.length(); k++) {
                if (in.get(at + k) != text.charAt(k)) {
                    return false;
                }
            }
            return true;
        }

        private boolean nameMatches(int at, int length, byte[] lowerName) {
            if (length != lowerName.length) {
                return false;
            }
            for (int k = 0; k < length; k++) {
                if ((in.get(at + k) | 0x20) != lowerName[k]) {
                    return false;
                }
            }
            return true;
        }

        /** Whether the comma list in [from, to) holds the token (case-insensitive). */
        private boolean hasToken(int from, int to, byte[] token) {
            int i = from;
            while (i < to) {
                while (i < to && (in.get(i) == ' ' || in.get(i) == '\t' || in.get(i) == ',')) {
                    i++;
                }
                int e = i;
                while (e < to && in.get(e) != ',') {
                    e++;
                }
                int te = e;
                while (te > i && (in.get(te - 1) == ' ' || in.get(te - 1) == '\t')) {
                    te--;
                }
                if (nameMatches(i, te - i, token)) {
                    return true;
                }
                i = e;
            }
            return false;
        }

        private long decimal(int from, int to) {
            if (from == to || to - from > 18) {
                return -1;
            }
            long n = 0;
            for (int i = from; i < to; i++) {
                final int d = in.get(i) - '0';
                if (d < 0 || d > 9) {
                    return -1;
                }
                n = n * 10 + d;
            }
            return n;
        }

        /** All answered and the last one ends the connection: FIN first, then drop input until the client's FIN. */
        private void linger() throws IOException {
            channel.shutdownOutput();
            lingerDeadlineNs = System.nanoTime() + LINGER_NS;
            if (lingerDeadlineNs == 0) {
                lingerDeadlineNs = 1;
            }
            in.clear();
            if (interest != SelectionKey.OP_READ) {
                interest = SelectionKey.OP_READ;
                key.interestOps(SelectionKey.OP_READ);
            }
            lingering.add(this);
        }

        void drain() throws IOException {
            in.clear();
            if (channel.read(in) < 0) {
                close();
            }
            in.clear();
        }

        void close() {
            if (channel == null) {
                return;
            }
            SelectorServer.closeQuietly(channel); // also cancels the key
            channel = null;
            key = null;
            in.clear();
            out.clear();
            interest = 0;
            start = 0;
            scanFrom = 0;
            skip = 0;
            closeAfter = false;
            eof = false;
            outFull = false;
            if (lingerDeadlineNs != 0) {
                lingerDeadlineNs = 0;
                lingering.remove(this);
            }
            if (pool.size() < POOL_MAX) {
                pool.addFirst(this);
            }
        }
    }

    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (int b = '!'; b < 0x7f; b++) {
            TCHAR[b] = "\"(),/:;<=>?@[\\]{}".indexOf(b) < 0;
        }
    }

    private static boolean isTchar(byte b) {
        return b >= 0 && TCHAR[b];
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private record Response(ByteBuffer bytes, int length, int headLength, boolean closes) {
    }

    private static Response[] responses(String status, String body) {
        return new Response[] {response(status, body, KEEP_ALIVE), response(status, body, CLOSE),
            response(status, body, KEEP_ALIVE_10)};
    }

    private static Response response(String status, String body, int mode) {
        final String head = "HTTP/1.1 " + status + "\r\nContent-Length: " + body.length()
            + "\r\nContent-Type: text/plain" + switch (mode) {
                case CLOSE -> "\r\nConnection: close";
                case KEEP_ALIVE_10 -> "\r\nConnection: keep-alive";
                default -> "";
            } + "\r\n\r\n";
        final byte[] all = bytes(head + body);
        final ByteBuffer b = ByteBuffer.allocateDirect(all.length).put(all).flip();
        return new Response(b.asReadOnlyBuffer(), all.length, head.length(), mode == CLOSE);
    }
}
