package io.strait.tcp;

/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4). The only place sequence numbers are compared: a raw
 * {@code <} on a sequence number is a bug. All values are 32-bit ints read straight from the header.
 */
public final class Seq {
    private Seq() {
    }

    /** a < b in sequence space. */
    public static boolean lt(final int a, final int b) {
        return a - b < 0;
    }

    public static boolean le(final int a, final int b) {
        return a - b <= 0;
    }

    public static boolean gt(final int a, final int b) {
        return a - b > 0;
    }

    public static boolean ge(final int a, final int b) {
        return a - b >= 0;
    }

    /** lo <= x < hi, i.e. x in the half-open window [lo, hi) (RFC 9293 §3.4 acceptability tests). */
    public static boolean inWindow(final int x, final int lo, final int hi) {
        return x - lo >= 0 && x - hi < 0;
    }

    public static int max(final int a, final int b) {
        return a - b >= 0 ? a : b;
    }

    public static int min(final int a, final int b) {
        return a - b <= 0 ? a : b;
    }
}
