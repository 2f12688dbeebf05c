package io.strait.tcp;

/**
 * Sorted, disjoint, non-adjacent half-open ranges {@code [left, right)} of sequence space with a running sum of
 * their widths: the one range type behind the receiver's reassembly queue (RFC 9293 §3.10.7.4 seventh) and the
 * sender's SACK scoreboard (RFC 6675 §3). Bounded capacity, two int arrays, nothing allocated after construction.
 * Comparisons go through {@link Seq} (modulo 2^32); every range must lie within 2^31 of the others.
 */
final class RangeSet {
    private final int[] left;
    private final int[] right;
    /** When each range was last added to or grown (a counter): RFC 2018 §4 reports the most recent first. */
    private final long[] stamp;
    private long clock;
    private int count;
    private int sum;

    RangeSet(final int capacity) {
        left = new int[capacity];
        right = new int[capacity];
        stamp = new long[capacity];
    }

    int count() {
        return count;
    }

    int capacity() {
        return left.length;
    }

    boolean isEmpty() {
        return count == 0;
    }

    int left(final int k) {
        return left[k];
    }

    int right(final int k) {
        return right[k];
    }

    long stamp(final int k) {
        return stamp[k];
    }

    /** Total bytes covered. */
    int sum() {
        return sum;
    }

    /** Index of the range most recently created or grown (RFC 2018 §4: reported first); -1 when empty. */
    int latest() {
        int best = -1;
        for (int k = 0; k < count; k++) {
            if (best < 0 || stamp[k] > stamp[best]) {
                best = k;
            }
        }
        return best;
    }

    /** The highest right edge; only meaningful when not empty. */
    int highest() {
        return right[count - 1];
    }

    void clear() {
        count = 0;
        sum = 0;
    }

    /**
     * Inserts {@code [l, r)}, merging every range it overlaps or touches.
     *
     * @param evictLowest when full and nothing merges: drop the lowest range to make room, so the new range is
     *                    always recorded (a SACK scoreboard may forget: its per-segment marks already hold what the
     *                    lowest range said, while refusing a new range above the others would leave its segments
     *                    unmarked, to be retransmitted spuriously once RACK sees later ones delivered); otherwise
     *                    refuse
     * @return false when the range was not recorded (empty, or no room)
     */
    boolean add(final int l, final int r, final boolean evictLowest) {
        if (!Seq.lt(l, r)) {
            return false;
        }
        final int n = count;
        int first = -1;
        int last = -1;
        for (int k = 0; k < n; k++) {
            if (Seq.le(left[k], r) && Seq.ge(right[k], l)) {
                if (first < 0) {
                    first = k;
                }
                last = k;
            } else if (Seq.gt(left[k], r)) {
                break;
            }
        }
        if (first >= 0) {
            final int nl = Seq.min(l, left[first]);
            final int nr = Seq.max(r, right[last]);
            for (int k = first; k <= last; k++) {
                sum -= right[k] - left[k];
            }
            left[first] = nl;
            right[first] = nr;
            stamp[first] = ++clock;
            sum += nr - nl;
            removeSpan(first + 1, last - first);
            return true;
        }
        int p = 0;
        while (p < n && Seq.lt(left[p], l)) {
            p++;
        }
        if (n == left.length) {
            if (!evictLowest) {
                return false;
            }
            sum -= right[0] - left[0];
            removeSpan(0, 1);
            if (p > 0) {
                p--;
            }
        }
        for (int k = count; k > p; k--) {
            left[k] = left[k - 1];
            right[k] = right[k - 1];
            stamp[k] = stamp[k - 1];
        }
        left[p] = l;
        right[p] = r;
        stamp[p] = ++clock;
        count++;
        sum += r - l;
        return true;
    }

    /** Forgets everything below {@code seq}: ranges ending at or before it go, one straddling it is clipped. */
    void removeBelow(final int seq) {
        int k = 0;
        while (k < count && Seq.le(right[k], seq)) {
            sum -= right[k] - left[k];
            k++;
        }
        removeSpan(0, k);
        if (count > 0 && Seq.lt(left[0], seq)) {
            sum -= seq - left[0];
            left[0] = seq;
        }
    }

    /**
     * Reassembly: the ranges that now touch {@code seq} (the next expected byte) are consumed.
     *
     * @return the new next expected byte (at or after {@code seq})
     */
    int advance(final int seq) {
        int next = seq;
        int k = 0;
        while (k < count && Seq.le(left[k], next)) {
            next = Seq.max(next, right[k]);
            sum -= right[k] - left[k];
            k++;
        }
        removeSpan(0, k);
        return next;
    }

    /** True when {@code [l, r)} lies wholly inside one range. */
    boolean covers(final int l, final int r) {
        for (int k = 0; k < count && Seq.le(left[k], l); k++) {
            if (Seq.ge(right[k], r)) {
                return true;
            }
        }
        return false;
    }

    /** Bytes covered below {@code seq}. */
    int sumBelow(final int seq) {
        int s = 0;
        for (int k = 0; k < count && Seq.lt(left[k], seq); k++) {
            s += Seq.min(right[k], seq) - left[k];
        }
        return s;
    }

    private void removeSpan(final int from, final int n) {
        if (n <= 0) {
            return;
        }
        for (int k = from + n; k < count; k++) {
            left[k - n] = left[k];
            right[k - n] = right[k];
            stamp[k - n] = stamp[k];
        }
        count -= n;
    }
}
