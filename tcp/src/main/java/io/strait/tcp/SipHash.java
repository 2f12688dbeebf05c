package io.strait.tcp;

/**
 * SipHash-2-4 over two or three 64-bit words (Aumasson and Bernstein, 2012): the keyed hash F() of RFC 6528 §3
 * (ISN), RFC 6056 §3.3.3 (ephemeral port offset) and of the SYN cookies. Static, allocation-free.
 */
public final class SipHash {
    private SipHash() {
    }

    public static long hash(final long k0, final long k1, final long m0, final long m1) {
        return hash(k0, k1, m0, m1, 0L, 2);
    }

    public static long hash(final long k0, final long k1, final long m0, final long m1, final long m2) {
        return hash(k0, k1, m0, m1, m2, 3);
    }

    private static long hash(final long k0, final long k1, final long m0, final long m1, final long m2,
        final int words) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        for (int i = 0; i < words; i++) {
            final long m = i == 0 ? m0 : i == 1 ? m1 : m2;
            v3 ^= m;
            for (int r = 0; r < 2; r++) {
                v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
                v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
                v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
                v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
            }
            v0 ^= m;
        }
        final long b = ((long) (words * 8)) << 56;
        v3 ^= b;
        for (int r = 0; r < 2; r++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        v0 ^= b;
        v2 ^= 0xff;
        for (int r = 0; r < 4; r++) {
            v0 += v1; v1 = Long.rotateLeft(v1, 13); v1 ^= v0; v0 = Long.rotateLeft(v0, 32);
            v2 += v3; v3 = Long.rotateLeft(v3, 16); v3 ^= v2;
            v0 += v3; v3 = Long.rotateLeft(v3, 21); v3 ^= v0;
            v2 += v1; v1 = Long.rotateLeft(v1, 17); v1 ^= v2; v2 = Long.rotateLeft(v2, 32);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
