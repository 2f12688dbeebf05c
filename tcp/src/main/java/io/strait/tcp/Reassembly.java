package io.strait.tcp;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import static io.strait.tcp.wire.TcpHeader.ACK;

/**
 * The receive side (RFC 9293 §3.10.7.4 seventh): in-order data goes zero-copy to the app, what it leaves and
 * out-of-order data wait in the connection's receive ring, the out-of-order ranges in a {@link RangeSet}; RCV.NXT
 * moves over ranges that become contiguous. Duplicates are reported with D-SACK (RFC 2883). Also the ACK policy
 * (RFC 5681 §4.2, RFC 9293 §3.8.6.3) and receiver window updates (§3.8.6.2.2).
 */
final class Reassembly {
    private final TcpConfig cfg;
    private final TcpCounters c;
    private final UnsafeBuffer slab;
    private TcbPool pool;
    private final SegmentWriter writer;
    private final WorkQueue work;
    private Lifecycle lifecycle;

    Reassembly(final TcpConfig cfg, final TcpCounters c, final UnsafeBuffer slab, final SegmentWriter writer,
        final WorkQueue work) {
        this.cfg = cfg;
        this.c = c;
        this.slab = slab;
        this.writer = writer;
        this.work = work;
    }

    void lifecycle(final Lifecycle l, final TcbPool p) {
        this.lifecycle = l;
        this.pool = p;
    }

    /**
     * In-window payload at {@code dataSeq} (already trimmed to the window). {@code out} is null on the fast path
     * (an out-of-order segment never takes it).
     */
    void receive(final Tcb t, final DirectBuffer buf, final int off, final int len, final int dataSeq,
        final long nowNs, final SegmentSink out) {
        if (t.orphan || !t.appAttached) {
            // Deviation, as Linux would RST: after close() the data is acknowledged and discarded.
            c.dropAfterClose.incrementRelease();
            if (dataSeq == t.rcvNxt) {
                t.rcvNxt += len;
            }
            t.ackNow = true;
            return;
        }
        if (t.rcvLarge < 0) {
            // Buffer autotuning (as Linux's tcp_rcv_space_adjust): the ring grows so the window is not what limits
            // the peer, once it holds more than half the ring (the app lags, or a hole waits for a retransmission),
            // or once more than half the window arrives within one RTT although the app reads it at once.
            final int extent = t.ooo.isEmpty() ? 0 : t.ooo.highest() - t.rcvNxt;
            if (t.rcvLen + Math.max(extent, dataSeq + len - t.rcvNxt) > t.rcvCap / 2
                || windowFilledInRtt(t, dataSeq, dataSeq + len, nowNs)) {
                pool.growReceive(t);
            }
        }
        if (dataSeq == t.rcvNxt) {
            t.unackedBytes += len;
            if (t.rcvLen == 0 && t.ooo.isEmpty()) {
                // Zero-copy: offer the packet's payload, keep only what the app did not consume.
                final long h = t.handle();
                final int n = deliver(t, h, buf, off, len);
                if (!TcbPool.alive(t, h)) {
                    return;
                }
                t.rcvNxt += len;
                if (n < len) {
                    ringWrite(t, 0, buf, off + n, len - n);
                    t.rcvLen = len - n;
                }
            } else {
                ringWrite(t, 0, buf, off, len);
                t.rcvNxt += len;
                t.rcvLen += len;
                if (!t.ooo.isEmpty()) {
                    final int next = t.ooo.advance(t.rcvNxt);
                    t.rcvLen += next - t.rcvNxt;
                    t.rcvNxt = next;
                    t.ackNow = true; // RFC 5681 §4.2: ACK at once when a segment fills (part of) a hole
                }
                if (!deliverFromRing(t)) {
                    return;
                }
            }
            // RFC 5681 §4.2 / RFC 9293 §3.8.6.3: ACK at least every second full-sized segment.
            final int full = cfg.mss - (t.tsOn ? SegmentWriter.OPT_TS_BYTES : 0);
            if (cfg.ackEverySecondSegment && t.unackedBytes >= 2 * full) {
                t.ackNow = true;
            } else if (t.delAckDeadlineNs == Long.MAX_VALUE) {
                t.delAckDeadlineNs = nowNs + cfg.delayedAckNs;
            }
            if (t.rcvFinPending && t.rcvFinSeq == t.rcvNxt && !t.peerFin) {
                lifecycle.processFin(t, nowNs);
            }
            return;
        }
        // Out of order (RFC 9293 §3.10.7.4 seventh: "segments ... placed on the queue"; ranges are merged,
        // overlapping bytes are written once more).
        if (t.ooo.covers(dataSeq, dataSeq + len)) {
            dsack(t, dataSeq, dataSeq + len); // RFC 2883 §4: a duplicate of data already queued
        } else if (!t.ooo.add(dataSeq, dataSeq + len, false)) {
            c.dropOooOverflow.incrementRelease();
        } else {
            ringWrite(t, dataSeq - t.rcvNxt, buf, off, len);
        }
        // RFC 5681 §4.2: an out-of-order segment triggers an immediate duplicate ACK (with SACK, RFC 2018 §4).
        if (out != null) {
            writer.emit(t, out, t.sndMax, 0, ACK, nowNs);
        } else {
            t.ackNow = true;
        }
    }

    /**
     * The peer's flight, not the app, is what the window limits: more than half the window arrived within one
     * smoothed RTT (Linux measures the bytes copied per RTT; here the app copies at once). A measurement starts at
     * the first segment after the previous one's RTT ended. False without an RTT sample, or without window scaling
     * (the window cannot pass 64 KB, and the ring already offers that).
     */
    static boolean windowFilledInRtt(final Tcb t, final int dataSeq, final int end, final long nowNs) {
        final long rtt = t.srttNs;
        if (t.rcvWscale == 0 || rtt <= 0) {
            return false;
        }
        if (!t.rcvSpaceOpen || nowNs - t.rcvSpaceEndNs >= 0) {
            t.rcvSpaceOpen = true;
            t.rcvSpaceSeq = dataSeq;
            t.rcvSpaceEndNs = nowNs + rtt;
        }
        return end - t.rcvSpaceSeq > t.rcvBufBytes / 2;
    }

    /** RFC 2883 §4: the next ACK's first SACK block reports the duplicate {@code [l, r)}. */
    static void dsack(final Tcb t, final int l, final int r) {
        if (t.sackOn && Seq.lt(l, r)) {
            t.dsackPending = true;
            t.dsackL = l;
            t.dsackR = r;
        }
    }

    private int deliver(final Tcb t, final long h, final DirectBuffer buf, final int off, final int len) {
        t.delivered = true;
        int n;
        try {
            n = t.handler.onData(h, buf, off, len);
        } catch (final Throwable e) {
            pool.handlerFailed(t, h, e); // aborted: the caller sees the handle dead
            return 0;
        }
        if (n < 0) {
            n = 0;
        } else if (n > len) {
            n = len;
        }
        return n;
    }

    /** Offers ring data to the app. @return false if the TCB died during a callback */
    boolean deliverFromRing(final Tcb t) {
        final long h = t.handle();
        if (t.orphan || !t.appAttached) {
            t.rcvLen = 0;
        }
        while (t.rcvLen > 0) {
            final int contiguous = Math.min(t.rcvLen, t.rcvCap - t.rcvHead);
            final int n = deliver(t, h, slab, t.rcvBase + t.rcvHead, contiguous);
            if (!TcbPool.alive(t, h)) {
                return false;
            }
            t.rcvHead += n;
            if (t.rcvHead == t.rcvCap) {
                t.rcvHead = 0;
            }
            t.rcvLen -= n;
            if (n < contiguous) {
                break;
            }
        }
        if (t.rcvLen == 0 && t.ooo.isEmpty()) {
            t.rcvHead = 0;
        }
        lifecycle.notifyPeerFin(t);
        lifecycle.detachInTimeWait(t);
        return TcbPool.alive(t, h);
    }

    /** RFC 9293 §3.8.6.2.2: send a window update once the window can open by min(buffer/2, MSS). */
    void maybeWindowUpdate(final Tcb t) {
        int cur = t.rcvAdvEdge - t.rcvNxt;
        if (cur < 0) {
            cur = 0;
        }
        if ((t.rcvBufBytes - t.rcvLen) - cur >= Math.min(t.rcvBufBytes / 2, cfg.mss)) {
            t.ackNow = true;
            work.add(t);
        }
    }

    private void ringWrite(final Tcb t, final int rel, final DirectBuffer src, final int off, final int len) {
        final int pos = (int) (((long) t.rcvHead + t.rcvLen + rel) % t.rcvCap);
        Ring.put(slab, t.rcvBase, t.rcvCap, pos, src, off, len);
    }
}
