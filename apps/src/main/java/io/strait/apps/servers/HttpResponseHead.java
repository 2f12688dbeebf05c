package io.strait.apps.servers;

import org.agrona.MutableDirectBuffer;

/**
 * Writes the http app's response heads and chunk framing as ASCII into a buffer (RFC 9112 §4 status line, §6 body
 * framing, §7.1 chunks), allocation-free. Each method writes at {@code p} and returns the position after what it
 * wrote; the caller sizes the buffer (a head is under 200 bytes).
 */
public final class HttpResponseHead {
    private HttpResponseHead() {
    }

    /**
     * Bytes of the whole answer to a keep-alive HTTP/1.1 {@code GET /bytes/n}, head and body, for a client that
     * counts responses (the warm-up's).
     */
    public static long bytesResponseLength(int n) {
        return head(new org.agrona.concurrent.UnsafeBuffer(new byte[256]), 0, 200, n, false, false, false) + (long) n;
    }

    /**
     * A whole head: status line, {@code Server}, {@code Content-Type} ({@code text/plain} for the hello route's 200),
     * {@code Content-Length} or, when {@code length} < 0, {@code Transfer-Encoding: chunked}, and {@code Connection:
     * close} when closing or {@code Connection: keep-alive} to an HTTP/1.0 client kept open; then the blank line.
     */
    static int head(MutableDirectBuffer b, int p, int status, long length, boolean hello, boolean close,
                    boolean http10) {
        p = put(b, p, "HTTP/1.1 ");
        p = put(b, p, switch (status) {
            case 200 -> "200 OK";
            case 400 -> "400 Bad Request";
            case 404 -> "404 Not Found";
            case 408 -> "408 Request Timeout";
            case 431 -> "431 Request Header Fields Too Large";
            default -> "505 HTTP Version Not Supported";
        });
        p = put(b, p, "\r\nServer: strait\r\nContent-Type: ");
        p = put(b, p, hello && status == 200 ? "text/plain" : "application/octet-stream");
        if (length >= 0) {
            p = put(b, p, "\r\nContent-Length: ");
            p = putDecimal(b, p, length);
        } else {
            p = put(b, p, "\r\nTransfer-Encoding: chunked");
        }
        if (close) {
            p = put(b, p, "\r\nConnection: close");
        } else if (http10) {
            p = put(b, p, "\r\nConnection: keep-alive");
        }
        return put(b, p, "\r\n\r\n");
    }

    /** ASCII text (every char below 128). */
    static int put(MutableDirectBuffer b, int p, String text) {
        for (int k = 0; k < text.length(); k++) {
            b.putByte(p + k, (byte) text.charAt(k));
        }
        return p + text.length();
    }

    /** A non-negative decimal number. */
    static int putDecimal(MutableDirectBuffer b, int p, long v) {
        if (v <= 0) {
            b.putByte(p, (byte) '0');
            return p + 1;
        }
        int digits = 0;
        for (long t = v; t > 0; t /= 10) {
            digits++;
        }
        for (int k = digits - 1; k >= 0; k--) {
            b.putByte(p + k, (byte) ('0' + v % 10));
            v /= 10;
        }
        return p + digits;
    }

    /** A chunk size: lower-case hexadecimal without leading zeros (RFC 9112 §7.1), "0" for 0. */
    static int putHex(MutableDirectBuffer b, int p, int v) {
        if (v == 0) {
            b.putByte(p, (byte) '0');
            return p + 1;
        }
        int digits = 0;
        for (int t = v; t != 0; t >>>= 4) {
            digits++;
        }
        for (int k = digits - 1; k >= 0; k--) {
            b.putByte(p + k, (byte) Character.forDigit(v & 0xF, 16));
            v >>>= 4;
        }
        return p + digits;
    }
}
