package io.strait.apps.servers;

import io.strait.apps.api.Connection;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The body of {@code GET /bytes/N} (../shared/CONTRACT.md): byte i is {@code i mod 251}. Written from one shared
 * read-only buffer of 251 + 64 KiB bytes, so any offset of the stream starts a run of up to 64 KiB without a copy.
 */
final class BytesPattern {
    static final int SPAN = 65536;
    private static final UnsafeBuffer PATTERN = pattern();

    private BytesPattern() {
    }

    /** Writes as much of bytes [{@code i}, {@code end}) as the connection takes, up to {@link #SPAN}; returns it. */
    static int write(Connection c, long i, long end) {
        return c.write(PATTERN, (int) (i % 251), (int) Math.min(end - i, SPAN));
    }

    private static UnsafeBuffer pattern() {
        final byte[] p = new byte[251 + SPAN];
        for (int i = 0; i < p.length; i++) {
            p[i] = (byte) (i % 251);
        }
        return new UnsafeBuffer(p);
    }
}
