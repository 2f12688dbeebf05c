package io.strait.bench.kernel;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Where one connection of {@link NioLoadClient} stands in reading one response, fed the bytes as they arrive (any
 * split). Echo: the {@code size} bytes sent, checked byte for byte. HTTP: a status line, headers with
 * {@code Content-Length} (a response without it has no body here), then that many body bytes; it notes the status
 * and whether the server closes after it ({@code Connection: close}, or HTTP/1.0). Allocation-free.
 */
final class ResponseParser {
    static final int ECHO = 0;
    static final int HTTP = 1;

    private static final byte[] CONTENT_LENGTH = "\r\ncontent-length:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONNECTION_CLOSE = "\r\nconnection: close".getBytes(StandardCharsets.US_ASCII);

    private final int app;
    private final int echoSize;

    // echo
    private long received;
    private boolean mismatch;
    // http
    private int index;          // bytes of the head seen
    private int status;
    private int clMatch;        // matched length of "\r\ncontent-length:"; -1 reading digits; -2 done
    private long clValue;
    private boolean clBad;
    private int closeMatch;
    private boolean closeAfter;
    private boolean badStatusLine;
    private int headerState;    // matched length of CRLF CRLF
    private boolean inBody;
    private long bodyLeft;
    private boolean done;

    ResponseParser(int app, int echoSize) {
        this.app = app;
        this.echoSize = echoSize;
    }

    /** The byte at {@code i} of the echo payload. */
    static byte echoByte(long i) {
        return (byte) ('a' + (int) (i % 26));
    }

    void reset() {
        received = 0;
        mismatch = false;
        index = 0;
        status = 0;
        clMatch = 0;
        clValue = 0;
        clBad = false;
        closeMatch = 0;
        closeAfter = false;
        badStatusLine = false;
        headerState = 0;
        inBody = false;
        bodyLeft = 0;
        done = false;
    }

    boolean done() {
        return done;
    }

    /** The response was what a working server sends: the same bytes (echo), status 200 (HTTP). */
    boolean ok() {
        return app == ECHO ? !mismatch : !badStatusLine && !clBad && status == 200;
    }

    /** The server closes the connection after this response. */
    boolean closeAfter() {
        return closeAfter;
    }

    /** Feeds [from, to) of {@code buf}; returns how many bytes belonged to this response (all, unless done early). */
    int feed(ByteBuffer buf, int from, int to) {
        if (done) {
            return 0;
        }
        if (app == ECHO) {
            final int n = (int) Math.min(to - from, echoSize - received);
            for (int i = 0; i < n; i++) {
                if (buf.get(from + i) != echoByte(received + i)) {
                    mismatch = true;
                }
            }
            received += n;
            done = received == echoSize;
            return n;
        }
        int i = from;
        while (i < to) {
            if (inBody) {
                final int take = (int) Math.min(bodyLeft, to - i);
                bodyLeft -= take;
                i += take;
                if (bodyLeft == 0) {
                    done = true;
                    return i - from;
                }
                continue;
            }
            head(buf.get(i++));
            if (done) {
                return i - from;
            }
        }
        return i - from;
    }

    private void head(byte b) {
        final int at = index++;
        // "HTTP/1.x NNN"
        if (at < 12) {
            if (at < 5 && b != "HTTP/".charAt(at) || at == 8 && b != ' ') {
                badStatusLine = true;
            } else if (at == 7 && b == '0') {
                closeAfter = true; // HTTP/1.0: treated as closing
            } else if (at >= 9) {
                if (b < '0' || b > '9') {
                    badStatusLine = true;
                } else {
                    status = status * 10 + (b - '0');
                }
            }
        }
        final int lower = b >= 'A' && b <= 'Z' ? b | 0x20 : b;
        final int cm = closeMatch;
        if (cm < CONNECTION_CLOSE.length) {
            if (lower == CONNECTION_CLOSE[cm]) {
                closeMatch = cm + 1;
                if (cm + 1 == CONNECTION_CLOSE.length) {
                    closeAfter = true;
                }
            } else {
                closeMatch = lower == '\r' ? 1 : 0;
            }
        }
        if (clMatch >= 0) {
            final int m = clMatch;
            if (lower == CONTENT_LENGTH[m]) {
                clMatch = m + 1 == CONTENT_LENGTH.length ? -1 : m + 1;
                if (clMatch == -1 && clValue != 0) {
                    clBad = true; // a second Content-Length
                }
            } else {
                clMatch = lower == '\r' ? 1 : 0;
            }
        } else if (clMatch == -1) {
            if (b >= '0' && b <= '9') {
                clValue = clValue * 10 + (b - '0');
                if (clValue > (1L << 40)) {
                    clBad = true;
                }
            } else if (b == '\r') {
                clMatch = 1; // value done; look for the next header
            } else if (b != ' ' && b != '\t') {
                clBad = true;
            }
        }
        final int h = headerState;
        headerState = (b == '\r' && (h == 0 || h == 2)) || (b == '\n' && (h == 1 || h == 3)) ? h + 1
            : (b == '\r' ? 1 : 0);
        if (headerState == 4) {
            inBody = true;
            bodyLeft = clValue;
            if (bodyLeft == 0) {
                done = true;
            }
        }
    }
}
