package io.strait.apps.servers;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HttpResponseHeadTest {
    private final UnsafeBuffer b = new UnsafeBuffer(new byte[512]);

    private String text(int length) {
        return b.getStringWithoutLengthAscii(0, length);
    }

    @Test
    void helloKeptOpen() {
        assertEquals("HTTP/1.1 200 OK\r\nServer: strait\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\n",
            text(HttpResponseHead.head(b, 0, 200, 6, true, false, false)));
    }

    @Test
    void errorClosesAndHttp10KeptOpenSaysSo() {
        assertEquals("HTTP/1.1 408 Request Timeout\r\nServer: strait\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: 0\r\nConnection: close\r\n\r\n", text(HttpResponseHead.head(b, 0, 408, 0, true, true,
            false)));
        assertEquals("HTTP/1.1 200 OK\r\nServer: strait\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: 2147483647\r\nConnection: keep-alive\r\n\r\n", text(HttpResponseHead.head(b, 0, 200,
            Integer.MAX_VALUE, false, false, true)));
    }

    @Test
    void chunkedWhenTheLengthIsUnknown() {
        assertEquals("HTTP/1.1 200 OK\r\nServer: strait\r\nContent-Type: application/octet-stream\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n", text(HttpResponseHead.head(b, 0, 200, -1, false, false, false)));
    }

    @Test
    void numbers() {
        assertEquals("0", text(HttpResponseHead.putDecimal(b, 0, 0)));
        assertEquals("9223372036854775807", text(HttpResponseHead.putDecimal(b, 0, Long.MAX_VALUE)));
        assertEquals("0", text(HttpResponseHead.putHex(b, 0, 0)));
        assertEquals("ffe", text(HttpResponseHead.putHex(b, 0, 0xFFE)));
        assertEquals("10000", text(HttpResponseHead.putHex(b, 0, 65536)));
        final int p = HttpResponseHead.put(b, 3, "ab");
        assertEquals(5, p);
        assertEquals("ab", new String(new byte[] {b.getByte(3), b.getByte(4)}, StandardCharsets.US_ASCII));
    }

    @Test
    void bytesResponseLengthIsTheHeadPlusTheBody() {
        final String head = "HTTP/1.1 200 OK\r\nServer: strait\r\nContent-Type: application/octet-stream\r\n"
            + "Content-Length: 262144\r\n\r\n";
        assertEquals(head.length() + 262144L, HttpResponseHead.bytesResponseLength(262144));
    }
}
