package io.strait.apps.servers;

import java.util.Arrays;

/**
 * Request-header deadlines of one core's HTTP connections (slowloris: a client that sends its header a byte at a
 * time and never ends it would hold a connection forever). A connection is armed when it opens and when the first
 * byte of a later request arrives, and disarmed when its header is complete or it closes; one whose header is not
 * complete {@code timeoutNs} after arming expires.
 *
 * <p>Every connection gets the same timeout and time only moves forward, so deadlines expire in the order they were
 * armed: the armed connections form a FIFO, a doubly linked list through slot-indexed arrays. Arming, disarming and
 * finding what expired are O(1) each, nothing is allocated and nothing scans the connections. Time is an argument
 * ({@code nowNs}); tests drive it by hand. One core's thread only.
 *
 * <p>nginx calls this {@code client_header_timeout} (60 s by default, answered with 408); RFC 9112 leaves the limit
 * to the server (RFC 9110 §15.5.9: 408 Request Timeout, with {@code Connection: close}).
 */
final class HeaderDeadlines {
    /** What to do with a connection whose header timed out (unlinked before the call). */
    interface Expiry {
        void expired(int slot, long handle);
    }

    private static final int NONE = -1;
    /** Not in the list (distinct from NONE, the end of the list). */
    private static final int UNLISTED = -2;

    private final long timeoutNs;
    private final int[] next;
    private final int[] prev;
    private final long[] deadlineNs;
    private final long[] handle;
    private int head = NONE;
    private int tail = NONE;
    private int size;

    /** @param timeoutNs header timeout, greater than 0; {@code slots} the core's connection slots */
    HeaderDeadlines(int slots, long timeoutNs) {
        if (timeoutNs <= 0) {
            throw new IllegalArgumentException("header timeout must be positive, not " + timeoutNs + " ns");
        }
        this.timeoutNs = timeoutNs;
        next = new int[slots];
        prev = new int[slots];
        deadlineNs = new long[slots];
        handle = new long[slots];
        Arrays.fill(next, UNLISTED);
    }

    long timeoutNs() {
        return timeoutNs;
    }

    boolean armed(int slot) {
        return next[slot] != UNLISTED;
    }

    int size() {
        return size;
    }

    /** Starts the clock for {@code slot} at {@code nowNs} unless it already runs (its first deadline stays). */
    void arm(int slot, long connectionHandle, long nowNs) {
        if (next[slot] != UNLISTED) {
            return;
        }
        deadlineNs[slot] = nowNs + timeoutNs;
        handle[slot] = connectionHandle;
        next[slot] = NONE;
        prev[slot] = tail;
        if (tail == NONE) {
            head = slot;
        } else {
            next[tail] = slot;
        }
        tail = slot;
        size++;
    }

    /** Stops the clock for {@code slot} (no-op when it is not running). */
    void disarm(int slot) {
        final int n = next[slot];
        if (n == UNLISTED) {
            return;
        }
        final int p = prev[slot];
        if (p == NONE) {
            head = n;
        } else {
            next[p] = n;
        }
        if (n == NONE) {
            tail = p;
        } else {
            prev[n] = p;
        }
        next[slot] = UNLISTED;
        size--;
    }

    /**
     * Hands every connection whose deadline is at or before {@code nowNs} to {@code expiry}, oldest first, at most
     * {@code max} (work per cycle is capped; the rest follow next cycle). Each is disarmed before its call, so the
     * call may close it (and re-arm nothing by mistake).
     *
     * @return how many expired
     */
    int expire(long nowNs, int max, Expiry expiry) {
        int n = 0;
        while (head != NONE && n < max && deadlineNs[head] - nowNs <= 0) {
            final int slot = head;
            disarm(slot);
            n++;
            expiry.expired(slot, handle[slot]);
        }
        return n;
    }
}
