package io.strait.tcp;

import io.strait.tcp.wire.Checksum;
import io.strait.tcp.wire.TcpSegment;
import org.agrona.DeadlineTimerWheel;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

import static io.strait.tcp.TcpState.*;
import static io.strait.tcp.wire.TcpHeader.*;

/**
 * A per-core, shared-nothing TCP engine: the RFC 9293 state machine over a pooled TCB table, fed one segment at a
 * time and polled for timers and output. It owns no clock, no random source and no I/O: time is {@code nowNs},
 * randomness comes from an {@link EntropySource}, segments leave through a {@link SegmentSink}.
 *
 * <h2>Reading list</h2>
 * <ul>
 *   <li>RFC 9293 — TCP (states §3.3.2, sequence space §3.4, SEGMENT ARRIVES §3.10.7, SWS §3.8.6.2)</li>
 *   <li>RFC 5961 — blind in-window attacks: RST/SYN challenge ACKs, ACK acceptability, rate limit</li>
 *   <li>RFC 6298 — retransmission timer (SRTT, RTTVAR, Karn, backoff)</li>
 *   <li>RFC 5681 — congestion control, fast retransmit, delayed ACK rules</li>
 *   <li>RFC 6582 — NewReno fast recovery (partial ACKs, recover)</li>
 *   <li>RFC 7323 — window scale, timestamps, PAWS</li>
 *   <li>RFC 2018 — SACK option; RFC 6675 — SACK-based loss recovery (pipe, NextSeg)</li>
 *   <li>RFC 4987 — SYN flooding and SYN cookies</li>
 *   <li>RFC 6528 — initial sequence numbers; RFC 6056 — ephemeral port selection</li>
 *   <li>RFC 9438 — CUBIC; RFC 6928 — initial window 10; RFC 6191 — TIME_WAIT reuse with timestamps</li>
 *   <li>RFC 1122 §4.2.3.6 — keepalive</li>
 * </ul>
 *
 * <h2>Threading</h2>
 * Every method is called on the engine's own thread (one engine per core). Handler callbacks run on that thread
 * from inside {@link #onSegment} and {@link #poll}; they may call back into the engine.
 *
 * <h2>Output</h2>
 * Replies that have no connection (RST to a closed port, SYN cookies) and the immediate duplicate / challenge
 * ACKs go out from {@link #onSegment}. Everything else (data, ACKs, FIN, SYN, RST of abort) is queued on the TCB
 * and sent by the next {@link #poll}, so writes made in onData go out once per burst.
 */
public final class TcpEngine {
    /** RFC 7323 §5.4: the timestamp clock ticks every 1 ms here (allowed range 1 ms to 1 s). */
    static final long TS_TICK_NS = 1_000_000L;
    /** RFC 7323 §5.5: PAWS does not apply to a connection idle for more than 24 days. */
    static final long PAWS_IDLE_NS = 24L * 24 * 3600 * 1_000_000_000L;
    /** RFC 6528 §3: M is a timer that ticks every 4 microseconds. */
    static final long ISN_TICK_NS = 4_000L;
    /** RFC 6298 §2.2: K = 4; clock granularity G is the timer tick. */
    static final int RTO_K = 4;
    /** RFC 5681 §3.2: fast retransmit on the third duplicate ACK (DupThresh, RFC 6675 §2). */
    static final int DUP_THRESH = 3;
    /** RFC 8985 §7.2: WCDelAckT, the worst-case delayed-ACK time a single-segment flight may wait for: 200 ms. */
    static final long TLP_WC_DEL_ACK_NS = 200_000_000L;
    /** RFC 8985 §6.2: reo_wnd is min_RTT / 4; here SRTT / 4, and at least this, for microsecond RTTs. */
    static final long REO_WND_MIN_NS = 1_000_000L;
    /** RFC 5961 §10: the challenge ACK budget is counted per second of nowNs. */
    static final long CHALLENGE_WINDOW_NS = 1_000_000_000L;
    /** SYN cookie MSS table (3-bit index in the ISN), as Linux's msstab plus common tunnel sizes. */
    static final int[] COOKIE_MSS = {536, 1220, 1300, 1360, 1400, 1440, 1452, 1460};
    static final int COOKIE_WS_NONE = 0xF;
    static final int PENDING_RST_CAPACITY = 256;
    static final int OPT_TS_BYTES = 12;

    private final TcpConfig cfg;
    private final TcpCounters c;
    private final EntropySource entropy;
    private final CongestionControl cc;
    private final Tcb[] tcbs;
    private final int[] freeSlots;
    /** TIME_WAIT TCBs, oldest first (slot, generation): reaped when the pool runs dry. */
    private final int[] timeWaitSlots;
    private final int[] timeWaitGenerations;
    private int timeWaitHead;
    private int timeWaitCount;
    private int freeSlotCount;
    private final ConnectionTable table;
    private final TcpHandler[] listeners = new TcpHandler[65536];
    private final int[] backlog = new int[65536];
    private final BufferSlab slab;
    private final UnsafeBuffer slabBuf;
    private final int sndCap;
    private final int rcvCap;
    private final DeadlineTimerWheel wheel;
    private boolean wheelStarted;
    private final Long2LongHashMap timerSlots;
    private final DeadlineTimerWheel.TimerHandler timerHandler = this::onTimerExpiry;
    private final DeadlineTimerWheel.TimerConsumer deadlineScanner = this::scanDeadline;
    private long scannedMinNs;
    private long cachedNextDeadlineNs = Long.MAX_VALUE;
    private boolean deadlineCacheValid;
    private final int[] fired;
    private int firedCount;
    private final int[] dirtyQ;
    private int dirtyHead;
    private int dirtyCount;
    private final TcpSegment seg = new TcpSegment();
    private FlowFilter flowFilter;

    // Secrets (RFC 6528 §3, RFC 6056 §3.3.3, RFC 4987 §3.6), drawn from the entropy source.
    private final long isnK0;
    private final long isnK1;
    private final long portK0;
    private final long portK1;
    private final long tsK0;
    private final long tsK1;
    private final long[] cookieK0 = new long[2];
    private final long[] cookieK1 = new long[2];
    private int cookieGen;
    private long cookieRotateAtNs = Long.MIN_VALUE;
    private long cookiesActiveUntilNs = Long.MIN_VALUE;
    private long nextEphemeral;

    private long challengeWindowStartNs = Long.MIN_VALUE;
    private int challengeAcksInWindow;

    // RSTs queued by abort(), sent by the next poll.
    private final int[] rstLocalIp = new int[PENDING_RST_CAPACITY];
    private final int[] rstRemoteIp = new int[PENDING_RST_CAPACITY];
    private final int[] rstPorts = new int[PENDING_RST_CAPACITY];
    private final int[] rstSeq = new int[PENDING_RST_CAPACITY];
    private final int[] rstAck = new int[PENDING_RST_CAPACITY];
    private final int[] rstFlags = new int[PENDING_RST_CAPACITY];
    private int rstCount;

    /**
     * @param config        tunables
     * @param entropy       the only random source (secrets); read at construction and at cookie rotation
     * @param counters      where the named counters are allocated
     * @param counterPrefix label prefix, e.g. {@code "core0.tcp."}
     */
    public TcpEngine(final TcpConfig config, final EntropySource entropy, final CountersManager counters,
        final String counterPrefix) {
        this.cfg = config;
        this.entropy = entropy;
        this.c = new TcpCounters(counters, counterPrefix);
        this.cc = config.congestionControl == TcpConfig.CC_CUBIC ? new Cubic() : new NewReno();
        final int n = config.maxConnections;
        tcbs = new Tcb[n];
        freeSlots = new int[n];
        timeWaitSlots = new int[n];
        timeWaitGenerations = new int[n];
        for (int i = 0; i < n; i++) {
            tcbs[i] = new Tcb(i);
            freeSlots[i] = n - 1 - i;
        }
        freeSlotCount = n;
        table = new ConnectionTable(n);
        sndCap = config.sendBufferBytes;
        rcvCap = config.receiveBufferBytes;
        slab = new BufferSlab(n, sndCap + rcvCap);
        slabBuf = slab.buffer();
        wheel = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, 0, config.timerTickNs, 512, 16);
        timerSlots = new Long2LongHashMap(Math.max(64, n * 2), 0.65f, -1L);
        fired = new int[n];
        dirtyQ = new int[n];
        isnK0 = entropy.nextLong();
        isnK1 = entropy.nextLong();
        portK0 = entropy.nextLong();
        portK1 = entropy.nextLong();
        tsK0 = entropy.nextLong();
        tsK1 = entropy.nextLong();
        cookieK0[0] = entropy.nextLong();
        cookieK1[0] = entropy.nextLong();
        cookieK0[1] = entropy.nextLong();
        cookieK1[1] = entropy.nextLong();
        nextEphemeral = entropy.nextLong() & 0xFFFF;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Public API
    // ------------------------------------------------------------------------------------------------------------

    /** The slot of a handle (low 32 bits): a small dense int apps may use to index their own arrays. */
    public static int slot(final long handle) {
        return (int) handle;
    }

    public static int generation(final long handle) {
        return (int) (handle >>> 32);
    }

    public void setFlowFilter(final FlowFilter f) {
        this.flowFilter = f;
    }

    /** Accept connections on {@code port} of any local address. */
    public void listen(final int port, final TcpHandler handler) {
        listeners[port & 0xFFFF] = handler;
    }

    public void unlisten(final int port) {
        listeners[port & 0xFFFF] = null;
    }

    public TcpCounters counters() {
        return c;
    }

    public TcpConfig config() {
        return cfg;
    }

    /** TCBs in use (any state but CLOSED, TIME_WAIT included). */
    public int connectionCount() {
        return tcbs.length - freeSlotCount;
    }

    /** Timers on the wheel (at most one per TCB). */
    public long scheduledTimers() {
        return wheel.timerCount();
    }

    public int freeBufferChunks() {
        return slab.freeChunks();
    }

    public int bufferChunks() {
        return slab.chunks();
    }

    /** The state of the TCB a handle names, TIME_WAIT included after onClose; CLOSED for a stale handle. */
    public int state(final long handle) {
        final int s = (int) handle;
        if (s < 0 || s >= tcbs.length) {
            return CLOSED;
        }
        final Tcb t = tcbs[s];
        return t.generation == (int) (handle >>> 32) ? t.state : CLOSED;
    }

    /** The four-tuple of a live handle (local port); -1 for a stale handle. */
    public int localPort(final long handle) {
        final Tcb t = lookup(handle);
        return t == null ? -1 : t.localPort;
    }

    /** Remote port of a live handle; -1 for a stale handle. */
    public int remotePort(final long handle) {
        final Tcb t = lookup(handle);
        return t == null ? -1 : t.remotePort;
    }

    /** Remote IPv4 address (big-endian int) of a live handle; 0 for a stale handle. */
    public int remoteIp(final long handle) {
        final Tcb t = lookup(handle);
        return t == null ? 0 : t.remoteIp;
    }

    /** Local IPv4 address (big-endian int) of a live handle; 0 for a stale handle. */
    public int localIp(final long handle) {
        final Tcb t = lookup(handle);
        return t == null ? 0 : t.localIp;
    }

    /** Bytes written and not yet acknowledged, for a live handle; -1 otherwise. */
    public int sendQueueBytes(final long handle) {
        final Tcb t = lookup(handle);
        return t == null ? -1 : t.sndLen;
    }

    /** Bytes received in order and not yet consumed by the app; -1 for a dead handle. */
    public int receiveQueueBytes(final long handle) {
        final Tcb t = lookup(handle);
        return t == null ? -1 : t.rcvLen;
    }

    /** Current congestion window in bytes (tests and stats). */
    public int congestionWindow(final long handle) {
        final Tcb t = lookup(handle);
        return t == null ? -1 : t.cwnd;
    }

    /** Current retransmission timeout in ns (tests and stats). */
    public long rtoNs(final long handle) {
        final Tcb t = lookup(handle);
        return t == null ? -1 : t.rtoNs;
    }

    /**
     * Active open (RFC 9293 §3.10.1). Picks the ephemeral port (RFC 6056 algorithm 3, honouring the
     * {@link FlowFilter}); the SYN goes out on the next {@link #poll}.
     *
     * @return the handle, or -1 (counted as connect_failures) when no port or TCB slot is free
     */
    public long connect(final int localIp, final int remoteIp, final int remotePort, final TcpHandler handler,
        final long nowNs) {
        startWheel(nowNs);
        final int port = pickEphemeralPort(localIp, remoteIp, remotePort);
        if (freeSlotCount == 0) {
            reapTimeWait();
        }
        if (port < 0 || freeSlotCount == 0) {
            c.connectFailures.incrementRelease();
            return -1;
        }
        final Tcb t = allocTcb(localIp, port, remoteIp, remotePort);
        t.handler = handler;
        t.appAttached = true;
        t.passive = false;
        t.iss = isn(t, nowNs);
        t.sndUna = t.sndNxt = t.sndMax = t.iss;
        t.sndBufSeq = t.iss + 1;
        t.recover = t.iss;
        // Offer every enabled option in the SYN (RFC 7323 §2.2, §3.2; RFC 2018 §2); renegotiated on SYN-ACK.
        t.tsOn = cfg.timestamps;
        t.sackOn = cfg.sack;
        t.wsOn = cfg.windowScale;
        t.rcvWscale = t.wsOn ? cfg.windowScaleShift : 0;
        t.sndMss = cfg.mss;
        setState(t, SYN_SENT);
        t.lastRecvNs = nowNs;
        markDirty(t);
        c.activeOpens.incrementRelease();
        return t.handle();
    }

    /**
     * Copies bytes into the connection's off-heap send buffer; they are sent by the next {@link #poll}.
     *
     * @return bytes accepted (0 when full: {@link TcpHandler#onWritable} follows), or -1 for a dead handle or
     *     after shutdownOutput/close
     */
    public int write(final long handle, final DirectBuffer src, final int offset, final int length) {
        final Tcb t = lookup(handle);
        if (t == null || t.finQueued) {
            return -1;
        }
        final int st = t.state;
        if (st != SYN_SENT && st != SYN_RECEIVED && st != ESTABLISHED && st != CLOSE_WAIT) {
            return -1;
        }
        final int n = Math.min(length, sndCap - t.sndLen);
        if (n > 0) {
            int pos = t.sndHead + t.sndLen;
            if (pos >= sndCap) {
                pos -= sndCap;
            }
            final int first = Math.min(n, sndCap - pos);
            slabBuf.putBytes(t.sndBase + pos, src, offset, first);
            if (first < n) {
                slabBuf.putBytes(t.sndBase, src, offset + first, n - first);
            }
            t.sndLen += n;
            markDirty(t);
        }
        if (n < length) {
            t.wantWritable = true;
        }
        return n;
    }

    /** Half-close: a FIN follows the queued data (RFC 9293 §3.10.4 CLOSE, keeping the receive side open). */
    public void shutdownOutput(final long handle) {
        final Tcb t = lookup(handle);
        if (t == null || t.finQueued) {
            return;
        }
        queueFin(t);
    }

    /**
     * Full close (RFC 9293 §3.10.4). Unread received data makes it an abort (RST), as Linux (RFC 2525 §2.17).
     * The handle stays valid until {@link TcpHandler#onClose}.
     */
    public void close(final long handle) {
        final Tcb t = lookup(handle);
        if (t == null) {
            return;
        }
        if (t.state == SYN_SENT) {
            // RFC 9293 §3.10.4: CLOSE in SYN-SENT deletes the TCB.
            closeConn(t, CloseReason.NORMAL);
            return;
        }
        if (t.rcvLen > 0) {
            abort(handle);
            return;
        }
        t.orphan = true;
        if (!t.finQueued) {
            queueFin(t);
        }
        if (t.state == FIN_WAIT_2 && t.closeDeadlineNs == Long.MAX_VALUE) {
            t.closeDeadlineNs = t.lastRecvNs + cfg.finWait2TimeoutNs;
            armTimer(t);
        }
    }

    /** Abort (RFC 9293 §3.10.5): RST queued for the next poll, onClose(LOCAL_ABORT) now. */
    public void abort(final long handle) {
        final Tcb t = lookup(handle);
        if (t == null) {
            return;
        }
        if (t.state != SYN_SENT) {
            queueRst(t.localIp, t.remoteIp, t.localPort, t.remotePort, t.sndMax, 0, RST);
        }
        closeConn(t, CloseReason.LOCAL_ABORT);
    }

    /** Re-offers data left in the receive buffer to onData (after the app freed room on its side). */
    public void resumeRead(final long handle) {
        final Tcb t = lookup(handle);
        if (t == null || t.rcvLen == 0) {
            return;
        }
        final long h = t.handle();
        if (deliverFromRing(t) && alive(t, h)) {
            maybeWindowUpdate(t);
        }
    }

    /**
     * The earliest time {@link #poll} has work: a timer deadline, or a value at or below any nowNs (0) when
     * output is pending. {@link Long#MAX_VALUE} when idle.
     */
    public long nextDeadlineNs() {
        if (dirtyCount > 0 || rstCount > 0) {
            return 0;
        }
        final long timers = wheel.timerCount();
        if (timers == 0) {
            return Long.MAX_VALUE;
        }
        if (deadlineCacheValid) {
            return cachedNextDeadlineNs;
        }
        if (timers > 4096) {
            return wheel.currentTickTime(); // a bound, not a scan: busy engines poll every cycle anyway
        }
        // The wheel has no "earliest" query: scan once, then keep the minimum up to date on schedule; a cancelled
        // minimum only causes an early (empty) poll, after which the cache is rebuilt.
        scannedMinNs = Long.MAX_VALUE;
        wheel.forEach(deadlineScanner);
        cachedNextDeadlineNs = scannedMinNs;
        deadlineCacheValid = true;
        return scannedMinNs;
    }

    private void scanDeadline(final long deadline, final long timerId) {
        if (deadline < scannedMinNs) {
            scannedMinNs = deadline;
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Poll: timers, end-of-burst callbacks, output
    // ------------------------------------------------------------------------------------------------------------

    /**
     * Runs expired timers (at most {@code maxTimersPerPoll}), calls onReadComplete / onWritable for connections
     * touched since the last poll, and sends their pending output.
     *
     * @return work done (0 when idle), for an idle strategy
     */
    public int poll(final long nowNs, final SegmentSink out) {
        startWheel(nowNs);
        int work = 0;
        for (int i = 0; i < rstCount; i++) {
            sendRaw(out, rstLocalIp[i], rstRemoteIp[i], rstPorts[i] >>> 16, rstPorts[i] & 0xFFFF, rstSeq[i],
                rstAck[i], rstFlags[i], 0);
            work++;
        }
        rstCount = 0;

        final int limit = cfg.maxTimersPerPoll;
        int expired = 0;
        firedCount = 0;
        // DeadlineTimerWheel.poll handles one tick per call and advances after it: repeat while it advanced, so
        // the tick holding nowNs is also examined (a jump of the virtual clock crosses many ticks at once).
        long tickBefore;
        do {
            tickBefore = wheel.currentTickTime();
            expired += wheel.poll(nowNs, timerHandler, limit - expired);
        }
        while (expired < limit && wheel.currentTickTime() != tickBefore);
        if (deadlineCacheValid && (expired > 0 || cachedNextDeadlineNs <= nowNs)) {
            deadlineCacheValid = false;
        }
        for (int i = 0; i < firedCount; i++) {
            final Tcb t = tcbs[fired[i]];
            t.fired = false;
            onTimers(t, nowNs, out);
        }
        work += firedCount;
        firedCount = 0;

        int budget = 2 * tcbs.length + 16;
        while (dirtyCount > 0 && budget-- > 0) {
            final int s = dirtyQ[dirtyHead];
            dirtyHead = dirtyHead + 1 == dirtyQ.length ? 0 : dirtyHead + 1;
            dirtyCount--;
            final Tcb t = tcbs[s];
            if (t.state == CLOSED) {
                t.dirty = false;
                continue;
            }
            final long h = t.handle();
            // t.dirty stays true while callbacks run, so their writes do not queue the TCB twice.
            if (t.rcvLen > 0 && t.appAttached && !t.orphan) {
                if (!deliverFromRing(t) || !alive(t, h)) {
                    requeueIfReused(t, h);
                    continue;
                }
                maybeWindowUpdate(t);
            }
            if (t.delivered) {
                t.delivered = false;
                if (t.appAttached) {
                    t.handler.onReadComplete(h);
                    if (!alive(t, h)) {
                        requeueIfReused(t, h);
                        continue;
                    }
                }
            }
            if (t.wantWritable && t.sndLen < sndCap && t.appAttached) {
                t.wantWritable = false;
                t.handler.onWritable(h);
                if (!alive(t, h)) {
                    requeueIfReused(t, h);
                    continue;
                }
            }
            t.dirty = false;
            output(t, nowNs, out);
            work++;
        }
        c.timersScheduled.setRelease(wheel.timerCount());
        return work;
    }

    private void requeueIfReused(final Tcb t, final long h) {
        t.dirty = false;
        if (t.state != CLOSED && t.handle() != h) {
            markDirty(t);
        }
    }

    private boolean onTimerExpiry(final TimeUnit unit, final long nowNs, final long timerId) {
        final long s = timerSlots.remove(timerId);
        if (s >= 0) {
            final Tcb t = tcbs[(int) s];
            if (t.timerId == timerId) {
                t.timerId = DeadlineTimerWheel.NULL_DEADLINE;
                t.timerDeadlineNs = Long.MAX_VALUE;
                if (!t.fired) {
                    t.fired = true;
                    fired[firedCount++] = t.slot;
                }
            }
        }
        return true;
    }

    private void onTimers(final Tcb t, final long nowNs, final SegmentSink out) {
        if (t.state == CLOSED) {
            return;
        }
        if (t.closeDeadlineNs <= nowNs) {
            t.closeDeadlineNs = Long.MAX_VALUE;
            switch (t.state) {
                case SYN_RECEIVED -> {
                    c.timeouts.incrementRelease();
                    closeConn(t, CloseReason.TIMEOUT);
                    return;
                }
                case FIN_WAIT_2 -> {
                    // Deviation, as Linux (tcp_fin_timeout): an orphaned FIN_WAIT_2 does not wait forever.
                    c.timeouts.incrementRelease();
                    closeConn(t, CloseReason.TIMEOUT);
                    return;
                }
                case TIME_WAIT -> {
                    // RFC 9293 §3.10.8: time-wait timeout, delete the TCB.
                    closeConn(t, CloseReason.NORMAL);
                    return;
                }
                default -> {
                }
            }
        }
        if (t.rtxDeadlineNs <= nowNs) {
            t.rtxDeadlineNs = Long.MAX_VALUE;
            if (t.tlpArmed) {
                onProbeTimeout(t, nowNs, out);
            } else if (!onRetransmissionTimeout(t, nowNs)) {
                return;
            }
        }
        if (t.persistDeadlineNs <= nowNs) {
            t.persistDeadlineNs = Long.MAX_VALUE;
            onPersist(t, nowNs, out);
        }
        if (t.keepaliveDeadlineNs <= nowNs) {
            t.keepaliveDeadlineNs = Long.MAX_VALUE;
            if (!onKeepalive(t, nowNs, out)) {
                return;
            }
        }
        if (t.delAckDeadlineNs <= nowNs) {
            t.delAckDeadlineNs = Long.MAX_VALUE;
            if (t.unackedBytes > 0) {
                t.ackNow = true;
                c.delayedAcks.incrementRelease();
                markDirty(t);
            }
        }
        armTimer(t);
    }

    /** RFC 6298 §5.4-5.7 and RFC 9293 §3.8.3: retransmit, back off, or give up. @return false when closed */
    private boolean onRetransmissionTimeout(final Tcb t, final long nowNs) {
        t.tlpArmed = false;
        t.tlpOut = false;
        if (t.flight() == 0 && !Seq.lt(t.sndNxt, t.sndMax)) {
            return true;
        }
        c.rtoExpiries.incrementRelease();
        c.retransmits.incrementRelease();
        t.retransmits++;
        final boolean handshake = t.state == SYN_SENT || t.state == SYN_RECEIVED;
        if (t.retransmits > (handshake ? cfg.maxSynRetransmits : cfg.maxRetransmits)) {
            // RFC 9293 §3.8.3: R2 reached, close the connection.
            c.timeouts.incrementRelease();
            closeConn(t, CloseReason.TIMEOUT);
            return false;
        }
        // RFC 6298 §5.5: back off the timer.
        t.rtoNs = Math.min(t.rtoNs * 2, cfg.rtoMaxNs);
        // RFC 6298 §3 (Karn): no RTT sample from a retransmitted segment.
        t.rttTiming = false;
        t.rtoTsFloor = tsNow(t, nowNs);
        t.rtoTsFloorSet = true;
        if (!handshake) {
            if (t.retransmits == 1) {
                cc.onRto(t, nowNs);
            } else {
                t.cwnd = t.sndMss;
            }
            // RFC 6582 §4: after a timeout, recover = highest sequence sent.
            t.recover = t.sndMax;
            t.inRecovery = false;
            t.rtxAtUna = false;
            t.dupAcks = 0;
            // RFC 6675 §5.1: the scoreboard is kept across a timeout, so the go-back-N below skips what the receiver
            // SACKed. Deviation (RFC 2018 §8 allows reneging): after three timeouts in a row without progress the
            // SACKed bits are turned off and everything is sent again.
            if (t.retransmits >= 3) {
                t.sackCount = 0;
            }
        }
        // Go-back-N from SND.UNA (SYN / SYN-ACK are re-sent because SND.NXT returns to ISS).
        t.sndNxt = t.sndUna;
        markDirty(t);
        return true;
    }

    /**
     * RFC 8985 §7.3: the probe timeout fired with no ACK since — send one probe, new data if the receive window
     * allows, else the last segment sent, so that a tail loss draws an ACK whose SACK blocks start fast recovery
     * instead of waiting for the RTO. Then the RTO is armed (one probe per episode).
     */
    private void onProbeTimeout(final Tcb t, final long nowNs, final SegmentSink out) {
        t.tlpArmed = false;
        if (t.flight() == 0 || !canSendData(t.state)) {
            return;
        }
        final int maxSeg = maxSegment(t);
        final int dataEnd = t.dataEnd();
        final int unsent = dataEnd - t.sndNxt;
        final int wndRoom = t.sndUna + t.sndWnd - t.sndNxt;
        int seq;
        int sent = 0;
        if (unsent > 0 && wndRoom > 0) {
            // "If a previously unsent segment exists AND the receive window allows, transmit that new segment."
            seq = t.sndNxt;
            final int len = Math.min(unsent, Math.min(maxSeg, wndRoom));
            final boolean fin = t.finQueued && seq + len == dataEnd;
            if (emit(t, out, seq, len, fin ? FIN | ACK | PSH : ACK | PSH, nowNs)) {
                t.sndNxt = seq + len + (fin ? 1 : 0);
                if (Seq.lt(t.sndMax, t.sndNxt)) {
                    t.sndMax = t.sndNxt;
                }
                sent = len;
            }
        } else {
            // "Otherwise, retransmit the most recently sent segment."
            final int end = t.finQueued && Seq.gt(t.sndMax, dataEnd) ? dataEnd : t.sndMax;
            seq = Seq.max(t.sndUna, end - maxSeg);
            sent = retransmitAt(t, out, seq, maxSeg, nowNs);
        }
        if (sent > 0) {
            c.tlpProbes.incrementRelease();
            t.tlpOut = true;
            t.tlpSeq = seq;
        }
        t.rtxDeadlineNs = nowNs + t.rtoNs; // RFC 8985 §7.3: "arm the RTO timer"
    }

    /**
     * RFC 6298 §5.1 / §5.3: (re)starts the retransmission timer; RFC 8985 §7.2: when a tail loss probe may be sent
     * (SACK on, an RTT measured, not in recovery, no probe out, no timeout pending) the shorter PTO is armed instead.
     */
    private void armRetransmitTimer(final Tcb t, final long nowNs) {
        long d = t.rtoNs;
        t.tlpArmed = false;
        if (tlpAllowed(t)) {
            // RFC 8985 §7.2: PTO = 2·SRTT, plus WCDelAckT when a single segment is in flight; at most the RTO.
            long pto = 2 * t.srttNs;
            if (t.flight() <= t.sndMss) {
                pto += TLP_WC_DEL_ACK_NS;
            }
            pto = Math.max(pto, cfg.tlpMinNs);
            if (pto < d) {
                d = pto;
                t.tlpArmed = true;
            }
        }
        t.rtxDeadlineNs = nowNs + d;
    }

    private boolean tlpAllowed(final Tcb t) {
        return cfg.tailLossProbe && t.sackOn && t.rttValid && !t.inRecovery && !t.tlpOut && t.retransmits == 0
            && t.sndNxt == t.sndMax && canSendData(t.state);
    }

    /**
     * RFC 8985 §7.4 with §6.2's time order: the loss probe was sent at least a PTO (two SRTTs) after anything below
     * it, so when the receiver SACKs the probe while SND.UNA is still below it, the holes below are lost — no
     * reordering window that RACK would allow covers two round trips.
     */
    private static boolean probeSacked(final Tcb t) {
        if (!t.tlpOut || !Seq.lt(t.sndUna, t.tlpSeq)) {
            return false;
        }
        for (int k = 0; k < t.sackCount; k++) {
            if (Seq.le(t.sackL[k], t.tlpSeq) && Seq.gt(t.sackR[k], t.tlpSeq)) {
                return true;
            }
        }
        return false;
    }

    /**
     * RFC 5827 §3.2 (early retransmit, SACK form): with fewer than four segments outstanding and no new data that
     * may be sent, DupThresh cannot be reached; ER_thresh = oldSegs - 1 SACKed segments starts recovery instead.
     */
    private static boolean earlyRetransmit(final Tcb t) {
        if (t.sackCount == 0) {
            return false;
        }
        final int maxSeg = maxSegment(t);
        final int unsent = t.dataEnd() - t.sndNxt;
        final boolean noNewData = unsent <= 0 || t.sndUna + t.sndWnd - t.sndNxt < Math.min(unsent, maxSeg);
        final int oldSegs = (t.flight() + maxSeg - 1) / maxSeg;
        if (!noNewData || oldSegs >= 4 || oldSegs < 2) {
            return false;
        }
        final int sackedSegs = (sackedBytes(t) + maxSeg - 1) / maxSeg;
        return sackedSegs >= oldSegs - 1;
    }

    /** RFC 9293 §3.8.6.1: zero-window probing; also the SWS override timer (§3.8.6.2.1). */
    private void onPersist(final Tcb t, final long nowNs, final SegmentSink out) {
        if (!canSendData(t.state)) {
            return;
        }
        final int unsent = t.dataEnd() - t.sndNxt;
        if (unsent <= 0 || t.flight() > 0) {
            t.persistBackoff = 0;
            return;
        }
        if (t.sndWnd == 0) {
            // Deviation, as Linux: the probe carries no data (SEG.SEQ = SND.UNA - 1) and elicits an ACK with the
            // current window; it never times the connection out while the peer answers.
            emit(t, out, t.sndUna - 1, 0, ACK, nowNs);
            c.persistProbes.incrementRelease();
            t.persistBackoff = Math.min(t.persistBackoff + 1, 30);
            t.persistDeadlineNs = nowNs + Math.min(t.rtoNs << t.persistBackoff, cfg.rtoMaxNs);
        } else {
            t.forceSend = true;
            markDirty(t);
        }
    }

    /** RFC 1122 §4.2.3.6 keepalive. @return false when the connection was closed */
    private boolean onKeepalive(final Tcb t, final long nowNs, final SegmentSink out) {
        if (!t.keepalive || !isSynchronized(t.state) || t.state == TIME_WAIT) {
            return true;
        }
        final long idleEnd = t.lastRecvNs + cfg.keepaliveIdleNs + (long) t.keepaliveProbes * cfg.keepaliveIntervalNs;
        if (nowNs < idleEnd) {
            t.keepaliveDeadlineNs = idleEnd;
            return true;
        }
        if (t.keepaliveProbes >= cfg.keepaliveCount) {
            c.timeouts.incrementRelease();
            closeConn(t, CloseReason.TIMEOUT);
            return false;
        }
        // RFC 1122 §4.2.3.6: a probe with SEG.SEQ = SND.NXT - 1 and no data elicits an ACK.
        emit(t, out, t.sndUna - 1, 0, ACK, nowNs);
        c.keepaliveProbes.incrementRelease();
        t.keepaliveProbes++;
        t.keepaliveDeadlineNs = nowNs + cfg.keepaliveIntervalNs;
        return true;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Segment arrival
    // ------------------------------------------------------------------------------------------------------------

    /**
     * One received TCP segment (header, options, payload) at buffer[offset, offset+length), from srcIp to dstIp
     * (big-endian ints). The payload is handed zero-copy to onData when it is in order.
     *
     * @param checksumVerified true when the NIC verified the TCP checksum; otherwise the engine checks it
     */
    public void onSegment(final DirectBuffer buffer, final int offset, final int length, final int srcIp,
        final int dstIp, final boolean checksumVerified, final long nowNs, final SegmentSink out) {
        startWheel(nowNs);
        c.segmentsIn.incrementRelease();
        if (!checksumVerified && !Checksum.verifyTcp(srcIp, dstIp, buffer, offset, length)) {
            c.dropBadChecksum.incrementRelease();
            return;
        }
        final TcpSegment s = seg;
        final int err = s.parse(buffer, offset, length);
        if (err != TcpSegment.OK) {
            (err == TcpSegment.ERR_TOO_SHORT ? c.dropTooShort
                : err == TcpSegment.ERR_BAD_OFFSET ? c.dropBadOffset : c.dropBadOption).incrementRelease();
            return;
        }
        c.bytesIn.getAndAddRelease(s.payloadLength);
        final int slot = table.get(dstIp, s.dstPort, srcIp, s.srcPort);
        if (slot >= 0) {
            final Tcb t = tcbs[slot];
            if (t.state == TIME_WAIT && (s.flags & (SYN | ACK | RST)) == SYN && timeWaitReopen(t, s)) {
                // RFC 6191 §2 / RFC 9293 §3.10.7.4 (TIME-WAIT, SYN): a new incarnation reopens the four-tuple.
                c.timeWaitReused.incrementRelease();
                closeConn(t, CloseReason.NORMAL);
            } else {
                t.lastRecvNs = nowNs;
                t.keepaliveProbes = 0;
                if (t.state == SYN_SENT) {
                    synSentArrives(t, s, nowNs, out);
                } else {
                    segmentArrives(t, s, nowNs, out);
                }
                return;
            }
        }
        final TcpHandler l = listeners[s.dstPort];
        if (l != null) {
            listenArrives(l, s, srcIp, dstIp, nowNs, out);
        } else {
            closedArrives(s, srcIp, dstIp, out);
        }
    }

    /** RFC 9293 §3.10.7.1: the connection is CLOSED (no TCB, no listener). */
    private void closedArrives(final TcpSegment s, final int srcIp, final int dstIp, final SegmentSink out) {
        c.dropNoListener.incrementRelease();
        if (s.has(RST)) {
            return; // "An incoming segment containing a RST is discarded."
        }
        if (!s.has(ACK)) {
            // "<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>"
            sendRaw(out, dstIp, srcIp, s.dstPort, s.srcPort, 0, s.seq + s.segLen(), RST | ACK, 0);
        } else {
            // "<SEQ=SEG.ACK><CTL=RST>"
            sendRaw(out, dstIp, srcIp, s.dstPort, s.srcPort, s.ack, 0, RST, 0);
        }
    }

    /** RFC 9293 §3.10.7.2: LISTEN state (plus RFC 4987 SYN cookies). */
    private void listenArrives(final TcpHandler l, final TcpSegment s, final int srcIp, final int dstIp,
        final long nowNs, final SegmentSink out) {
        // first: check for a RST — "An incoming RST segment could not be valid ... ignore it."
        if (s.has(RST)) {
            c.dropInvalidState.incrementRelease();
            return;
        }
        // second: check for an ACK — "Any acknowledgment is bad if it arrives on a connection still in the
        // LISTEN state. An acceptable reset segment should be formed: <SEQ=SEG.ACK><CTL=RST>", unless it is the
        // ACK completing a SYN-cookie handshake.
        if (s.has(ACK)) {
            if (!s.has(SYN) && cfg.synCookies && nowNs <= cookiesActiveUntilNs) {
                if (cookieAccept(l, s, srcIp, dstIp, nowNs, out)) {
                    return;
                }
                c.synCookiesRejected.incrementRelease();
                c.dropCookieRejected.incrementRelease();
            }
            sendRaw(out, dstIp, srcIp, s.dstPort, s.srcPort, s.ack, 0, RST, 0);
            return;
        }
        // third: check for a SYN.
        if (!s.has(SYN)) {
            c.dropInvalidState.incrementRelease(); // fourth: "other text or control ... drop the segment"
            return;
        }
        if (freeSlotCount == 0) {
            reapTimeWait();
        }
        if (backlog[s.dstPort] >= cfg.listenBacklog || freeSlotCount == 0) {
            if (cfg.synCookies) {
                sendCookieSynAck(s, srcIp, dstIp, nowNs, out);
            } else {
                (freeSlotCount == 0 ? c.dropNoTcb : c.dropBacklogFull).incrementRelease();
            }
            return;
        }
        final Tcb t = allocTcb(dstIp, s.dstPort, srcIp, s.srcPort);
        t.handler = l;
        t.passive = true;
        t.inBacklog = true;
        backlog[s.dstPort]++;
        // "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ ... ISS should be selected" (RFC 6528).
        t.irs = s.seq;
        t.rcvNxt = s.seq + 1;
        t.rcvAdvEdge = t.rcvNxt;
        t.iss = isn(t, nowNs);
        t.sndUna = t.sndNxt = t.sndMax = t.iss;
        t.sndBufSeq = t.iss + 1;
        t.recover = t.iss;
        negotiateOptions(t, s, nowNs);
        // RFC 7323 §2.2: the window field of a SYN is never scaled.
        t.sndWnd = s.window;
        t.maxSndWnd = s.window;
        t.sndWl1 = s.seq;
        t.sndWl2 = s.ack;
        t.closeDeadlineNs = nowNs + cfg.synReceivedTimeoutNs;
        t.lastRecvNs = nowNs;
        setState(t, SYN_RECEIVED);
        // Data on a SYN is not queued (Deviation, as Linux without TFO: the peer retransmits it).
        markDirty(t);
        armTimer(t);
    }

    /** RFC 9293 §3.10.7.3: SYN-SENT. */
    private void synSentArrives(final Tcb t, final TcpSegment s, final long nowNs, final SegmentSink out) {
        // first: check the ACK bit — unacceptable if SEG.ACK =< ISS or SEG.ACK > SND.NXT.
        final boolean hasAck = s.has(ACK);
        if (hasAck && (Seq.le(s.ack, t.iss) || Seq.gt(s.ack, t.sndMax))) {
            c.dropBadAck.incrementRelease();
            if (!s.has(RST)) {
                sendRaw(out, t.localIp, t.remoteIp, t.localPort, t.remotePort, s.ack, 0, RST, 0);
            }
            return;
        }
        // second: check the RST bit (RFC 5961 §3.2: acceptable only with an acceptable ACK).
        if (s.has(RST)) {
            if (hasAck) {
                c.resetsIn.incrementRelease();
                closeConn(t, CloseReason.REFUSED); // "error: connection reset"
            } else {
                c.dropInvalidState.incrementRelease();
            }
            return;
        }
        // third: security (not applicable). fourth: check the SYN bit.
        if (!s.has(SYN)) {
            c.dropInvalidState.incrementRelease();
            return;
        }
        t.irs = s.seq;
        t.rcvNxt = s.seq + 1;
        negotiateOptions(t, s, nowNs);
        t.rcvAdvEdge = t.rcvNxt + Math.min(rcvCap, 65535);
        t.sndWnd = s.window; // RFC 7323 §2.2: not scaled in a SYN
        t.maxSndWnd = s.window;
        t.sndWl1 = s.seq;
        t.sndWl2 = s.ack;
        if (hasAck) {
            // "If SND.UNA > ISS (our SYN has been ACKed), change the connection state to ESTABLISHED".
            rttSampleFromAck(t, s, s.ack, nowNs);
            t.sndUna = s.ack;
            t.rtxDeadlineNs = Long.MAX_VALUE;
            t.ackNow = true;
            markDirty(t);
            establish(t, nowNs);
        } else {
            // Simultaneous open: "enter SYN-RECEIVED, form a SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT>".
            setState(t, SYN_RECEIVED);
            t.sndNxt = t.iss;
            t.closeDeadlineNs = nowNs + cfg.synReceivedTimeoutNs;
            markDirty(t);
        }
        armTimer(t);
    }

    /** RFC 9293 §3.10.7.4: SYN-RECEIVED and the synchronized states; the fast path first. */
    private void segmentArrives(final Tcb t, final TcpSegment s, final long nowNs, final SegmentSink out) {
        if (fastPath(t, s, nowNs)) {
            return;
        }
        final int st = t.state;
        final boolean rst = s.has(RST);
        int seq = s.seq;
        int payOff = s.payloadOffset;
        int payLen = s.payloadLength;
        boolean fin = s.has(FIN);
        boolean syn = s.has(SYN);
        int segLen = s.segLen();
        if (st == SYN_RECEIVED && syn && s.has(ACK) && seq == t.irs && !t.passive) {
            // Simultaneous open (RFC 9293 §3.5 Figure 8, line 7): the peer's SYN,ACK repeats its SYN; the SYN
            // is a duplicate and only the ACK is new.
            syn = false;
            seq++;
            segLen--;
        }

        // RFC 7323 §5.3 R1: PAWS, before the sequence number check.
        if (t.tsOn && s.hasTimestamps && !rst && Seq.lt(s.tsVal, t.tsRecent)
            && nowNs - t.tsRecentNs < PAWS_IDLE_NS) {
            c.dropPaws.incrementRelease();
            t.ackNow = true;
            markDirty(t);
            return;
        }

        // first: check sequence number (the four acceptability cases of RFC 9293 §3.10.7.4).
        int wnd = t.rcvAdvEdge - t.rcvNxt;
        if (wnd < 0) {
            wnd = 0;
        }
        boolean acceptable;
        if (segLen == 0) {
            acceptable = wnd == 0 ? seq == t.rcvNxt : Seq.inWindow(seq, t.rcvNxt, t.rcvNxt + wnd);
        } else {
            acceptable = wnd > 0 && (Seq.inWindow(seq, t.rcvNxt, t.rcvNxt + wnd)
                || Seq.inWindow(seq + segLen - 1, t.rcvNxt, t.rcvNxt + wnd));
        }
        if (!acceptable && wnd == 0 && seq == t.rcvNxt) {
            // "special allowance should be made to accept valid ACKs, URGs, and RSTs": keep the control part.
            acceptable = true;
            payLen = 0;
            fin = false;
            t.ackNow = true;
        }
        if (!acceptable) {
            if (st == TIME_WAIT && fin && seq + segLen == t.rcvNxt) {
                // RFC 9293 §3.10.7.4 eighth, TIME-WAIT: a retransmitted FIN is acknowledged and restarts 2 MSL
                // (it fails the sequence test since RCV.NXT already covers it, as Linux tcp_timewait_state_process).
                t.closeDeadlineNs = nowNs + cfg.timeWaitNs();
                t.ackNow = true;
                markDirty(t);
                armTimer(t);
                return;
            }
            c.dropNotAcceptable.incrementRelease();
            if (!rst) {
                // "<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>" (in SYN-RECEIVED, re-send the SYN-ACK, as Linux).
                t.ackNow = true;
                markDirty(t);
            }
            return;
        }
        // Trim to the window: bytes before RCV.NXT are duplicates, bytes past the right edge are dropped.
        int dataSeq = syn ? seq + 1 : seq;
        if (Seq.lt(dataSeq, t.rcvNxt)) {
            final int cut = Math.min(t.rcvNxt - dataSeq, payLen);
            payOff += cut;
            payLen -= cut;
            dataSeq += cut;
            t.ackNow = true;
        }
        if (payLen > 0 && Seq.gt(dataSeq + payLen, t.rcvNxt + wnd)) {
            payLen = Math.max(0, t.rcvNxt + wnd - dataSeq);
            fin = false;
            t.ackNow = true;
        }

        // second: check the RST bit (RFC 5961 §3.2).
        if (rst) {
            if (seq == t.rcvNxt) {
                c.resetsIn.incrementRelease();
                // SYN-RECEIVED from a passive open returns to LISTEN (the TCB goes); otherwise "connection reset".
                closeConn(t, st == SYN_RECEIVED && t.passive ? CloseReason.REFUSED : CloseReason.RESET);
            } else {
                challengeAck(t, nowNs, out); // RFC 5961 §3.2: in window but not exact
            }
            return;
        }
        // third: security and precedence — not applicable (no IPsec compartments here).

        // fourth: check the SYN bit (RFC 5961 §4.2): any SYN in a synchronized state gets a challenge ACK.
        if (syn) {
            if (st == SYN_RECEIVED) {
                t.ackNow = true; // retransmitted SYN: re-send the SYN-ACK
                markDirty(t);
            } else {
                challengeAck(t, nowNs, out);
            }
            return;
        }

        // fifth: check the ACK field.
        if (!s.has(ACK)) {
            c.dropBadAck.incrementRelease(); // "if the ACK bit is off, drop the segment and return"
            return;
        }
        final int ack = s.ack;
        if (st == SYN_RECEIVED) {
            // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state" else "<SEQ=SEG.ACK><CTL=RST>".
            if (!(Seq.gt(ack, t.sndUna) && Seq.le(ack, t.sndMax))) {
                c.dropBadAck.incrementRelease();
                sendRaw(out, t.localIp, t.remoteIp, t.localPort, t.remotePort, ack, 0, RST, 0);
                return;
            }
            t.sndWnd = s.window << t.sndWscale;
            t.maxSndWnd = Math.max(t.maxSndWnd, t.sndWnd);
            t.sndWl1 = seq;
            t.sndWl2 = ack;
            if (t.tsOn && s.hasTimestamps && Seq.le(seq, t.lastAckSent)) {
                t.tsRecent = s.tsVal;
                t.tsRecentNs = nowNs;
            }
            final long h = t.handle();
            establish(t, nowNs);
            if (!alive(t, h)) {
                return;
            }
        }
        // RFC 5961 §5.2: acceptable iff (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT (SND.NXT before any
        // go-back-N rewind, i.e. sndMax).
        if (Seq.gt(ack, t.sndMax)) {
            c.dropBadAck.incrementRelease();
            t.ackNow = true; // "If the ACK acks something not yet sent ... send an ACK, drop the segment"
            markDirty(t);
            return;
        }
        if (Seq.lt(ack, t.sndUna - t.maxSndWnd)) {
            c.dropBadAck.incrementRelease();
            challengeAck(t, nowNs, out);
            return;
        }
        // RFC 7323 §4.3: update TS.Recent when SEG.SEQ =< Last.ACK.sent.
        if (t.tsOn && s.hasTimestamps && Seq.le(seq, t.lastAckSent)) {
            t.tsRecent = s.tsVal;
            t.tsRecentNs = nowNs;
        }
        final int oldWnd = t.sndWnd;
        boolean newlySacked = false;
        if (t.sackOn && s.sackCount > 0) {
            final long sackedBefore = sackedBytes(t);
            sackUpdate(t, s);
            newlySacked = sackedBytes(t) > sackedBefore;
        }
        if (Seq.gt(ack, t.sndUna)) {
            ackAdvance(t, s, ack, nowNs);
        } else if (ack == t.sndUna && t.flight() > 0 && (newlySacked
            || (payLen == 0 && !fin && (s.window << t.sndWscale) == oldWnd))) {
            // RFC 5681 §2 definition of a duplicate ACK; with SACK, RFC 6675 §2: an ACK whose SACK blocks report
            // newly received data counts too, even when it carries data or a window update (bidirectional
            // traffic: the peer's ACKs ride on its data, so "pure" duplicate ACKs never come).
            onDuplicateAck(t, nowNs);
        }
        if (newlySacked && t.inRecovery && Seq.lt(t.sndUna, t.highRxt) && !t.rtxAtUna
            && nowNs - t.rxtUnaNs > t.srttNs + Math.max(t.srttNs >> 2, REO_WND_MIN_NS)) {
            // RFC 8985 §6.2, for the first hole only: the resend at SND.UNA went out more than SRTT + reo_wnd ago
            // and the receiver keeps reporting newer data, so that resend was lost too — send it again now rather
            // than wait for the RTO (RFC 6675 alone cannot see a lost retransmission).
            c.lostRetransmits.incrementRelease();
            t.rtxAtUna = true;
            markDirty(t);
        }
        // "If SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK), set SND.WND <- SEG.WND".
        if (Seq.lt(t.sndWl1, seq) || (t.sndWl1 == seq && Seq.le(t.sndWl2, ack))) {
            t.sndWnd = s.window << t.sndWscale;
            t.sndWl1 = seq;
            t.sndWl2 = ack;
            if (t.sndWnd > t.maxSndWnd) {
                t.maxSndWnd = t.sndWnd;
            }
            if (t.sndWnd > 0) {
                t.persistBackoff = 0;
            }
        }
        switch (t.state) {
            case FIN_WAIT_1 -> {
                if (finAcked(t)) {
                    // "if the FIN segment is now acknowledged, then enter FIN-WAIT-2"
                    setState(t, FIN_WAIT_2);
                    if (t.orphan) {
                        t.closeDeadlineNs = nowNs + cfg.finWait2TimeoutNs;
                    }
                }
            }
            case CLOSING -> {
                if (finAcked(t)) {
                    enterTimeWait(t, nowNs); // "if the ACK acknowledges our FIN, then enter the TIME-WAIT state"
                    return;
                }
            }
            case LAST_ACK -> {
                if (finAcked(t)) {
                    closeConn(t, CloseReason.PEER_FIN); // "If our FIN is now acknowledged, delete the TCB"
                    return;
                }
            }
            default -> {
            }
        }

        // sixth: check the URG bit — Deviation, as most stacks: urgent data is delivered inline, pointer ignored.

        // seventh: process the segment text.
        if (payLen > 0) {
            final int cs = t.state;
            if (cs == ESTABLISHED || cs == FIN_WAIT_1 || cs == FIN_WAIT_2) {
                final long h = t.handle();
                receiveData(t, s.buffer, payOff, payLen, dataSeq, nowNs, out);
                if (!alive(t, h)) {
                    return;
                }
            } else {
                // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: "This should not occur ... Ignore the segment text."
                t.ackNow = true;
            }
        }

        // eighth: check the FIN bit.
        if (fin) {
            final int finSeq = dataSeq + payLen;
            if (finSeq == t.rcvNxt && !t.peerFin) {
                processFin(t, nowNs);
            } else if (Seq.gt(finSeq, t.rcvNxt)) {
                t.rcvFinPending = true; // out-of-order FIN, processed when RCV.NXT reaches it
                t.rcvFinSeq = finSeq;
            } else {
                t.ackNow = true; // retransmitted FIN
                if (t.state == TIME_WAIT) {
                    t.closeDeadlineNs = nowNs + cfg.timeWaitNs(); // "Restart the 2 MSL time-wait timeout"
                }
            }
        } else if (t.rcvFinPending && t.rcvFinSeq == t.rcvNxt && !t.peerFin) {
            processFin(t, nowNs);
        }
        if (t.state != CLOSED) {
            markDirty(t);
            armTimer(t);
        }
    }

    /**
     * Header prediction (as Linux tcp_rcv_established / Van Jacobson): ESTABLISHED, only ACK set, the next
     * expected sequence number, window unchanged, timestamps fresh, no recovery or reassembly in progress; an
     * in-order data segment or a pure ACK advancing SND.UNA. Everything else takes the RFC slow path.
     */
    private boolean fastPath(final Tcb t, final TcpSegment s, final long nowNs) {
        if (t.state != ESTABLISHED || (s.flags & (SYN | FIN | RST | URG | ACK)) != ACK || s.seq != t.rcvNxt
            || t.inRecovery || t.oooCount != 0 || t.dupAcks != 0 || t.sackCount != 0
            || (s.window << t.sndWscale) != t.sndWnd) {
            return false;
        }
        if (t.tsOn && (!s.hasTimestamps || Seq.lt(s.tsVal, t.tsRecent))) {
            return false;
        }
        final int ack = s.ack;
        final int len = s.payloadLength;
        if (Seq.lt(ack, t.sndUna) || Seq.gt(ack, t.sndMax) || len > t.rcvAdvEdge - t.rcvNxt) {
            return false;
        }
        if (ack == t.sndUna && len == 0) {
            return false; // possibly a duplicate ACK: slow path
        }
        if (t.tsOn && Seq.le(s.seq, t.lastAckSent)) {
            t.tsRecent = s.tsVal;
            t.tsRecentNs = nowNs;
        }
        t.sndWl1 = s.seq;
        t.sndWl2 = ack;
        if (ack != t.sndUna) {
            ackAdvance(t, s, ack, nowNs);
        }
        if (len > 0) {
            final long h = t.handle();
            receiveData(t, s.buffer, s.payloadOffset, len, s.seq, nowNs, null);
            if (!alive(t, h)) {
                return true;
            }
        }
        markDirty(t);
        armTimer(t);
        return true;
    }

    /** RFC 9293 §3.10.7.4 fifth: new data acknowledged. */
    private void ackAdvance(final Tcb t, final TcpSegment s, final int ack, final long nowNs) {
        final int acked = ack - t.sndUna;
        rttSampleFromAck(t, s, ack, nowNs);
        int dataAcked = ack - t.sndBufSeq;
        if (dataAcked < 0) {
            dataAcked = 0;
        } else if (dataAcked > t.sndLen) {
            dataAcked = t.sndLen;
        }
        if (dataAcked > 0) {
            t.sndBufSeq += dataAcked;
            t.sndLen -= dataAcked;
            t.sndHead = t.sndLen == 0 ? 0 : (t.sndHead + dataAcked) % sndCap;
        }
        t.sndUna = ack;
        if (Seq.lt(t.sndNxt, ack)) {
            t.sndNxt = ack;
        }
        t.retransmits = 0;
        sackPrune(t);
        if (t.inRecovery) {
            if (Seq.ge(ack, t.recover)) {
                // RFC 6582 §3.2 step 3: full acknowledgment, exit fast recovery.
                t.inRecovery = false;
                t.rtxAtUna = false;
                t.dupAcks = 0;
                cc.onExitRecovery(t, nowNs);
            } else {
                // RFC 6582 §3.2 step 5: partial acknowledgment — retransmit the first unacknowledged segment,
                // deflate cwnd by the newly acknowledged amount and add back one SMSS.
                if (!t.sackOn) {
                    t.rtxAtUna = true;
                    t.cwnd = Math.max(t.cwnd - acked + t.sndMss, t.sndMss);
                } else if (Seq.lt(t.highRxt, ack)) {
                    t.highRxt = ack;
                } else {
                    t.rxtUnaNs = t.lastRxtNs; // the new first hole was resent at the latest by the last resend
                }
            }
        } else {
            t.dupAcks = 0;
            if (isSynchronized(t.state)) {
                cc.onAck(t, acked, nowNs);
            }
        }
        if (t.tlpOut && Seq.gt(ack, t.tlpSeq)) {
            t.tlpOut = false; // RFC 8985 §7.4: the probe's episode is over once data at or beyond it is acknowledged
        }
        if (!t.inRecovery && t.sackOn && probeSacked(t) && Seq.ge(t.sndUna, t.recover)) {
            c.earlyRecoveries.incrementRelease();
            enterRecovery(t, nowNs);
        }
        // RFC 6298 §5.2 / §5.3: stop the timer when all is acknowledged, else restart it.
        if (t.flight() == 0 && Seq.ge(t.sndNxt, t.sndMax)) {
            t.rtxDeadlineNs = Long.MAX_VALUE;
            t.tlpArmed = false;
        } else {
            armRetransmitTimer(t, nowNs);
        }
        t.persistBackoff = 0;
    }

    /** RFC 5681 §3.2 / RFC 6582 §3.2 / RFC 6675 §5: a duplicate ACK. */
    private void onDuplicateAck(final Tcb t, final long nowNs) {
        t.dupAcks++;
        if (!t.inRecovery) {
            // RFC 6675 §5 / IsLost: more than (DupThresh - 1) · SMSS SACKed above SND.UNA.
            final boolean sackLoss = t.sackOn && sackedBytes(t) > (DUP_THRESH - 1) * t.sndMss;
            final boolean early = !sackLoss && t.sackOn && (probeSacked(t) || earlyRetransmit(t));
            // RFC 6582 §3.2 step 2: only if the ACK covers more than "recover" (avoid multiple reductions). The RFC's
            // recover is the highest sequence number sent; here it holds SND.MAX (one past it), so "covers more
            // than recover" is SND.UNA >= recover — as the full-acknowledgment test in ackAdvance reads it.
            if ((t.dupAcks >= DUP_THRESH || sackLoss || early) && Seq.ge(t.sndUna, t.recover)) {
                if (early && t.dupAcks < DUP_THRESH) {
                    c.earlyRecoveries.incrementRelease();
                }
                enterRecovery(t, nowNs);
            }
        } else if (!t.sackOn) {
            t.cwnd += t.sndMss; // RFC 5681 §3.2 step 5: inflate for each additional duplicate ACK
            markDirty(t);
        } else {
            markDirty(t);
        }
    }

    /** RFC 6582 §3.2 step 2 / RFC 6675 §5 step 4: enter fast recovery and retransmit the first hole. */
    private void enterRecovery(final Tcb t, final long nowNs) {
        t.inRecovery = true;
        t.recover = t.sndMax;
        cc.onEnterRecovery(t, nowNs);
        t.rtxAtUna = true;
        t.highRxt = t.sndUna;
        t.rttTiming = false;
        t.tlpArmed = false;
        c.fastRetransmits.incrementRelease();
        markDirty(t);
    }

    /** RFC 6298 §2-3 (and RFC 7323 §4.2 with timestamps): one RTT measurement. */
    private void rttSampleFromAck(final Tcb t, final TcpSegment s, final int ack, final long nowNs) {
        long rttNs = -1;
        if (t.tsOn && s.hasTimestamps && s.tsEcr != 0) {
            if (t.rtoTsFloorSet && Seq.lt(s.tsEcr, t.rtoTsFloor)) {
                // Deviation (Karn, RFC 6298 §3, applied to TSecr): an ACK answering a duplicate echoes the TSval
                // of the original transmission (RFC 7323 §4.3); such a sample spans the whole timeout and would
                // inflate SRTT, so only echoes of segments sent after the last timeout are measured.
                return;
            }
            final int ticks = tsNow(t, nowNs) - s.tsEcr;
            if (ticks >= 0) {
                rttNs = ticks * TS_TICK_NS;
            }
        } else if (t.rttTiming && Seq.ge(ack, t.rttSeq)) {
            rttNs = nowNs - t.rttStartNs;
            t.rttTiming = false;
        }
        if (rttNs < 0) {
            return;
        }
        if (!t.rttValid) {
            // RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2.
            t.srttNs = rttNs;
            t.rttvarNs = rttNs / 2;
            t.rttValid = true;
        } else {
            // RFC 6298 §2.3: beta = 1/4, alpha = 1/8.
            t.rttvarNs = (3 * t.rttvarNs + Math.abs(t.srttNs - rttNs)) / 4;
            t.srttNs = (7 * t.srttNs + rttNs) / 8;
        }
        // RFC 6298 §2.3 and §2.4: RTO = SRTT + max(G, K*RTTVAR), at least rtoMin, at most rtoMax.
        final long rto = t.srttNs + Math.max(cfg.timerTickNs, RTO_K * t.rttvarNs);
        t.rtoNs = Math.min(Math.max(rto, cfg.rtoMinNs), cfg.rtoMaxNs);
    }

    /** RFC 9293 §3.10.7.4 seventh: in-order data zero-copy to the app; out-of-order into the reassembly ring. */
    private void receiveData(final Tcb t, final DirectBuffer buf, final int off, final int len, final int dataSeq,
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
        if (dataSeq == t.rcvNxt) {
            t.unackedBytes += len;
            if (t.rcvLen == 0 && t.oooCount == 0) {
                // Zero-copy: offer the packet's payload, keep only what the app did not consume.
                final long h = t.handle();
                final int n = deliver(t, h, buf, off, len);
                if (!alive(t, h)) {
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
                if (t.oooCount > 0) {
                    assemblerAdvance(t);
                    t.ackNow = true; // RFC 5681 §4.2: ACK at once when a segment fills (part of) a hole
                }
                final long h = t.handle();
                if (!deliverFromRing(t) || !alive(t, h)) {
                    return;
                }
            }
            // RFC 5681 §4.2 / RFC 9293 §3.8.6.3: ACK at least every second full-sized segment.
            final int full = cfg.mss - (t.tsOn ? OPT_TS_BYTES : 0);
            if (cfg.ackEverySecondSegment && t.unackedBytes >= 2 * full) {
                t.ackNow = true;
            } else if (t.delAckDeadlineNs == Long.MAX_VALUE) {
                t.delAckDeadlineNs = nowNs + cfg.delayedAckNs;
            }
            if (t.rcvFinPending && t.rcvFinSeq == t.rcvNxt && !t.peerFin) {
                processFin(t, nowNs);
            }
            return;
        }
        // Out of order (RFC 9293 §3.10.7.4 seventh: "segments ... placed on the queue"; reassembly with overlap
        // trimming as §3.10.7.4 describes: ranges are merged, overlapping bytes are written once more).
        if (!assemblerAdd(t, dataSeq, dataSeq + len)) {
            c.dropOooOverflow.incrementRelease();
        } else {
            ringWrite(t, dataSeq - t.rcvNxt, buf, off, len);
        }
        // RFC 5681 §4.2: an out-of-order segment triggers an immediate duplicate ACK (with SACK, RFC 2018 §4).
        if (out != null) {
            emit(t, out, t.sndMax, 0, ACK, nowNs);
        } else {
            t.ackNow = true;
        }
    }

    private int deliver(final Tcb t, final long h, final DirectBuffer buf, final int off, final int len) {
        t.delivered = true;
        int n = t.handler.onData(h, buf, off, len);
        if (n < 0) {
            n = 0;
        } else if (n > len) {
            n = len;
        }
        return n;
    }

    /** Offers ring data to the app. @return false if the TCB died during a callback */
    private boolean deliverFromRing(final Tcb t) {
        final long h = t.handle();
        if (t.orphan || !t.appAttached) {
            t.rcvLen = 0;
        }
        while (t.rcvLen > 0) {
            final int contiguous = Math.min(t.rcvLen, rcvCap - t.rcvHead);
            final int n = deliver(t, h, slabBuf, t.rcvBase + t.rcvHead, contiguous);
            if (!alive(t, h)) {
                return false;
            }
            t.rcvHead += n;
            if (t.rcvHead == rcvCap) {
                t.rcvHead = 0;
            }
            t.rcvLen -= n;
            if (n < contiguous) {
                break;
            }
        }
        if (t.rcvLen == 0 && t.oooCount == 0) {
            t.rcvHead = 0;
        }
        notifyPeerFin(t);
        detachInTimeWait(t);
        return alive(t, h);
    }

    private void notifyPeerFin(final Tcb t) {
        if (t.peerFin && !t.peerFinNotified && t.rcvLen == 0 && t.appAttached && !t.orphan) {
            t.peerFinNotified = true;
            t.handler.onPeerFin(t.handle());
        }
    }

    /** RFC 9293 §3.8.6.2.2: send a window update once the window can open by min(buffer/2, MSS). */
    private void maybeWindowUpdate(final Tcb t) {
        int cur = t.rcvAdvEdge - t.rcvNxt;
        if (cur < 0) {
            cur = 0;
        }
        if ((rcvCap - t.rcvLen) - cur >= Math.min(rcvCap / 2, cfg.mss)) {
            t.ackNow = true;
            markDirty(t);
        }
    }

    private void ringWrite(final Tcb t, final int rel, final DirectBuffer src, final int off, final int len) {
        int pos = t.rcvHead + t.rcvLen + rel;
        pos %= rcvCap;
        final int first = Math.min(len, rcvCap - pos);
        slabBuf.putBytes(t.rcvBase + pos, src, off, first);
        if (first < len) {
            slabBuf.putBytes(t.rcvBase, src, off + first, len - first);
        }
    }

    /** Inserts [l, r) into the sorted, disjoint out-of-order ranges, merging overlaps. @return false when full */
    private static boolean assemblerAdd(final Tcb t, final int l, final int r) {
        final int n = t.oooCount;
        int first = -1;
        int last = -1;
        for (int k = 0; k < n; k++) {
            if (Seq.le(t.oooL[k], r) && Seq.ge(t.oooR[k], l)) {
                if (first < 0) {
                    first = k;
                }
                last = k;
            }
        }
        if (first >= 0) {
            t.oooL[first] = Seq.min(l, t.oooL[first]);
            t.oooR[first] = Seq.max(r, t.oooR[last]);
            final int removed = last - first;
            for (int k = last + 1; k < n; k++) {
                t.oooL[k - removed] = t.oooL[k];
                t.oooR[k - removed] = t.oooR[k];
            }
            t.oooCount = n - removed;
            t.oooLatest = first;
            return true;
        }
        if (n == Tcb.MAX_OOO_RANGES) {
            return false;
        }
        int p = 0;
        while (p < n && Seq.lt(t.oooL[p], l)) {
            p++;
        }
        for (int k = n; k > p; k--) {
            t.oooL[k] = t.oooL[k - 1];
            t.oooR[k] = t.oooR[k - 1];
        }
        t.oooL[p] = l;
        t.oooR[p] = r;
        t.oooCount = n + 1;
        t.oooLatest = p;
        return true;
    }

    /** Moves RCV.NXT over out-of-order ranges that became contiguous. */
    private static void assemblerAdvance(final Tcb t) {
        while (t.oooCount > 0 && Seq.le(t.oooL[0], t.rcvNxt)) {
            if (Seq.gt(t.oooR[0], t.rcvNxt)) {
                t.rcvLen += t.oooR[0] - t.rcvNxt;
                t.rcvNxt = t.oooR[0];
            }
            for (int k = 1; k < t.oooCount; k++) {
                t.oooL[k - 1] = t.oooL[k];
                t.oooR[k - 1] = t.oooR[k];
            }
            t.oooCount--;
            t.oooLatest = t.oooLatest > 0 ? t.oooLatest - 1 : (t.oooCount > 0 ? 0 : -1);
        }
    }

    /** RFC 9293 §3.10.7.4 eighth: FIN in order. */
    private void processFin(final Tcb t, final long nowNs) {
        t.rcvNxt += 1; // "advance RCV.NXT over the FIN"
        t.peerFin = true;
        t.rcvFinPending = false;
        t.ackNow = true;
        switch (t.state) {
            case SYN_RECEIVED, ESTABLISHED -> setState(t, CLOSE_WAIT);
            case FIN_WAIT_1 -> {
                if (finAcked(t)) {
                    enterTimeWait(t, nowNs);
                } else {
                    setState(t, CLOSING); // simultaneous close
                }
            }
            case FIN_WAIT_2 -> enterTimeWait(t, nowNs);
            case TIME_WAIT -> t.closeDeadlineNs = nowNs + cfg.timeWaitNs();
            default -> {
            }
        }
        markDirty(t);
        notifyPeerFin(t);
    }

    /** RFC 5961 §3.2 / §4.2 / §5.2 challenge ACK, rate limited globally per second (RFC 5961 §10). */
    private void challengeAck(final Tcb t, final long nowNs, final SegmentSink out) {
        if (challengeWindowStartNs == Long.MIN_VALUE || nowNs - challengeWindowStartNs >= CHALLENGE_WINDOW_NS) {
            challengeWindowStartNs = nowNs;
            challengeAcksInWindow = 0;
        }
        if (challengeAcksInWindow >= cfg.challengeAckLimitPerSecond) {
            c.challengeAcksRateLimited.incrementRelease();
            return;
        }
        challengeAcksInWindow++;
        c.challengeAcks.incrementRelease();
        emit(t, out, t.sndMax, 0, ACK, nowNs);
        armTimer(t);
    }

    // ------------------------------------------------------------------------------------------------------------
    // SACK scoreboard (RFC 6675 §3-5)
    // ------------------------------------------------------------------------------------------------------------

    private void sackUpdate(final Tcb t, final TcpSegment s) {
        for (int b = 0; b < s.sackCount; b++) {
            int l = s.sackLeft[b];
            int r = s.sackRight[b];
            if (Seq.lt(l, t.sndUna)) {
                l = t.sndUna;
            }
            if (Seq.gt(r, t.sndMax)) {
                r = t.sndMax;
            }
            if (!Seq.lt(l, r)) {
                continue; // D-SACK or stale block
            }
            sackInsert(t, l, r);
        }
    }

    private static void sackInsert(final Tcb t, final int l, final int r) {
        final int n = t.sackCount;
        int first = -1;
        int last = -1;
        for (int k = 0; k < n; k++) {
            if (Seq.le(t.sackL[k], r) && Seq.ge(t.sackR[k], l)) {
                if (first < 0) {
                    first = k;
                }
                last = k;
            }
        }
        if (first >= 0) {
            t.sackL[first] = Seq.min(l, t.sackL[first]);
            t.sackR[first] = Seq.max(r, t.sackR[last]);
            final int removed = last - first;
            for (int k = last + 1; k < n; k++) {
                t.sackL[k - removed] = t.sackL[k];
                t.sackR[k - removed] = t.sackR[k];
            }
            t.sackCount = n - removed;
            return;
        }
        int p = 0;
        while (p < n && Seq.lt(t.sackL[p], l)) {
            p++;
        }
        if (n == Tcb.MAX_SACK_RANGES) {
            if (p == n) {
                return; // no room for the highest block: forget it (conservative)
            }
            // drop the highest range to make room
            t.sackCount = n - 1;
        }
        for (int k = t.sackCount; k > p; k--) {
            t.sackL[k] = t.sackL[k - 1];
            t.sackR[k] = t.sackR[k - 1];
        }
        t.sackL[p] = l;
        t.sackR[p] = r;
        t.sackCount++;
    }

    private static void sackPrune(final Tcb t) {
        int k = 0;
        while (k < t.sackCount && Seq.le(t.sackR[k], t.sndUna)) {
            k++;
        }
        if (k > 0) {
            for (int i = k; i < t.sackCount; i++) {
                t.sackL[i - k] = t.sackL[i];
                t.sackR[i - k] = t.sackR[i];
            }
            t.sackCount -= k;
        }
        if (t.sackCount > 0 && Seq.lt(t.sackL[0], t.sndUna)) {
            t.sackL[0] = t.sndUna;
        }
    }

    private static int sackedBytes(final Tcb t) {
        int sum = 0;
        for (int k = 0; k < t.sackCount; k++) {
            sum += t.sackR[k] - t.sackL[k];
        }
        return sum;
    }

    /** Payload bytes per full segment: the SMSS less the timestamp option every segment carries (RFC 7323 §3). */
    private static int maxSegment(final Tcb t) {
        return t.sndMss - (t.tsOn ? OPT_TS_BYTES : 0);
    }

    private static int sackedBelow(final Tcb t, final int seq) {
        int sum = 0;
        for (int k = 0; k < t.sackCount && Seq.lt(t.sackL[k], seq); k++) {
            sum += Seq.min(t.sackR[k], seq) - t.sackL[k];
        }
        return sum;
    }

    /** Bytes of holes below the highest SACKed byte, at or above {@code from} (lost, not yet retransmitted). */
    private static int holesFrom(final Tcb t, final int from) {
        int cursor = from;
        int sum = 0;
        for (int k = 0; k < t.sackCount; k++) {
            if (Seq.lt(cursor, t.sackL[k])) {
                sum += t.sackL[k] - cursor;
            }
            cursor = Seq.max(cursor, t.sackR[k]);
        }
        return sum;
    }

    /** RFC 6675 §4 SetPipe, simplified: holes below the highest SACK and above HighRxt count as lost. */
    private static int pipe(final Tcb t) {
        final int from = Seq.max(t.highRxt, t.sndUna);
        return (t.sndMax - t.sndUna) - sackedBytes(t) - holesFrom(t, from);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Output
    // ------------------------------------------------------------------------------------------------------------

    private static boolean canSendData(final int state) {
        return state == ESTABLISHED || state == CLOSE_WAIT || state == FIN_WAIT_1 || state == CLOSING
            || state == LAST_ACK;
    }

    private void output(final Tcb t, final long nowNs, final SegmentSink out) {
        final int st = t.state;
        if (st == SYN_SENT || st == SYN_RECEIVED) {
            if (t.sndNxt == t.iss || (st == SYN_RECEIVED && t.ackNow)) {
                if (t.retransmits == 0 && !t.tsOn && t.sndMax == t.iss) {
                    t.rttTiming = true;
                    t.rttSeq = t.iss + 1;
                    t.rttStartNs = nowNs;
                }
                if (emit(t, out, t.iss, 0, st == SYN_SENT ? SYN : SYN | ACK, nowNs)) {
                    t.sndNxt = t.iss + 1;
                    if (Seq.lt(t.sndMax, t.sndNxt)) {
                        t.sndMax = t.sndNxt;
                    }
                    t.rtxDeadlineNs = nowNs + t.rtoNs;
                }
            }
            armTimer(t);
            return;
        }
        if (st == TIME_WAIT || !canSendData(st)) {
            if (t.ackNow) {
                emit(t, out, t.sndMax, 0, ACK, nowNs);
            }
            armTimer(t);
            return;
        }
        final int maxSeg = maxSegment(t);
        int inflight = t.flight();

        // Loss recovery retransmissions (RFC 6582 §3.2 step 2/5, RFC 6675 §5 NextSeg rule 1).
        if (t.rtxAtUna) {
            t.rtxAtUna = false;
            final int sent = retransmitAt(t, out, t.sndUna, maxSeg, nowNs);
            if (sent > 0 && t.sackOn && Seq.lt(t.highRxt, t.sndUna + sent)) {
                t.highRxt = t.sndUna + sent;
            }
        }
        if (t.inRecovery && t.sackOn) {
            inflight = pipe(t);
            int guard = 64;
            while (t.cwnd - inflight >= maxSeg && guard-- > 0 && t.sackCount > 0) {
                int cursor = Seq.max(t.highRxt, t.sndUna);
                int holeEnd = cursor;
                for (int k = 0; k < t.sackCount; k++) {
                    if (Seq.lt(cursor, t.sackL[k])) {
                        holeEnd = t.sackL[k];
                        break;
                    }
                    cursor = Seq.max(cursor, t.sackR[k]);
                }
                if (holeEnd == cursor || !Seq.lt(cursor, holeEnd)) {
                    break;
                }
                final int sent = retransmitAt(t, out, cursor, Math.min(maxSeg, holeEnd - cursor), nowNs);
                if (sent <= 0) {
                    break;
                }
                c.sackRetransmits.incrementRelease();
                t.highRxt = cursor + sent;
                inflight += sent;
            }
        }

        // New data and FIN (RFC 9293 §3.8.6.2.1 sender SWS avoidance, Nagle per RFC 1122 §4.2.3.4).
        final int dataEnd = t.dataEnd();
        final boolean goBackN = t.sackCount > 0 && !t.inRecovery && Seq.lt(t.sndNxt, t.sndMax);
        if (goBackN) {
            inflight -= sackedBelow(t, t.sndNxt); // RFC 6675 §4: SACKed bytes are not in the pipe
        }
        boolean sentNew = false;
        while (true) {
            int sackEdge = dataEnd;
            if (goBackN && Seq.lt(t.sndNxt, t.sndMax)) {
                // RFC 6675 §5.1: after a timeout, what the receiver SACKed is not sent again.
                for (int k = 0; k < t.sackCount; k++) {
                    if (Seq.le(t.sackL[k], t.sndNxt) && Seq.lt(t.sndNxt, t.sackR[k])) {
                        t.sndNxt = Seq.min(t.sackR[k], t.sndMax);
                    } else if (Seq.gt(t.sackL[k], t.sndNxt)) {
                        sackEdge = Seq.min(sackEdge, t.sackL[k]);
                        break;
                    }
                }
            }
            final int unsent = dataEnd - t.sndNxt;
            if (unsent <= 0) {
                if (t.finQueued && t.sndNxt == dataEnd) {
                    // Deviation, as Linux: a bare FIN is sent even into a zero window.
                    if (emit(t, out, dataEnd, 0, FIN | ACK, nowNs)) {
                        t.sndNxt = dataEnd + 1;
                        if (Seq.lt(t.sndMax, t.sndNxt)) {
                            t.sndMax = t.sndNxt;
                        }
                        inflight++;
                    }
                }
                break;
            }
            final int wndRoom = t.sndUna + t.sndWnd - t.sndNxt;
            final int cwRoom = t.cwnd - inflight;
            int len = Math.min(Math.min(unsent, maxSeg), Math.min(wndRoom, cwRoom));
            if (Seq.lt(sackEdge, dataEnd)) {
                len = Math.min(len, sackEdge - t.sndNxt); // stop at the next SACKed block
            }
            if (len <= 0) {
                break;
            }
            if (len < maxSeg && !t.forceSend && !Seq.lt(t.sndNxt, t.sndMax)) { // (a resend is never held back)
                if (len < unsent) {
                    if (!(inflight == 0 && len >= t.maxSndWnd / 2)) {
                        break; // window- or cwnd-limited runt: wait for ACKs or the override timer
                    }
                } else if (t.nagle && inflight > 0) {
                    break; // RFC 1122 §4.2.3.4: Nagle holds a runt while data is unacknowledged
                }
            }
            final boolean fin = t.finQueued && t.sndNxt + len == dataEnd;
            final int seqSent = t.sndNxt;
            if (!emit(t, out, seqSent, len, fin ? FIN | ACK | PSH : (len == unsent ? ACK | PSH : ACK), nowNs)) {
                break;
            }
            if (!t.tsOn && !t.rttTiming && seqSent == t.sndMax) {
                t.rttTiming = true; // RFC 6298 §3: time one segment per RTT, never a retransmitted one
                t.rttSeq = seqSent + len;
                t.rttStartNs = nowNs;
            }
            t.sndNxt = seqSent + len + (fin ? 1 : 0);
            if (Seq.lt(t.sndMax, t.sndNxt)) {
                t.sndMax = t.sndNxt;
                sentNew = true;
            }
            inflight += len;
            if (fin) {
                break;
            }
        }
        t.forceSend = false;
        if (t.ackNow) {
            emit(t, out, t.sndMax, 0, ACK, nowNs);
        }
        // RFC 6298 §5.1: start the timer when data is outstanding.
        if (t.flight() > 0 || Seq.lt(t.sndNxt, t.sndMax)) {
            // RFC 8985 §7.2: the PTO restarts after new data is sent; an RTO already running is left alone.
            if (t.rtxDeadlineNs == Long.MAX_VALUE || (sentNew && (t.tlpArmed || tlpAllowed(t)))) {
                armRetransmitTimer(t, nowNs);
            }
            t.persistDeadlineNs = Long.MAX_VALUE;
        } else if (dataEnd - t.sndNxt > 0 && t.persistDeadlineNs == Long.MAX_VALUE) {
            // Nothing in flight yet data waits: zero window or SWS hold — the persist / override timer.
            t.persistDeadlineNs = nowNs + Math.min(t.rtoNs << t.persistBackoff, cfg.rtoMaxNs);
        }
        if (t.unackedBytes > 0 && t.delAckDeadlineNs == Long.MAX_VALUE) {
            t.delAckDeadlineNs = nowNs + cfg.delayedAckNs;
        }
        armTimer(t);
    }

    /** Re-sends up to {@code maxLen} bytes (and the FIN if it was sent and follows) from {@code seq}. */
    private int retransmitAt(final Tcb t, final SegmentSink out, final int seq, final int maxLen, final long nowNs) {
        final int dataEnd = t.dataEnd();
        int len = Math.min(maxLen, dataEnd - seq);
        if (len < 0) {
            len = 0;
        }
        final boolean fin = t.finQueued && seq + len == dataEnd && Seq.gt(t.sndMax, dataEnd);
        if (len == 0 && !fin) {
            return 0;
        }
        if (!emit(t, out, seq, len, fin ? FIN | ACK : ACK, nowNs)) {
            return 0;
        }
        c.retransmits.incrementRelease();
        t.lastRxtNs = nowNs;
        if (seq == t.sndUna) {
            t.rxtUnaNs = nowNs;
        }
        return len + (fin ? 1 : 0);
    }

    /**
     * Builds and sends one segment of a connection. Pure ACKs carry SEG.SEQ = sndMax (the RFC's SND.NXT; a
     * go-back-N rewind must not make them look old to the peer's acceptability test, RFC 9293 §3.10.7.4).
     *
     * @return false when the sink had no room (counted)
     */
    private boolean emit(final Tcb t, final SegmentSink out, final int seq, final int len, final int flags,
        final long nowNs) {
        final boolean syn = (flags & SYN) != 0;
        int optLen;
        int sackBlocks = 0;
        if (syn) {
            optLen = 4;
            final boolean active = t.state == SYN_SENT;
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
            if (t.sackOn && t.oooCount > 0 && (flags & ACK) != 0) {
                sackBlocks = Math.min(t.oooCount, t.tsOn ? 3 : 4);
                optLen += 4 + 8 * sackBlocks;
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
        final int window = syn ? Math.min(rcvCap, 65535) : advertiseWindow(t);
        writeHeader(b, o, t.localPort, t.remotePort, seq, (flags & ACK) != 0 ? t.rcvNxt : 0, flags, window, hl);
        int p = o + MIN_LENGTH;
        if (syn) {
            final boolean active = t.state == SYN_SENT;
            p = putMss(b, p, cfg.mss);
            if (active ? cfg.windowScale : t.wsOn) {
                p = putWscale(b, p, cfg.windowScaleShift);
            }
            if (active ? cfg.sack : t.sackOn) {
                p = putSackPermitted(b, p);
            }
            if (active ? cfg.timestamps : t.tsOn) {
                p = putTimestamps(b, p, tsNow(t, nowNs), active ? 0 : t.tsRecent);
            }
            if (!active) {
                t.rcvAdvEdge = t.rcvNxt + window;
            }
        } else {
            if (t.tsOn) {
                p = putTimestamps(b, p, tsNow(t, nowNs), t.tsRecent);
            }
            if (sackBlocks > 0) {
                // RFC 2018 §4: the first block holds the most recently received segment.
                b.putByte(p, (byte) OPT_NOP);
                b.putByte(p + 1, (byte) OPT_NOP);
                b.putByte(p + 2, (byte) OPT_SACK);
                b.putByte(p + 3, (byte) (2 + 8 * sackBlocks));
                p += 4;
                final int latest = t.oooLatest >= 0 ? t.oooLatest : 0;
                p = putSackBlock(b, p, t.oooL[latest], t.oooR[latest]);
                int written = 1;
                for (int k = 0; k < t.oooCount && written < sackBlocks; k++) {
                    if (k != latest) {
                        p = putSackBlock(b, p, t.oooL[k], t.oooR[k]);
                        written++;
                    }
                }
            }
        }
        if (len > 0) {
            int pos = t.sndHead + (seq - t.sndBufSeq);
            if (pos >= sndCap) {
                pos -= sndCap;
            }
            final int first = Math.min(len, sndCap - pos);
            b.putBytes(o + hl, slabBuf, t.sndBase + pos, first);
            if (first < len) {
                b.putBytes(o + hl + first, slabBuf, t.sndBase, len - first);
            }
        }
        b.putShort(o + CHECKSUM_OFFSET, (short) Checksum.tcp(t.localIp, t.remoteIp, b, o, total),
            ByteOrder.BIG_ENDIAN);
        out.commit();
        c.segmentsOut.incrementRelease();
        if (len > 0) {
            c.bytesOut.getAndAddRelease(len);
        }
        if ((flags & ACK) != 0) {
            t.ackNow = false;
            t.unackedBytes = 0;
            t.delAckDeadlineNs = Long.MAX_VALUE;
            t.lastAckSent = t.rcvNxt;
        }
        return true;
    }

    /** The window field to send (RFC 7323 §2.3 scaled), with receiver SWS avoidance (RFC 9293 §3.8.6.2.2). */
    private int advertiseWindow(final Tcb t) {
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

    private static void writeHeader(final MutableDirectBuffer b, final int o, final int srcPort, final int dstPort,
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

    /** A segment without a TCB (RST replies, SYN cookies' RSTs). */
    private void sendRaw(final SegmentSink out, final int localIp, final int remoteIp, final int localPort,
        final int remotePort, final int seq, final int ack, final int flags, final int window) {
        final int o = out.claim(localIp, remoteIp, MIN_LENGTH);
        if (o < 0) {
            c.dropNoSinkRoom.incrementRelease();
            return;
        }
        final MutableDirectBuffer b = out.buffer();
        writeHeader(b, o, localPort, remotePort, seq, ack, flags, window, MIN_LENGTH);
        b.putShort(o + CHECKSUM_OFFSET, (short) Checksum.tcp(localIp, remoteIp, b, o, MIN_LENGTH),
            ByteOrder.BIG_ENDIAN);
        out.commit();
        c.segmentsOut.incrementRelease();
        if ((flags & RST) != 0) {
            c.rstsOut.incrementRelease();
        }
    }

    private void queueRst(final int localIp, final int remoteIp, final int localPort, final int remotePort,
        final int seq, final int ack, final int flags) {
        if (rstCount == PENDING_RST_CAPACITY) {
            c.dropRstQueueFull.incrementRelease();
            return;
        }
        rstLocalIp[rstCount] = localIp;
        rstRemoteIp[rstCount] = remoteIp;
        rstPorts[rstCount] = (localPort << 16) | remotePort;
        rstSeq[rstCount] = seq;
        rstAck[rstCount] = ack;
        rstFlags[rstCount] = flags;
        rstCount++;
    }

    // ------------------------------------------------------------------------------------------------------------
    // SYN cookies (RFC 4987 §3.6, Linux-style encoding)
    // ------------------------------------------------------------------------------------------------------------

    private void rotateCookieSecrets(final long nowNs) {
        if (cookieRotateAtNs == Long.MIN_VALUE) {
            cookieRotateAtNs = nowNs + cfg.cookieSecretRotationNs;
            return;
        }
        if (nowNs >= cookieRotateAtNs) {
            // Two generations are accepted: the current and the previous one. A long pause retires both.
            final boolean both = nowNs >= cookieRotateAtNs + cfg.cookieSecretRotationNs;
            cookieGen ^= 1;
            cookieK0[cookieGen] = entropy.nextLong();
            cookieK1[cookieGen] = entropy.nextLong();
            if (both) {
                cookieK0[cookieGen ^ 1] = entropy.nextLong();
                cookieK1[cookieGen ^ 1] = entropy.nextLong();
            }
            cookieRotateAtNs = nowNs + cfg.cookieSecretRotationNs;
        }
    }

    /**
     * ISN = generation (1 bit) | MSS index (3 bits) | 28 bits of SipHash(secret[gen], four-tuple, peer ISN).
     */
    private int cookie(final int gen, final int mssIdx, final int localIp, final int localPort, final int remoteIp,
        final int remotePort, final int peerIsn) {
        final long h = SipHash.hash(cookieK0[gen], cookieK1[gen], ConnectionTable.addrKey(localIp, remoteIp),
            ((long) ConnectionTable.portKey(localPort, remotePort) << 32) | (peerIsn & 0xFFFF_FFFFL));
        return (gen << 31) | (mssIdx << 28) | ((int) h & 0x0FFF_FFFF);
    }

    private void sendCookieSynAck(final TcpSegment s, final int srcIp, final int dstIp, final long nowNs,
        final SegmentSink out) {
        rotateCookieSecrets(nowNs);
        final int peerMss = s.mss > 0 ? s.mss : DEFAULT_MSS;
        int mssIdx = 0;
        for (int i = COOKIE_MSS.length - 1; i >= 0; i--) {
            if (COOKIE_MSS[i] <= peerMss) {
                mssIdx = i;
                break;
            }
        }
        final int iss = cookie(cookieGen, mssIdx, dstIp, s.dstPort, srcIp, s.srcPort, s.seq);
        final boolean ts = cfg.timestamps && s.hasTimestamps;
        final boolean ws = cfg.windowScale && s.wscale >= 0;
        final boolean sack = cfg.sack && s.sackPermitted;
        final int optLen = 4 + (ts && ws ? 4 : 0) + (ts && sack ? 4 : 0) + (ts ? OPT_TS_BYTES : 0);
        final int hl = MIN_LENGTH + optLen;
        final int o = out.claim(dstIp, srcIp, hl);
        if (o < 0) {
            c.dropNoSinkRoom.incrementRelease();
            return;
        }
        final MutableDirectBuffer b = out.buffer();
        writeHeader(b, o, s.dstPort, s.srcPort, iss, s.seq + 1, SYN | ACK, Math.min(rcvCap, 65535), hl);
        int p = putMss(b, o + MIN_LENGTH, cfg.mss);
        if (ts) {
            // Without timestamps there is nowhere to keep window scale and SACK: they are off (as Linux).
            if (ws) {
                p = putWscale(b, p, cfg.windowScaleShift);
            }
            if (sack) {
                p = putSackPermitted(b, p);
            }
            // Linux-style: the low 6 bits of TSval carry wscale (4 bits, 0xF = none), SACK (bit 4); bit 5 (ECN in
            // Linux) stays 0 since this engine does not negotiate ECN.
            final int bits = (ws ? Math.min(s.wscale, MAX_WSCALE) : COOKIE_WS_NONE) | (sack ? 0x10 : 0);
            final int tsVal = (tsClock(dstIp, s.dstPort, srcIp, s.srcPort, nowNs) & ~0x3F) | bits;
            putTimestamps(b, p, tsVal, s.tsVal);
        }
        b.putShort(o + CHECKSUM_OFFSET, (short) Checksum.tcp(dstIp, srcIp, b, o, hl), ByteOrder.BIG_ENDIAN);
        out.commit();
        c.segmentsOut.incrementRelease();
        c.synCookiesSent.incrementRelease();
        // ACKs are checked against cookies while one could still be valid (2 periods), plus one to count late ones.
        cookiesActiveUntilNs = nowNs + 3 * cfg.cookieSecretRotationNs;
    }

    /** Validates the ACK completing a cookie handshake and creates the ESTABLISHED TCB. */
    private boolean cookieAccept(final TcpHandler l, final TcpSegment s, final int srcIp, final int dstIp,
        final long nowNs, final SegmentSink out) {
        rotateCookieSecrets(nowNs);
        final int iss = s.ack - 1;
        final int peerIsn = s.seq - 1;
        final int gen = iss >>> 31;
        final int mssIdx = (iss >>> 28) & 7;
        if (cookie(gen, mssIdx, dstIp, s.dstPort, srcIp, s.srcPort, peerIsn) != iss) {
            return false;
        }
        if (freeSlotCount == 0) {
            reapTimeWait();
        }
        if (freeSlotCount == 0) {
            c.dropNoTcb.incrementRelease();
            return true; // valid cookie but no room: drop silently, the peer retransmits
        }
        c.synCookiesAccepted.incrementRelease();
        final Tcb t = allocTcb(dstIp, s.dstPort, srcIp, s.srcPort);
        t.handler = l;
        t.passive = true;
        t.irs = peerIsn;
        t.rcvNxt = s.seq;
        t.rcvAdvEdge = t.rcvNxt + Math.min(rcvCap, 65535);
        t.iss = iss;
        t.sndUna = t.sndNxt = t.sndMax = s.ack;
        t.sndBufSeq = iss + 1;
        t.recover = iss;
        t.sndMss = Math.min(COOKIE_MSS[mssIdx], cfg.mss);
        if (cfg.timestamps && s.hasTimestamps) {
            t.tsOn = true;
            t.tsRecent = s.tsVal;
            t.tsRecentNs = nowNs;
            final int bits = s.tsEcr & 0x3F;
            if ((bits & 0xF) != COOKIE_WS_NONE && cfg.windowScale) {
                t.wsOn = true;
                t.sndWscale = bits & 0xF;
                t.rcvWscale = cfg.windowScaleShift;
            }
            t.sackOn = cfg.sack && (bits & 0x10) != 0;
        }
        t.tsOffset = tsOffset(t);
        t.sndWnd = s.window << t.sndWscale;
        t.maxSndWnd = t.sndWnd;
        t.sndWl1 = s.seq;
        t.sndWl2 = s.ack;
        t.rtoNs = cfg.rtoInitialNs;
        t.lastRecvNs = nowNs;
        t.lastAckSent = t.rcvNxt;
        setState(t, SYN_RECEIVED);
        final long h = t.handle();
        establish(t, nowNs);
        if (alive(t, h) && (s.payloadLength > 0 || s.has(FIN))) {
            segmentArrives(t, s, nowNs, out);
        } else if (alive(t, h)) {
            markDirty(t);
            armTimer(t);
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Connection lifecycle
    // ------------------------------------------------------------------------------------------------------------

    /** Handshake options (RFC 9293 §3.7.1 MSS, RFC 7323 §2.2 / §3.2, RFC 2018 §2). */
    private void negotiateOptions(final Tcb t, final TcpSegment s, final long nowNs) {
        t.sndMss = Math.min(s.mss > 0 ? s.mss : DEFAULT_MSS, cfg.mss);
        if (cfg.windowScale && s.wscale >= 0) {
            t.wsOn = true;
            // RFC 7323 §2.3: a shift above 14 is treated as 14.
            t.sndWscale = Math.min(s.wscale, MAX_WSCALE);
            t.rcvWscale = cfg.windowScaleShift;
        } else {
            t.wsOn = false;
            t.sndWscale = 0;
            t.rcvWscale = 0;
        }
        t.tsOn = cfg.timestamps && s.hasTimestamps;
        if (t.tsOn) {
            t.tsRecent = s.tsVal;
            t.tsRecentNs = nowNs;
        }
        t.sackOn = cfg.sack && s.sackPermitted;
        t.lastAckSent = t.rcvNxt;
    }

    private void establish(final Tcb t, final long nowNs) {
        if (t.inBacklog) {
            t.inBacklog = false;
            backlog[t.localPort]--;
        }
        t.closeDeadlineNs = Long.MAX_VALUE;
        cc.init(t, cfg.initialWindowSegments);
        if (t.retransmits > 0) {
            // RFC 5681 §3.1 (and RFC 6298 §5.7): after a lost SYN or SYN-ACK the initial window is one segment.
            t.cwnd = t.sndMss;
        }
        t.retransmits = 0;
        setState(t, ESTABLISHED);
        if (t.keepalive) {
            t.keepaliveDeadlineNs = nowNs + cfg.keepaliveIdleNs;
        }
        if (t.passive) {
            c.passiveOpens.incrementRelease();
        }
        if (t.finQueued) {
            setState(t, FIN_WAIT_1);
        }
        t.opened = true;
        if (t.passive) {
            t.appAttached = true;
        }
        if (t.appAttached) {
            t.handler.onOpen(t.handle());
        }
    }

    private void queueFin(final Tcb t) {
        t.finQueued = true;
        switch (t.state) {
            case ESTABLISHED -> setState(t, FIN_WAIT_1);
            case CLOSE_WAIT -> setState(t, LAST_ACK);
            default -> {
                // SYN-SENT / SYN-RECEIVED: the FIN is queued until ESTABLISHED (RFC 9293 §3.10.4).
            }
        }
        markDirty(t);
    }

    private static boolean finAcked(final Tcb t) {
        return t.finQueued && Seq.gt(t.sndUna, t.dataEnd());
    }

    /** RFC 9293 §3.10.7.4: TIME-WAIT for 2 MSL; the app's handle dies here (onClose NORMAL). */
    private void enterTimeWait(final Tcb t, final long nowNs) {
        setState(t, TIME_WAIT);
        t.rtxDeadlineNs = t.persistDeadlineNs = t.keepaliveDeadlineNs = t.delAckDeadlineNs = Long.MAX_VALUE;
        t.closeDeadlineNs = nowNs + cfg.timeWaitNs();
        t.rcvFinPending = false;
        markDirty(t);
        armTimer(t);
        final int n = timeWaitSlots.length;
        if (timeWaitCount == n) { // full of entries, most of them stale: forget the oldest
            timeWaitHead = (timeWaitHead + 1) % n;
            timeWaitCount--;
        }
        final int tail = (timeWaitHead + timeWaitCount) % n;
        timeWaitSlots[tail] = t.slot;
        timeWaitGenerations[tail] = t.generation;
        timeWaitCount++;
        detachInTimeWait(t);
    }

    /**
     * The TCB pool is empty: end the oldest connection still in TIME_WAIT before its 2 MSL are up.
     * Deviation, as Linux (tcp_max_tw_buckets): when TIME_WAIT would exhaust the table, it is cut short and
     * counted ({@code time_wait_recycled}) rather than refusing new connections. Its app handle is already dead.
     */
    private void reapTimeWait() {
        final int n = timeWaitSlots.length;
        while (timeWaitCount > 0) {
            final int slot = timeWaitSlots[timeWaitHead];
            final int generation = timeWaitGenerations[timeWaitHead];
            timeWaitHead = (timeWaitHead + 1) % n;
            timeWaitCount--;
            final Tcb t = tcbs[slot];
            if (t.state == TIME_WAIT && t.generation == generation && !t.appAttached) {
                c.timeWaitRecycled.incrementRelease();
                closeConn(t, CloseReason.NORMAL);
                return;
            }
        }
    }

    /**
     * In TIME_WAIT the app's handle dies (onPeerFin, then onClose NORMAL) once it consumed every received byte;
     * until then the TCB keeps offering the rest of the receive buffer.
     */
    private void detachInTimeWait(final Tcb t) {
        if (t.state == TIME_WAIT && t.appAttached && t.rcvLen == 0) {
            notifyPeerFin(t);
            if (t.state == TIME_WAIT && t.appAttached) {
                t.appAttached = false;
                t.handler.onClose(t.handle(), CloseReason.NORMAL);
            }
        }
    }

    /** RFC 6191 §2: a SYN may reopen a TIME-WAIT four-tuple if its timestamp (or sequence) is newer. */
    private static boolean timeWaitReopen(final Tcb t, final TcpSegment s) {
        if (t.tsOn && s.hasTimestamps) {
            return Seq.gt(s.tsVal, t.tsRecent);
        }
        if (!t.tsOn && !s.hasTimestamps) {
            return Seq.gt(s.seq, t.rcvNxt); // RFC 1122 §4.2.2.13
        }
        return false;
    }

    private Tcb allocTcb(final int localIp, final int localPort, final int remoteIp, final int remotePort) {
        final Tcb t = tcbs[freeSlots[--freeSlotCount]];
        t.localIp = localIp;
        t.localPort = localPort;
        t.remoteIp = remoteIp;
        t.remotePort = remotePort;
        t.chunk = slab.allocate();
        t.sndBase = t.chunk;
        t.rcvBase = t.chunk + sndCap;
        t.rtoNs = cfg.rtoInitialNs;
        t.nagle = cfg.nagle;
        t.keepalive = cfg.keepalive;
        t.tsOffset = tsOffset(t);
        table.put(localIp, localPort, remoteIp, remotePort, t.slot);
        return t;
    }

    /** The handle dies (onClose once, if the app still holds it) and the TCB returns to the pool. */
    private void closeConn(final Tcb t, final int reason) {
        final boolean notify = t.appAttached;
        final TcpHandler handler = t.handler;
        final long h = t.handle();
        freeTcb(t);
        if (notify) {
            handler.onClose(h, reason);
        }
    }

    private void freeTcb(final Tcb t) {
        if (t.timerId != DeadlineTimerWheel.NULL_DEADLINE) {
            wheel.cancelTimer(t.timerId);
            timerSlots.remove(t.timerId);
        }
        table.remove(t.localIp, t.localPort, t.remoteIp, t.remotePort);
        if (t.chunk >= 0) {
            slab.release(t.chunk);
        }
        if (t.inBacklog) {
            backlog[t.localPort]--;
        }
        setState(t, CLOSED);
        t.generation++;
        t.reset();
        freeSlots[freeSlotCount++] = t.slot;
    }

    private void setState(final Tcb t, final int s) {
        if (t.state != s) {
            c.stateChange(t.state, s);
            t.state = s;
        }
    }

    /** Nagle's algorithm (RFC 1122 §4.2.3.4) for one connection; off by default (low latency). */
    public void setNagle(final long handle, final boolean on) {
        final Tcb t = lookup(handle);
        if (t != null) {
            t.nagle = on;
            if (!on) {
                markDirty(t); // what Nagle held back may go now
            }
        }
    }

    /** Keepalive probes (RFC 1122 §4.2.3.6) for one connection, with the configured idle, interval and count. */
    public void setKeepalive(final long handle, final boolean on, final long nowNs) {
        final Tcb t = lookup(handle);
        if (t != null && t.keepalive != on) {
            t.keepalive = on;
            t.keepaliveProbes = 0;
            t.keepaliveDeadlineNs = on && t.state == ESTABLISHED ? nowNs + cfg.keepaliveIdleNs : Long.MAX_VALUE;
            armTimer(t);
        }
    }

    private Tcb lookup(final long handle) {
        final int s = (int) handle;
        if (s < 0 || s >= tcbs.length) {
            return null;
        }
        final Tcb t = tcbs[s];
        if (t.generation != (int) (handle >>> 32) || t.state == CLOSED || !t.appAttached) {
            return null;
        }
        return t;
    }

    private static boolean alive(final Tcb t, final long h) {
        return t.state != CLOSED && t.handle() == h;
    }

    private void markDirty(final Tcb t) {
        if (!t.dirty) {
            t.dirty = true;
            dirtyQ[(dirtyHead + dirtyCount) % dirtyQ.length] = t.slot;
            dirtyCount++;
        }
    }

    /** Keeps one wheel timer per TCB at the earliest of its deadlines (lazy: an early timer just re-arms). */
    private void armTimer(final Tcb t) {
        long d = Math.min(Math.min(t.rtxDeadlineNs, t.delAckDeadlineNs), Math.min(t.persistDeadlineNs,
            Math.min(t.keepaliveDeadlineNs, t.closeDeadlineNs)));
        if (t.state == CLOSED) {
            d = Long.MAX_VALUE;
        }
        if (t.timerId != DeadlineTimerWheel.NULL_DEADLINE) {
            if (d != Long.MAX_VALUE && t.timerDeadlineNs <= d) {
                return;
            }
            wheel.cancelTimer(t.timerId);
            timerSlots.remove(t.timerId);
            t.timerId = DeadlineTimerWheel.NULL_DEADLINE;
            t.timerDeadlineNs = Long.MAX_VALUE;
        }
        if (d == Long.MAX_VALUE || t.fired) {
            return; // a fired TCB re-arms after its timers ran
        }
        t.timerId = wheel.scheduleTimer(d);
        t.timerDeadlineNs = d;
        if (deadlineCacheValid && d < cachedNextDeadlineNs) {
            cachedNextDeadlineNs = d;
        }
        timerSlots.put(t.timerId, t.slot);
    }

    private void startWheel(final long nowNs) {
        if (!wheelStarted) {
            wheelStarted = true;
            wheel.resetStartTime(nowNs);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Numbers: ISN, timestamps, ephemeral ports
    // ------------------------------------------------------------------------------------------------------------

    /** RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey). */
    private int isn(final Tcb t, final long nowNs) {
        final long f = SipHash.hash(isnK0, isnK1, ConnectionTable.addrKey(t.localIp, t.remoteIp),
            ConnectionTable.portKey(t.localPort, t.remotePort));
        return (int) (nowNs / ISN_TICK_NS) + (int) f;
    }

    /** RFC 7323 §7.1: a per-connection random offset keeps timestamps from leaking the clock. */
    private int tsOffset(final Tcb t) {
        return (int) SipHash.hash(tsK0, tsK1, ConnectionTable.addrKey(t.localIp, t.remoteIp),
            ConnectionTable.portKey(t.localPort, t.remotePort));
    }

    private int tsClock(final int localIp, final int localPort, final int remoteIp, final int remotePort,
        final long nowNs) {
        return (int) (nowNs / TS_TICK_NS) + (int) SipHash.hash(tsK0, tsK1, ConnectionTable.addrKey(localIp, remoteIp),
            ConnectionTable.portKey(localPort, remotePort));
    }

    private static int tsNow(final Tcb t, final long nowNs) {
        return (int) (nowNs / TS_TICK_NS) + t.tsOffset;
    }

    /** RFC 6056 §3.3.3, algorithm 3 (simple hash-based), honouring the {@link FlowFilter}. */
    private int pickEphemeralPort(final int localIp, final int remoteIp, final int remotePort) {
        final int min = cfg.ephemeralPortMin;
        final int num = cfg.ephemeralPortMax - min + 1;
        final long offset = SipHash.hash(portK0, portK1, ConnectionTable.addrKey(localIp, remoteIp), remotePort)
            & Long.MAX_VALUE;
        for (int count = 0; count < num; count++) {
            final int port = min + (int) Math.floorMod(nextEphemeral + offset, (long) num);
            nextEphemeral++;
            if (listeners[port] == null && table.get(localIp, port, remoteIp, remotePort) < 0
                && (flowFilter == null || flowFilter.ownsLocalPort(localIp, port, remoteIp, remotePort))) {
                return port;
            }
        }
        return -1;
    }
}
