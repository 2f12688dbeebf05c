package io.strait.tcp;

import io.strait.tcp.wire.Checksum;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

import static io.strait.tcp.TcpState.SYN_SENT;
import static io.strait.tcp.wire.TcpHeader.*;

/**
 * The one place that writes TCP headers and options: a connection's data, ACK, FIN and SYN segments, bare RSTs
 * without a connection, and the SYN-cookie SYN-ACK. Options follow Linux's layout (NOP padding to 4 bytes).
 * Receiver-side SWS avoidance (RFC 9293 §3.8.6.2.2) picks the advertised window here.
 */
final class SegmentWriter {
    /** RFC 7323 §3: the timestamp option with its two NOPs. */
    static final int OPT_TS_BYTES = 12;

    private final TcpConfig cfg;
    private final TcpCounters c;
    private final UnsafeBuffer slab;
    private final int rcvCap;

    /** The port completes TCP checksums (TX offload): segments carry the pseudo-header sum instead. */
    private boolean txChecksumOffload;

    SegmentWriter(final TcpConfig cfg, final TcpCounters c, final UnsafeBuffer slab) {
        this.cfg = cfg;
        this.c = c;
        this.slab = slab;
        this.rcvCap = cfg.receiveBufferBytes;
    }

    /** SACK blocks the next ACK carries (RFC 2018 §3: at most 3 beside timestamps, else 4; a D-SACK counts). */
    static int sackBlocks(final Tcb t) {
        if (!t.sackOn) {
            return 0;
        }
        final int n = t.ooo.count() + (t.dsackPending ? 1 : 0);
        return Math.min(n, t.tsOn ? 3 : 4);
    }

    /** Option bytes every non-SYN segment of this connection carries right now. */
    static int optionBytes(final Tcb t) {
        final int blocks = sackBlocks(t);
        return (t.tsOn ? OPT_TS_BYTES : 0) + (blocks > 0 ? 4 + 8 * blocks : 0);
    }

    /**
     * Builds and sends one segment of a connection: {@code len} bytes of the send ring from {@code seq}. Pure
     * ACKs carry SEG.SEQ = SND.MAX (RFC 9293 §3.10.7.4: they must not look old to the peer).
     *
     * @return false when the sink had no room (counted)
     */
    boolean emit(final Tcb t, final SegmentSink out, final int seq, final int len, final int flags, final long nowNs) {
        final boolean syn = (flags & SYN) != 0;
        final boolean active = t.state == SYN_SENT;
        int optLen;
        int blocks = 0;
        if (syn) {
            optLen = 4;
            if (active ? cfg.windowScale : t.wsOn) {
                optLen += 4;
            }
            if (active ? cfg.sack : t.sackOn) {
                optLen += 4;
            }
            if (active ? cfg.timestamps : t.tsOn) {
                optLen += OPT_TS_BYTES;
            }
        } else {
            optLen = t.tsOn ? OPT_TS_BYTES : 0;
            if ((flags & ACK) != 0) {
                blocks = sackBlocks(t);
                if (blocks > 0) {
                    optLen += 4 + 8 * blocks;
                }
            }
        }
        final int hl = MIN_LENGTH + optLen;
        final int total = hl + len;
        final int o = out.claim(t.localIp, t.remoteIp, total);
        if (o < 0) {
            c.dropNoSinkRoom.incrementRelease();
            return false;
        }
        final MutableDirectBuffer b = out.buffer();
        final int window = syn ? Math.min(t.rcvBufBytes, 65535) : advertiseWindow(t);
        writeHeader(b, o, t.localPort, t.remotePort, seq, (flags & ACK) != 0 ? t.rcvNxt : 0, flags, window, hl);
        int p = o + MIN_LENGTH;
        if (syn) {
            p = putMss(b, p, cfg.mss);
            if (active ? cfg.windowScale : t.wsOn) {
                p = putWscale(b, p, cfg.windowScaleShift);
            }
            if (active ? cfg.sack : t.sackOn) {
                p = putSackPermitted(b, p);
            }
            if (active ? cfg.timestamps : t.tsOn) {
                p = putTimestamps(b, p, Timestamps.now(t, nowNs), active ? 0 : t.tsRecent);
            }
            if (!active) {
                t.rcvAdvEdge = t.rcvNxt + window;
            }
        } else {
            if (t.tsOn) {
                p = putTimestamps(b, p, Timestamps.now(t, nowNs), t.tsRecent);
            }
            if (blocks > 0) {
                p = putSackBlocks(t, b, p, blocks);
            }
        }
        if (len > 0) {
            Ring.get(slab, t.sndBase, t.sndCap, Ring.wrap(t.sndHead, seq - t.sndBufSeq, t.sndCap), b, o + hl, len);
        }
        b.putShort(o + CHECKSUM_OFFSET, (short) checksum(t.localIp, t.remoteIp, b, o, total),
            ByteOrder.BIG_ENDIAN);
        out.commit();
        c.segmentsOut.incrementRelease();
        if (len > 0) {
            c.bytesOut.getAndAddRelease(len);
        }
        if ((flags & RST) != 0) { // a connection's own reset (keep-alive giving up)
            c.rstsOut.incrementRelease();
        }
        if ((flags & ACK) != 0) {
            t.ackNow = false;
            t.unackedBytes = 0;
            t.delAckDeadlineNs = Long.MAX_VALUE;
            t.lastAckSent = t.rcvNxt;
        }
        return true;
    }

    /**
     * RFC 2883 §4: a pending D-SACK block goes first; then RFC 2018 §4: the block holding the most recently
     * received segment, then the others.
     */
    private int putSackBlocks(final Tcb t, final MutableDirectBuffer b, final int p0, final int blocks) {
        int p = p0;
        b.putByte(p, (byte) OPT_NOP);
        b.putByte(p + 1, (byte) OPT_NOP);
        b.putByte(p + 2, (byte) OPT_SACK);
        b.putByte(p + 3, (byte) (2 + 8 * blocks));
        p += 4;
        int written = 0;
        if (t.dsackPending) {
            p = putSackBlock(b, p, t.dsackL, t.dsackR);
            written++;
            t.dsackPending = false;
            c.dsacksOut.incrementRelease();
        }
        // RFC 2018 §4: "the SACK option SHOULD be filled out by repeating the most recently reported SACK blocks":
        // ranges in order of their last change, newest first, so a range whose one report was lost is repeated.
        final RangeSet ooo = t.ooo;
        long below = Long.MAX_VALUE;
        while (written < blocks) {
            int pick = -1;
            long best = Long.MIN_VALUE;
            for (int k = 0; k < ooo.count(); k++) {
                final long st = ooo.stamp(k);
                if (st < below && st > best) {
                    best = st;
                    pick = k;
                }
            }
            if (pick < 0) {
                break;
            }
            p = putSackBlock(b, p, ooo.left(pick), ooo.right(pick));
            written++;
            below = best;
        }
        return p;
    }

    /** The window field to send (RFC 7323 §2.3 scaled), with receiver SWS avoidance (RFC 9293 §3.8.6.2.2). */
    int advertiseWindow(final Tcb t) {
        final int rcvCap = t.rcvBufBytes; // the ring, or the app's smaller cap (SO_RCVBUF)
        final int free = rcvCap - t.rcvLen;
        int cur = t.rcvAdvEdge - t.rcvNxt;
        if (cur < 0) {
            cur = 0;
        }
        int wnd = free;
        if (free - cur < Math.min(rcvCap / 2, cfg.mss)) {
            wnd = cur; // do not open the window by less than min(buffer/2, MSS)
        }
        int scaled = wnd >> t.rcvWscale;
        if (scaled > 65535) {
            scaled = 65535;
        }
        final int edge = t.rcvNxt + (scaled << t.rcvWscale);
        if (Seq.gt(edge, t.rcvAdvEdge)) {
            t.rcvAdvEdge = edge;
        }
        t.rcvWnd = scaled << t.rcvWscale;
        return scaled;
    }

    /** A segment without a TCB (RST replies). */
    void sendRaw(final SegmentSink out, final int localIp, final int remoteIp, final int localPort,
        final int remotePort, final int seq, final int ack, final int flags, final int window) {
        final int o = out.claim(localIp, remoteIp, MIN_LENGTH);
        if (o < 0) {
            c.dropNoSinkRoom.incrementRelease();
            return;
        }
        final MutableDirectBuffer b = out.buffer();
        writeHeader(b, o, localPort, remotePort, seq, ack, flags, window, MIN_LENGTH);
        b.putShort(o + CHECKSUM_OFFSET, (short) checksum(localIp, remoteIp, b, o, MIN_LENGTH),
            ByteOrder.BIG_ENDIAN);
        out.commit();
        c.segmentsOut.incrementRelease();
        if ((flags & RST) != 0) {
            c.rstsOut.incrementRelease();
        }
    }

    /**
     * The SYN-cookie SYN-ACK (RFC 4987 §3.6): MSS, and with timestamps the window scale and SACK-permitted options;
     * {@code tsVal} already carries the encoded option bits.
     */
    boolean sendCookieSynAck(final SegmentSink out, final int localIp, final int remoteIp, final int localPort,
        final int remotePort, final int iss, final int ack, final boolean ts, final boolean ws, final boolean sack,
        final int tsVal, final int tsEcr) {
        final int optLen = 4 + (ts && ws ? 4 : 0) + (ts && sack ? 4 : 0) + (ts ? OPT_TS_BYTES : 0);
        final int hl = MIN_LENGTH + optLen;
        final int o = out.claim(localIp, remoteIp, hl);
        if (o < 0) {
            c.dropNoSinkRoom.incrementRelease();
            return false;
        }
        final MutableDirectBuffer b = out.buffer();
        writeHeader(b, o, localPort, remotePort, iss, ack, SYN | ACK, Math.min(rcvCap, 65535), hl);
        int p = putMss(b, o + MIN_LENGTH, cfg.mss);
        if (ts) {
            if (ws) {
                p = putWscale(b, p, cfg.windowScaleShift);
            }
            if (sack) {
                p = putSackPermitted(b, p);
            }
            putTimestamps(b, p, tsVal, tsEcr);
        }
        b.putShort(o + CHECKSUM_OFFSET, (short) checksum(localIp, remoteIp, b, o, hl), ByteOrder.BIG_ENDIAN);
        out.commit();
        c.segmentsOut.incrementRelease();
        return true;
    }

    static void writeHeader(final MutableDirectBuffer b, final int o, final int srcPort, final int dstPort,
        final int seq, final int ack, final int flags, final int window, final int hl) {
        b.putShort(o + SRC_PORT_OFFSET, (short) srcPort, ByteOrder.BIG_ENDIAN);
        b.putShort(o + DST_PORT_OFFSET, (short) dstPort, ByteOrder.BIG_ENDIAN);
        b.putInt(o + SEQ_OFFSET, seq, ByteOrder.BIG_ENDIAN);
        b.putInt(o + ACK_OFFSET, ack, ByteOrder.BIG_ENDIAN);
        b.putByte(o + DATA_OFFSET_OFFSET, (byte) ((hl / 4) << 4));
        b.putByte(o + FLAGS_OFFSET, (byte) flags);
        b.putShort(o + WINDOW_OFFSET, (short) window, ByteOrder.BIG_ENDIAN);
        b.putShort(o + CHECKSUM_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
        b.putShort(o + URGENT_OFFSET, (short) 0, ByteOrder.BIG_ENDIAN);
    }

    private static int putMss(final MutableDirectBuffer b, final int p, final int mss) {
        b.putByte(p, (byte) OPT_MSS);
        b.putByte(p + 1, (byte) OPT_MSS_LENGTH);
        b.putShort(p + 2, (short) mss, ByteOrder.BIG_ENDIAN);
        return p + 4;
    }

    private static int putWscale(final MutableDirectBuffer b, final int p, final int shift) {
        b.putByte(p, (byte) OPT_NOP);
        b.putByte(p + 1, (byte) OPT_WSCALE);
        b.putByte(p + 2, (byte) OPT_WSCALE_LENGTH);
        b.putByte(p + 3, (byte) shift);
        return p + 4;
    }

    private static int putSackPermitted(final MutableDirectBuffer b, final int p) {
        b.putByte(p, (byte) OPT_NOP);
        b.putByte(p + 1, (byte) OPT_NOP);
        b.putByte(p + 2, (byte) OPT_SACK_PERMITTED);
        b.putByte(p + 3, (byte) OPT_SACK_PERMITTED_LENGTH);
        return p + 4;
    }

    private static int putTimestamps(final MutableDirectBuffer b, final int p, final int tsVal, final int tsEcr) {
        b.putByte(p, (byte) OPT_NOP);
        b.putByte(p + 1, (byte) OPT_NOP);
        b.putByte(p + 2, (byte) OPT_TIMESTAMPS);
        b.putByte(p + 3, (byte) OPT_TIMESTAMPS_LENGTH);
        b.putInt(p + 4, tsVal, ByteOrder.BIG_ENDIAN);
        b.putInt(p + 8, tsEcr, ByteOrder.BIG_ENDIAN);
        return p + 12;
    }

    private static int putSackBlock(final MutableDirectBuffer b, final int p, final int l, final int r) {
        b.putInt(p, l, ByteOrder.BIG_ENDIAN);
        b.putInt(p + 4, r, ByteOrder.BIG_ENDIAN);
        return p + 8;
    }

    void txChecksumOffload(final boolean on) {
        txChecksumOffload = on;
    }

    /** The checksum field of a segment whose field is still zero: complete, or left for the port to complete. */
    private int checksum(final int localIp, final int remoteIp, final MutableDirectBuffer b, final int o,
        final int length) {
        return txChecksumOffload ? Checksum.tcpPseudoHeaderPartial(localIp, remoteIp, length)
            : Checksum.tcp(localIp, remoteIp, b, o, length);
    }
}
