package io.strait.tcp;

import io.strait.tcp.wire.Checksum;
import io.strait.tcp.wire.TcpSegment;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import static io.strait.tcp.TcpState.*;
import static io.strait.tcp.wire.TcpHeader.*;

/**
 * A per-core, shared-nothing TCP engine: the public API, demultiplexing and the duty cycle over the parts that do
 * the work. It owns no clock, no random source and no I/O: time is {@code nowNs}, randomness comes from an
 * {@link EntropySource}, segments leave through a {@link SegmentSink}.
 *
 * <h2>Layout (package-private final classes over the {@link Tcb}, no virtual dispatch on the fast path)</h2>
 * <ul>
 *   <li>{@link Input}: SEGMENT ARRIVES per state (RFC 9293 §3.10.7), header prediction, RFC 5961, PAWS;</li>
 *   <li>{@link Recovery}: the ACK's effect on the sender: {@link SackScoreboard}, {@link SentSegments},
 *       {@link RackTlp} (RFC 8985), {@link Prr} (RFC 6937), undo, RTO (RFC 6298); {@link CongestionControl}
 *       ({@link NewReno}, {@link Cubic}) with {@link HyStart} (RFC 9406); {@link RttEstimator};</li>
 *   <li>{@link Reassembly}: the receive ring over a {@link RangeSet}, delivery, D-SACK (RFC 2883);</li>
 *   <li>{@link Output} and {@link SegmentWriter}: what to send and how it is written;</li>
 *   <li>{@link IcmpErrors}: ICMP errors after RFC 5927's checks, path MTU discovery (RFC 1191);
 *       {@link MtuProbing}: black holes and probing where ICMP is filtered (RFC 4821);</li>
 *   <li>{@link ActiveOpen}: OPEN (RFC 9293 §3.10.1) and the local port (RFC 6056);</li>
 *   <li>{@link TimerExpiry}: what each deadline does when it fires; {@link WorkDrain}: callbacks and output for
 *       the connections touched since the last poll;</li>
 *   <li>{@link TcbPool}, {@link Listeners}, {@link SynCookies} (RFC 4987), {@link Secrets} (RFC 6528, 6056,
 *       7323 §7.1), {@link Lifecycle}, {@link Timers}, {@link WorkQueue}.</li>
 * </ul>
 *
 * <h2>Reading list</h2>
 * RFC 9293 (TCP), 5961 (blind attacks), 6298 (RTO), 5681 (congestion control), 6582 (NewReno), 7323 (window scale,
 * timestamps, PAWS), 2018 and 6675 (SACK and SACK recovery), 2883 (D-SACK), 8985 (RACK-TLP), 6937 (PRR),
 * 3522 / 3708 (undo), 7661 (CWV), 9406 (HyStart++), 9438 (CUBIC), 6928 (IW10), 4987 (SYN cookies), 6528 (ISN),
 * 6056 (ports), 6191 (TIME_WAIT reuse), 1122 §4.2.3.6 (keepalive), 1122 §4.2.3.9 / 1191 / 5927 (ICMP errors, PMTUD),
 * 4821 (PLPMTUD).
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
    private final TcpConfig cfg;
    private final TcpCounters c;
    private final TcbPool pool;
    private final Tcb[] tcbs;
    private final Listeners listeners = new Listeners();
    private final Timers timers;
    private final WorkQueue work;
    private final SentSegments log;
    private final Secrets secrets;
    private final SegmentWriter writer;
    private final RackTlp rack;
    private final Recovery recovery;
    private final Reassembly reassembly;
    private final Lifecycle lifecycle;
    private final Output output;
    private final Input input;
    private final IcmpErrors icmp;
    private final TimerExpiry expiry;
    private final WorkDrain drain;
    private final UnsafeBuffer slabBuf;
    private final TcpSegment seg = new TcpSegment();
    private final ActiveOpen opens;

    /** RSTs queued by abort() and by failed handlers, sent by the next poll. */
    private final RstQueue rsts;

    /**
     * @param config        tunables
     * @param entropy       the only random source (secrets); read at construction and at cookie rotation
     * @param counters      where the named counters are allocated
     * @param counterPrefix label prefix, e.g. {@code "core0.tcp."}
     */
    public TcpEngine(final TcpConfig config, final EntropySource entropy, final CountersManager counters,
        final String counterPrefix) {
        this.cfg = config;
        this.c = new TcpCounters(counters, counterPrefix);
        c.rtoMinUs.setRelease(config.rtoMinNs / 1000);
        c.tlpMinUs.setRelease(config.tlpMinNs / 1000);
        final CongestionControl cc = switch (config.congestionControl) {
            case TcpConfig.CC_CUBIC -> new Cubic();
            case TcpConfig.CC_BBR -> new Bbr();
            default -> new NewReno();
        };
        pool = new TcbPool(config, c, listeners);
        tcbs = pool.tcbs;
        rsts = pool.rsts();
        timers = pool.timers();
        log = pool.log();
        slabBuf = pool.slab();
        work = new WorkQueue(config.maxConnections);
        secrets = new Secrets(entropy);
        writer = new SegmentWriter(config, c, slabBuf);
        final SynCookies cookies = new SynCookies(config, c, entropy, secrets, writer);
        rack = new RackTlp(log, c);
        final MtuProbing probing = new MtuProbing(config, c, writer, log);
        recovery = new Recovery(config, c, cc, log, rack, probing);
        reassembly = new Reassembly(config, c, slabBuf, writer, work);
        lifecycle = new Lifecycle(config, c, cc, pool, listeners, work);
        reassembly.lifecycle(lifecycle, pool);
        output = new Output(config, c, writer, log, timers, probing);
        input = new Input(config, c, pool, listeners, cookies, secrets, writer, recovery, reassembly, lifecycle,
            output, work);
        icmp = new IcmpErrors(c, log, work, pool);
        drain = new WorkDrain(tcbs, work, reassembly, pool, output);
        expiry = new TimerExpiry(c, pool, recovery, output, timers, work);
        opens = new ActiveOpen(config, c, pool, listeners, input, secrets, work, entropy.nextLong() & 0xFFFF);
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
        opens.flowFilter(f);
    }

    /**
     * The port completes TCP checksums (TX L4 checksum offload, as the dataplane negotiated it): segments leave with
     * the pseudo-header sum in their checksum field, and the payload is not summed here.
     */
    public void txChecksumOffload(final boolean on) {
        writer.txChecksumOffload(on);
    }

    /** Accept connections on {@code port} of any local address. */
    public void listen(final int port, final TcpHandler handler) {
        listeners.listen(port, handler);
    }

    public void unlisten(final int port) {
        listeners.listen(port, null);
    }

    public TcpCounters counters() {
        return c;
    }

    public TcpConfig config() {
        return cfg;
    }

    /** TCBs in use (any state but CLOSED, TIME_WAIT included). */
    public int connectionCount() {
        return pool.inUse();
    }

    /**
     * Calls {@code action} with the handle of every connection the app still holds (opened and not yet passed to
     * {@code onClose}): what an orderly shutdown closes. Not for the fast path: it scans the pool.
     */
    public void forEachConnection(final java.util.function.LongConsumer action) {
        for (final Tcb t : tcbs) {
            if (t.state != TcpState.CLOSED && t.appAttached) {
                action.accept(t.handle());
            }
        }
    }

    /** Timers on the wheel (at most one per TCB). */
    public long scheduledTimers() {
        return timers.count();
    }

    public int freeBufferChunks() {
        return pool.freeChunks();
    }

    public int bufferChunks() {
        return pool.chunks();
    }

    /** Large chunks (buffer autotuning) not borrowed by any connection. */
    public int freeLargeBufferChunks() {
        return pool.freeLargeChunks();
    }

    public int largeBufferChunks() {
        return pool.largeChunks();
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
        final Tcb t = pool.lookup(handle);
        return t == null ? -1 : t.localPort;
    }

    /** Remote port of a live handle; -1 for a stale handle. */
    public int remotePort(final long handle) {
        final Tcb t = pool.lookup(handle);
        return t == null ? -1 : t.remotePort;
    }

    /** Remote IPv4 address (big-endian int) of a live handle; 0 for a stale handle. */
    public int remoteIp(final long handle) {
        final Tcb t = pool.lookup(handle);
        return t == null ? 0 : t.remoteIp;
    }

    /** Local IPv4 address (big-endian int) of a live handle; 0 for a stale handle. */
    public int localIp(final long handle) {
        final Tcb t = pool.lookup(handle);
        return t == null ? 0 : t.localIp;
    }

    /** Bytes written and not yet acknowledged, for a live handle; -1 otherwise. */
    public int sendQueueBytes(final long handle) {
        final Tcb t = pool.lookup(handle);
        return t == null ? -1 : t.sndLen;
    }

    /**
     * Per-connection cap on the send buffer (SO_SNDBUF): {@link #write} accepts bytes while fewer than
     * {@code bytes} are queued, within the engine's ring (and, when the cap is above it, the large ring autotuning
     * may grow it to); a cap at or below the ring stops send autotuning, as a set SO_SNDBUF does on Linux. At
     * least two MSS (smaller values are raised); 0 removes the cap. Lowering it below what is queued drops
     * nothing: writes take no more until the queue falls under it. No-op on a dead handle. Core thread only.
     */
    public void setSendBufferLimit(final long handle, final int bytes) {
        final Tcb t = pool.lookup(handle);
        if (t != null) {
            t.sndBufLimit = bytes <= 0 ? 0 : Math.max(bytes, 2 * cfg.mss);
            TcbPool.applyLimits(t);
            if (t.wantWritable) {
                work.add(t); // a raised cap may let onWritable fire
            }
        }
    }

    /**
     * Per-connection cap on the receive buffer (SO_RCVBUF): the advertised window offers at most {@code bytes}
     * beyond what the app has not consumed, within the engine's ring; a cap at or below the ring stops receive
     * autotuning. At least two MSS; 0 removes the cap. A window already advertised is never taken back (RFC 9293
     * §3.8.6: the right edge does not move left), so a lowered cap shows as the window opens no further. Set it
     * before the SYN (right after {@link #connect}) for the SYN's window to obey it. No-op on a dead handle. Core
     * thread only.
     */
    public void setReceiveBufferLimit(final long handle, final int bytes) {
        final Tcb t = pool.lookup(handle);
        if (t != null) {
            t.rcvBufLimit = bytes <= 0 ? 0 : Math.max(bytes, 2 * cfg.mss);
            TcbPool.applyLimits(t);
        }
    }

    /** The bytes this connection's send buffer holds at most now (its ring, or its cap); -1 for a dead handle. */
    public int sendBufferBytes(final long handle) {
        final Tcb t = pool.lookup(handle);
        return t == null ? -1 : t.sndBufBytes;
    }

    /** The most this connection's receive window offers now (its ring, or its cap); -1 for a dead handle. */
    public int receiveBufferBytes(final long handle) {
        final Tcb t = pool.lookup(handle);
        return t == null ? -1 : t.rcvBufBytes;
    }

    /** Bytes received in order and not yet consumed by the app; -1 for a dead handle. */
    public int receiveQueueBytes(final long handle) {
        final Tcb t = pool.lookup(handle);
        return t == null ? -1 : t.rcvLen;
    }

    /** Current congestion window in bytes (tests and stats). */
    public int congestionWindow(final long handle) {
        final Tcb t = pool.lookup(handle);
        return t == null ? -1 : t.cwnd;
    }

    /** The send MSS in bytes (before options), as negotiated and lowered by path MTU discovery; -1 when dead. */
    public int sendMss(final long handle) {
        final Tcb t = pool.lookup(handle);
        return t == null ? -1 : t.sndMss;
    }

    /**
     * The last soft ICMP error reported for a live connection (RFC 1122 §4.2.3.9, RFC 9293 §3.9.2.2 SHLD-25) as
     * {@code type << 8 | code} (0x0301: host unreachable, 0x0B00: TTL exceeded in transit); 0 when none, or for a
     * dead handle. A soft error never closes the connection; an application may show it when it gives up.
     */
    public int softError(final long handle) {
        final Tcb t = pool.lookup(handle);
        return t == null ? 0 : t.softError;
    }

    /** Current retransmission timeout in ns (tests and stats). */
    public long rtoNs(final long handle) {
        final Tcb t = pool.lookup(handle);
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
        return connect(localIp, 0, remoteIp, remotePort, handler, nowNs);
    }

    /** {@link #localPortUse}: the port can be used. */
    public static final int PORT_FREE = 0;
    /** {@link #localPortUse}: a listener holds the port. */
    public static final int PORT_LISTENING = 1;
    /** {@link #localPortUse}: a connection (or TIME_WAIT) holds the four-tuple. */
    public static final int PORT_IN_USE = 2;
    /** {@link #localPortUse}: the port's replies are steered to another core (the {@link FlowFilter}). */
    public static final int PORT_NOT_STEERED_HERE = 3;

    /**
     * Whether an active open from {@code localPort} to the remote end can happen on this engine: {@link #PORT_FREE},
     * {@link #PORT_LISTENING}, {@link #PORT_IN_USE} or {@link #PORT_NOT_STEERED_HERE}. Core thread only.
     */
    public int localPortUse(final int localIp, final int localPort, final int remoteIp, final int remotePort) {
        return opens.localPortUse(localIp, localPort, remoteIp, remotePort);
    }

    /**
     * {@link #connect(int, int, int, TcpHandler, long)} from a local port the caller chose ({@code localPort} 1..65535,
     * as a socket bound before connect), or, with 0, one the engine picks.
     *
     * @return the handle, or -1 (counted as connect_failures) when the port is not {@link #PORT_FREE}
     *     ({@link #localPortUse} tells why) or no TCB slot is free
     * @throws IllegalArgumentException for a port outside 0..65535
     */
    public long connect(final int localIp, final int localPort, final int remoteIp, final int remotePort,
        final TcpHandler handler, final long nowNs) {
        if (localPort < 0 || localPort > 65535) {
            throw new IllegalArgumentException("local port " + localPort + " is not in 0..65535");
        }
        timers.start(nowNs);
        return opens.open(localIp, localPort, remoteIp, remotePort, handler, nowNs);
    }

    /**
     * Copies bytes into the connection's off-heap send buffer; they are sent by the next {@link #poll}.
     *
     * @return bytes accepted (0 when full: {@link TcpHandler#onWritable} follows), or -1 for a dead handle or
     *     after shutdownOutput/close
     */
    public int write(final long handle, final DirectBuffer src, final int offset, final int length) {
        final Tcb t = pool.lookup(handle);
        if (t == null || t.finQueued) {
            return -1;
        }
        final int st = t.state;
        if (st != SYN_SENT && st != SYN_RECEIVED && st != ESTABLISHED && st != CLOSE_WAIT) {
            return -1;
        }
        if (length > t.sndBufBytes - t.sndLen && t.sndLarge < 0 && 2L * t.cwnd > t.sndCap) {
            pool.growSend(t); // buffer autotuning (as Linux's tcp_sndbuf_expand: 2 x cwnd)
        }
        // Room under the connection's cap (never negative: a cap lowered below what is queued takes nothing more).
        final int n = Math.min(Math.max(length, 0), Math.max(0, t.sndBufBytes - t.sndLen));
        if (n > 0) {
            Ring.put(slabBuf, t.sndBase, t.sndCap, Ring.wrap(t.sndHead, t.sndLen, t.sndCap), src, offset, n);
            t.sndLen += n;
            work.add(t);
        }
        if (n < length) {
            t.wantWritable = true;
        }
        return n;
    }

    /** Half-close: a FIN follows the queued data (RFC 9293 §3.10.4 CLOSE, keeping the receive side open). */
    public void shutdownOutput(final long handle) {
        final Tcb t = pool.lookup(handle);
        if (t == null || t.finQueued) {
            return;
        }
        lifecycle.queueFin(t);
    }

    /**
     * Full close (RFC 9293 §3.10.4). Unread received data makes it an abort (RST), as Linux (RFC 2525 §2.17).
     * The handle stays valid until {@link TcpHandler#onClose}.
     */
    public void close(final long handle) {
        final Tcb t = pool.lookup(handle);
        if (t == null) {
            return;
        }
        if (t.state == SYN_SENT) {
            pool.close(t, CloseReason.NORMAL); // RFC 9293 §3.10.4: CLOSE in SYN-SENT deletes the TCB
            return;
        }
        if (t.rcvLen > 0) {
            abort(handle);
            return;
        }
        t.orphan = true;
        if (!t.finQueued) {
            lifecycle.queueFin(t);
        }
        if (t.state == FIN_WAIT_2 && t.closeDeadlineNs == Long.MAX_VALUE) {
            t.closeDeadlineNs = t.lastRecvNs + cfg.finWait2TimeoutNs;
            timers.arm(t);
        }
    }

    /** Abort (RFC 9293 §3.10.5): RST queued for the next poll, onClose(LOCAL_ABORT) now. */
    public void abort(final long handle) {
        final Tcb t = pool.lookup(handle);
        if (t == null) {
            return;
        }
        if (t.state != SYN_SENT) {
            rsts.add(t);
        }
        pool.close(t, CloseReason.LOCAL_ABORT);
    }

    /** Re-offers data left in the receive buffer to onData (after the app freed room on its side). */
    public void resumeRead(final long handle) {
        final Tcb t = pool.lookup(handle);
        if (t == null || t.rcvLen == 0) {
            return;
        }
        if (reassembly.deliverFromRing(t)) {
            reassembly.maybeWindowUpdate(t);
        }
    }

    /** Nagle's algorithm (RFC 1122 §4.2.3.4) for one connection; off by default (low latency). */
    public void setNagle(final long handle, final boolean on) {
        final Tcb t = pool.lookup(handle);
        if (t != null) {
            t.nagle = on;
            if (!on) {
                work.add(t); // what Nagle held back may go now
            }
        }
    }

    /** Keepalive probes (RFC 1122 §4.2.3.6) for one connection, with the configured idle, interval and count. */
    public void setKeepalive(final long handle, final boolean on, final long nowNs) {
        final Tcb t = pool.lookup(handle);
        if (t != null && t.keepalive != on) {
            t.keepalive = on;
            t.keepaliveProbes = 0;
            t.keepaliveDeadlineNs = on && t.state == ESTABLISHED ? nowNs + cfg.keepaliveIdleNs : Long.MAX_VALUE;
            timers.arm(t);
        }
    }

    /**
     * The earliest time {@link #poll} has work: a timer deadline, or a value at or below any nowNs (0) when
     * output is pending. {@link Long#MAX_VALUE} when idle.
     */
    public long nextDeadlineNs() {
        if (!work.isEmpty() || rsts.count > 0) {
            return 0;
        }
        return timers.nextDeadlineNs();
    }

    /** Test support: the state of a four-tuple's TCB (CLOSED when none); the first broken invariant, or null. */
    int stateOfTuple(final int localIp, final int localPort, final int remoteIp, final int remotePort) {
        final int s = pool.find(localIp, localPort, remoteIp, remotePort);
        return s < 0 ? CLOSED : tcbs[s].state;
    }

    String invariantViolation() {
        return Invariants.check(tcbs, cfg, log);
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
        timers.start(nowNs);
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
        final int slot = pool.find(dstIp, s.dstPort, srcIp, s.srcPort);
        if (slot >= 0) {
            final Tcb t = tcbs[slot];
            if (t.state == TIME_WAIT && (s.flags & (SYN | ACK | RST)) == SYN && Lifecycle.timeWaitReopen(t, s)) {
                // RFC 6191 §2 / RFC 9293 §3.10.7.4 (TIME-WAIT, SYN): a new incarnation reopens the four-tuple.
                c.timeWaitReused.incrementRelease();
                pool.close(t, CloseReason.NORMAL);
            } else {
                t.lastRecvNs = nowNs;
                t.keepaliveProbes = 0;
                if (t.state == SYN_SENT) {
                    input.synSentArrives(t, s, nowNs, out);
                } else {
                    input.segmentArrives(t, s, nowNs, out);
                }
                return;
            }
        }
        final TcpHandler l = listeners.get(s.dstPort);
        if (l != null) {
            input.listenArrives(l, s, srcIp, dstIp, nowNs, out);
        } else {
            input.closedArrives(s, srcIp, dstIp, out);
        }
    }

    /**
     * An ICMP destination unreachable (type 3) or time exceeded (type 11) that quotes a TCP segment this host sent
     * (RFC 792; RFC 9293 §3.9.2.2, MUST-54): {@code localIp:localPort -> remoteIp:remotePort} and the sequence
     * number are read from the quoted headers. The dataplane validated the ICMP message and that the quoted
     * source is ours; every value is still attacker-controlled, and {@link IcmpErrors} checks it before use.
     * Output it causes (segments resent in a smaller size) goes out with the next {@link #poll}.
     *
     * @param nextHopMtu the MTU of a "fragmentation needed" (type 3 code 4, RFC 1191 §4), 0 otherwise
     */
    public void onIcmpError(final int type, final int code, final int nextHopMtu, final int localIp,
        final int remoteIp, final int localPort, final int remotePort, final int seq, final long nowNs) {
        timers.start(nowNs);
        c.icmpErrorsIn.incrementRelease();
        final int slot = ((localPort | remotePort) >>> 16) != 0 ? -1 : pool.find(localIp, localPort, remoteIp,
            remotePort);
        if (slot < 0) {
            // No connection (closed, or never ours): nothing to act on. RFC 9293 §3.9.2.2 has no LISTEN case.
            c.icmpDropNoConnection.incrementRelease();
            return;
        }
        icmp.onError(tcbs[slot], type, code, nextHopMtu, seq, nowNs);
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
        timers.start(nowNs);
        int done = rsts.sendAll(writer, out);
        final int fired = timers.poll(nowNs, cfg.maxTimersPerPoll);
        for (int i = 0; i < fired; i++) {
            final Tcb t = timers.fired(i);
            t.fired = false;
            expiry.expire(t, nowNs, out);
        }
        done += fired;

        done += drain.run(nowNs, out);
        c.timersScheduled.setRelease(timers.count());
        return done;
    }
}
