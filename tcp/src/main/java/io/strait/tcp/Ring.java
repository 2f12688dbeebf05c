package io.strait.tcp;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/** Copies into and out of a byte ring of {@code cap} bytes at {@code base} in the slab, wrapping once. */
final class Ring {
    private Ring() {
    }

    /** Writes {@code len} bytes at ring position {@code pos} (0 <= pos < cap). */
    static void put(final UnsafeBuffer slab, final int base, final int cap, final int pos, final DirectBuffer src,
        final int off, final int len) {
        final int first = Math.min(len, cap - pos);
        slab.putBytes(base + pos, src, off, first);
        if (first < len) {
            slab.putBytes(base, src, off + first, len - first);
        }
    }

    /** Reads {@code len} bytes from ring position {@code pos} into {@code dst} at {@code dstOff}. */
    static void get(final UnsafeBuffer slab, final int base, final int cap, final int pos,
        final MutableDirectBuffer dst, final int dstOff, final int len) {
        final int first = Math.min(len, cap - pos);
        dst.putBytes(dstOff, slab, base + pos, first);
        if (first < len) {
            dst.putBytes(dstOff + first, slab, base, len - first);
        }
    }

    /** (a + b) mod cap for 0 <= a, b; never overflows for a, b < 2^30. */
    static int wrap(final int a, final int b, final int cap) {
        final int p = a + b;
        return p >= cap ? p % cap : p;
    }
}
