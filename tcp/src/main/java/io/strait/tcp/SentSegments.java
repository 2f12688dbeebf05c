package io.strait.tcp;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * The sender's per-segment transmit record (RFC 8985 §6.1: "for each segment, RACK needs its most recent
 * transmission time and whether it was retransmitted", plus its SACKed and lost marks): a bounded ring of records
 * per connection, in sequence order, off-heap in the connection's slab chunk after its two byte rings.
 *
 * <pre>
 *  record (48 bytes)
 *   0      4      8        12      16            24             32               40              48
 *  +------+------+--------+-------+-------------+--------------+----------------+---------------+
 *  |start | end  | flags  |  pad  | xmitNs      | delivered    | deliveredNs    | firstTxNs     |
 *  +------+------+--------+-------+-------------+--------------+----------------+---------------+
 * </pre>
 * The last three are the connection's delivery state when the segment was (last) sent, for delivery-rate
 * samples (draft-cheng-iccrg-delivery-rate-estimation §3.2, as Linux's tcp_rate_skb_sent).
 *
 * {@code [start, end)} is the sequence space the segment occupied (a FIN counts one). Records are appended when
 * new data is sent and dropped from the head when cumulatively acknowledged. When the ring is full the newest
 * record grows instead (its time becomes the later one, which only makes RACK slower to call it lost).
 * One instance per engine; methods take the {@link Tcb}. Not thread-safe.
 */
final class SentSegments {
    static final int RECORD_BYTES = 48;
    static final int SACKED = 1;
    static final int LOST = 2;
    /** Sent more than once (RFC 8985 §6.2 step 2 and RFC 6298 §3, Karn: its RTT sample is ambiguous). */
    static final int RETRANSMITTED = 4;
    static final int FIN = 8;
    /** Sent while the application, not the network, limited the sender (rate samples then underestimate). */
    static final int APP_LIMITED = 16;

    private static final int START = 0;
    private static final int END = 4;
    private static final int FLAGS = 8;
    private static final int XMIT = 16;
    private static final int DELIVERED = 24;
    private static final int DELIVERED_NS = 32;
    private static final int FIRST_TX_NS = 40;

    private final UnsafeBuffer buf;

    SentSegments(final UnsafeBuffer slab) {
        this.buf = slab;
    }

    /** Records per connection for a send buffer of {@code sendBytes}: at least one per 512 bytes, at least 64. */
    static int capacityFor(final int sendBytes) {
        return Math.max(64, sendBytes / 512 + 8);
    }

    /** Moves a connection's records to {@code newBase} (capacity {@code newCap}), oldest first. */
    void moveTo(final Tcb t, final int newBase, final int newCap) {
        for (int i = 0; i < t.segCount; i++) {
            buf.putBytes(newBase + i * RECORD_BYTES, buf, at(t, i), RECORD_BYTES);
        }
        t.segBase = newBase;
        t.segCap = newCap;
        t.segHead = 0;
    }

    /** Address of the i-th record from the head. */
    int at(final Tcb t, final int i) {
        int idx = t.segHead + i;
        if (idx >= t.segCap) {
            idx -= t.segCap;
        }
        return t.segBase + idx * RECORD_BYTES;
    }

    /**
     * Index (from the head) of the first record whose end lies after {@code seq}, or {@code segCount}: records are
     * in sequence order and do not overlap, so a binary search finds it.
     */
    int firstEndingAfter(final Tcb t, final int seq) {
        int lo = 0;
        int hi = t.segCount;
        while (lo < hi) {
            final int mid = (lo + hi) >>> 1;
            if (Seq.gt(end(at(t, mid)), seq)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    int start(final int a) {
        return buf.getInt(a + START);
    }

    int end(final int a) {
        return buf.getInt(a + END);
    }

    int flags(final int a) {
        return buf.getInt(a + FLAGS);
    }

    long xmitNs(final int a) {
        return buf.getLong(a + XMIT);
    }

    long delivered(final int a) {
        return buf.getLong(a + DELIVERED);
    }

    long deliveredNs(final int a) {
        return buf.getLong(a + DELIVERED_NS);
    }

    long firstTxNs(final int a) {
        return buf.getLong(a + FIRST_TX_NS);
    }

    /** Delivery-rate state at (re)transmission (draft-cheng-iccrg-delivery-rate-estimation §3.2). */
    private void stampRate(final Tcb t, final int a, final long nowNs) {
        if (t.sndMax == t.sndUna || t.firstTxNs == 0) {
            // Nothing in flight: the send and ACK intervals start now.
            t.firstTxNs = nowNs;
            t.deliveredTimeNs = nowNs;
        }
        buf.putLong(a + DELIVERED, t.deliveredBytes);
        buf.putLong(a + DELIVERED_NS, t.deliveredTimeNs);
        buf.putLong(a + FIRST_TX_NS, t.firstTxNs);
        final int f = buf.getInt(a + FLAGS);
        buf.putInt(a + FLAGS, t.appLimitedUntil != 0 ? f | APP_LIMITED : f & ~APP_LIMITED);
    }

    void setFlags(final int a, final int f) {
        buf.putInt(a + FLAGS, f);
    }

    void setStart(final int a, final int s) {
        buf.putInt(a + START, s);
    }

    /** A segment of new data (and perhaps the FIN) went out: {@code [start, end)} at {@code nowNs}. */
    void append(final Tcb t, final int start, final int end, final boolean fin, final long nowNs) {
        if (t.segCount > 0) {
            final int last = at(t, t.segCount - 1);
            if (t.segCount == t.segCap || Seq.lt(start, end(last))) {
                // Full: the newest record grows. (A start below the last end cannot happen; merge defensively.)
                final int f = flags(last);
                uncount(t, f, end(last) - start(last));
                buf.putInt(last + END, Seq.max(end, end(last)));
                buf.putInt(last + FLAGS, (f & ~(SACKED | LOST)) | (fin ? FIN : 0));
                buf.putLong(last + XMIT, nowNs);
                stampRate(t, last, nowNs);
                return;
            }
        }
        final int a = at(t, t.segCount);
        buf.putInt(a + START, start);
        buf.putInt(a + END, end);
        buf.putInt(a + FLAGS, fin ? FIN : 0);
        buf.putLong(a + XMIT, nowNs);
        stampRate(t, a, nowNs);
        t.segCount++;
    }

    /** A record was sent again at {@code nowNs}: no longer lost, now retransmitted (RFC 8985 §6.1). */
    void retransmitted(final Tcb t, final int a, final long nowNs) {
        final int f = flags(a);
        if ((f & LOST) != 0) {
            t.lostBytes -= end(a) - start(a);
        }
        buf.putInt(a + FLAGS, (f & ~LOST) | RETRANSMITTED);
        buf.putLong(a + XMIT, nowNs);
        stampRate(t, a, nowNs);
        if (Seq.gt(end(a), t.rtxHighEnd)) {
            t.rtxHighEnd = end(a);
        }
    }

    /** Marks a record lost (counted in {@link Tcb#lostBytes}); a SACKed or already lost record is left alone. */
    boolean markLost(final Tcb t, final int a) {
        final int f = flags(a);
        if ((f & (SACKED | LOST)) != 0) {
            return false;
        }
        buf.putInt(a + FLAGS, f | LOST);
        t.lostBytes += end(a) - start(a);
        return true;
    }

    /** Marks a record SACKed (counted in {@link Tcb#sackedBytes}); a lost mark goes. */
    void markSacked(final Tcb t, final int a) {
        final int f = flags(a);
        if ((f & LOST) != 0) {
            t.lostBytes -= end(a) - start(a);
        }
        if ((f & SACKED) == 0) {
            t.sackedBytes += end(a) - start(a);
        }
        buf.putInt(a + FLAGS, (f & ~LOST) | SACKED);
    }

    /** Drops records wholly below {@code ack}; a record straddling it is trimmed. */
    void ackTo(final Tcb t, final int ack) {
        while (t.segCount > 0) {
            final int a = at(t, 0);
            final int e = end(a);
            if (Seq.le(e, ack)) {
                uncount(t, flags(a), e - start(a));
                t.segHead = t.segHead + 1 == t.segCap ? 0 : t.segHead + 1;
                t.segCount--;
            } else {
                final int s = start(a);
                if (Seq.lt(s, ack)) {
                    uncount(t, flags(a), ack - s);
                    buf.putInt(a + START, ack);
                }
                break;
            }
        }
        if (t.segCount == 0) {
            t.segHead = 0;
            t.lostBytes = 0;
            t.sackedBytes = 0;
            t.rtxHighEnd = ack;
        }
    }

    /** {@code bytes} of a record with flags {@code f} leave the lost and SACKed counts its marks put them in. */
    private static void uncount(final Tcb t, final int f, final int bytes) {
        if ((f & LOST) != 0) {
            t.lostBytes -= bytes;
        }
        if ((f & SACKED) != 0) {
            t.sackedBytes -= bytes;
        }
    }

    /** Clears every SACKED mark (RFC 2018 §8: the receiver may renege) and every lost mark. */
    void clearMarks(final Tcb t) {
        for (int i = 0; i < t.segCount; i++) {
            final int a = at(t, i);
            buf.putInt(a + FLAGS, flags(a) & ~(SACKED | LOST));
        }
        t.lostBytes = 0;
        t.sackedBytes = 0;
    }

    /** Clears the lost marks only (a spurious timeout was undone). */
    void clearLost(final Tcb t) {
        for (int i = 0; i < t.segCount; i++) {
            final int a = at(t, i);
            buf.putInt(a + FLAGS, flags(a) & ~LOST);
        }
        t.lostBytes = 0;
    }

    void reset(final Tcb t) {
        t.segHead = 0;
        t.segCount = 0;
        t.lostBytes = 0;
        t.sackedBytes = 0;
    }
}
