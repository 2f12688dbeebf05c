package io.strait.dataplane;

import io.strait.dataplane.wire.Ethernet;
import io.strait.dataplane.wire.Ipv4;
import io.strait.tcp.FlowFilter;
import io.strait.tcp.SegmentSink;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.PrintStream;

/**
 * One core's poll loop over one queue pair: a burst of frames in, each dispatched by ethertype, then the transport's
 * timers and output, then one TX flush. An Agrona {@link Agent}: run it pinned on its own thread with an
 * {@code AgentRunner}, or drive it from the app's thread with an {@code AgentInvoker}.
 *
 * <p>The layers are package-private final classes over state this agent creates once (smoltcp's
 * {@code iface/interface} split): {@link Ipv4Input} (validation, dispatch by protocol), {@link ArpResolver} (ARP
 * input, the neighbour cache, frames held until resolution), {@link IcmpEcho}, {@link Ipv4Output} (header and
 * route), {@link TxQueue} (TX stash, claim and queue) and, with several cores, {@link SteeringPort}. Calls into them
 * are static-bound: the split costs nothing on the hot path.
 *
 * <p>Per frame nothing is allocated: one {@link UnsafeBuffer} is re-pointed at each frame's memory (zero-copy), and
 * replies to ARP and ICMP echo are written in place into the received buffer and sent back. Frames a partial TX
 * left unsent stay queued, in order, for the next cycle. Every drop has a reason counter.
 *
 * <p>Containment: an exception thrown while one frame is processed (by the transport, its engine, an application
 * handler or an ICMP listener), or by the transport's poll, never leaves {@link #doWork}. The frame's buffer is
 * freed like any dropped frame, a TX buffer claimed and not committed goes back to the stash, the rest of the burst
 * is processed, the error is counted ({@code internal_errors}) and logged in one line at most once a second. The
 * guard is a plain {@code try} per frame: free in the JVM while nothing is thrown. The {@link FrameIo} calls are not
 * guarded: they must not throw (after a throwing {@code transmit} nobody would know who owns the buffers).
 */
public final class NetAgent implements Agent, SegmentSink {
    /** At most one log line per this interval (ns) for contained exceptions; every one is counted. */
    static final long ERROR_LOG_INTERVAL_NS = 1_000_000_000L;
    /** Frame verdict: nothing holds the frame any more, free its buffer. */
    static final int VERDICT_FREE = -1;
    /** Frame verdict: the frame belongs to another core's engine, hand it over ({@link Ipv4Input#steerTo()}). */
    static final int VERDICT_STEER = -2;
    // Any other verdict is the length of a reply written in place: the buffer joins the TX queue.

    private final String roleName;
    private final FrameIo io;
    private final NanoClock clock;
    private final DataplaneCounters c;
    private final CycleRecorder cycles;
    private final long mac;
    private final int localIp;
    private TransportLayer transport;

    private final long[] rxBufs = new long[FrameIo.BURST];
    private final long[] rxAddrs = new long[FrameIo.BURST];
    private final int[] rxLens = new int[FrameIo.BURST];
    private final int[] rxFlags = new int[FrameIo.BURST];
    private final long[] freeBufs = new long[FrameIo.BURST];

    /** Re-pointed at each received frame; the layers below read and rewrite it in place. */
    private final UnsafeBuffer frame = new UnsafeBuffer(0, 0);
    private final TxQueue tx;
    private final ArpResolver arp;
    private final Ipv4Output ipv4Out;
    private final IcmpEcho icmp;
    private final Ipv4Input ipv4In;
    // Several cores: the ownership rule and this core's end of the rings (see Steering); no port with one core.
    private Steering steering;
    private int core;
    private SteeringPort port;

    private long nowNs;
    private boolean announced;
    private final RateLimitedLog errorLog = new RateLimitedLog(ERROR_LOG_INTERVAL_NS);
    /** A handler's request to stop this agent, raised once the cycle has put every buffer back in its place. */
    private AgentTerminationException termination;

    /**
     * @param localIp  the address this stack answers on (big-endian int)
     * @param prefixLength the on-link prefix length (e.g. 24)
     * @param gateway  next hop for off-link destinations, 0 for none
     */
    public NetAgent(String roleName, FrameIo io, NanoClock clock, DataplaneCounters counters, int localIp,
                    int prefixLength, int gateway, int arpCapacity) {
        this.roleName = roleName;
        this.io = io;
        this.clock = clock;
        this.c = counters;
        this.cycles = new CycleRecorder(counters);
        this.mac = io.mac();
        this.localIp = localIp;
        final int netmask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
        this.tx = new TxQueue(io, counters);
        this.arp = new ArpResolver(io, tx, counters, mac, localIp, frame, arpCapacity);
        this.ipv4Out = new Ipv4Output(io, tx, arp, counters, localIp, netmask, gateway);
        this.icmp = new IcmpEcho(tx, ipv4Out, counters, mac, localIp, frame);
        this.ipv4In = new Ipv4Input(counters, localIp, netmask, io.caps(), frame, icmp, this);
    }

    /**
     * Attaches the core's TCP (or other protocol 6) layer. With {@link #steering} set and a {@link TcpTransport},
     * the engine's flow filter is set so that {@code connect()} only picks flows this core owns.
     */
    public void transport(TransportLayer transport) {
        this.transport = transport;
        ipv4In.transport(transport);
        if (steering != null && transport instanceof TcpTransport t) {
            t.engine().setFlowFilter(steering.flowFilter(core));
        }
    }

    /**
     * Makes this agent core {@code core} of {@code steering.cores()}: TCP segments another core owns are handed
     * to it through its ring, and this core drains its own. Call before {@link #transport} and before running.
     */
    public void steering(Steering steering, int core) {
        this.steering = steering;
        this.core = core;
        this.port = steering.cores() > 1 ? new SteeringPort(steering, core, io, c, this, ipv4In, arp) : null;
        arp.port(port);
        ipv4In.softwareSteering(steering.softwareSteering() ? port : null);
        ipv4In.icmpSteering(port);
    }

    /**
     * The filter core {@code core}'s TCP engine must use for active opens (set by {@link #transport} for a
     * {@link TcpTransport}; other transports set it themselves), or null with no steering.
     */
    public FlowFilter flowFilter() {
        return steering == null ? null : steering.flowFilter(core);
    }

    /** Offloads enabled on this agent's port ({@code FrameIo.CAP_*}). */
    public int caps() {
        return io.caps();
    }

    /** This agent's core index (0 with one core). */
    public int core() {
        return core;
    }

    public void icmpListener(IcmpListener listener) {
        icmp.listener(listener);
    }

    @Override
    public String roleName() {
        return roleName;
    }

    /** Where contained exceptions are reported (one line each, rate-limited); System.err by default. */
    void errorLog(PrintStream log) {
        errorLog.to(log);
    }

    @Override
    public void onStart() {
        nowNs = clock.nanoTime();
    }

    @Override
    public int doWork() {
        nowNs = clock.nanoTime(); // read once per cycle, passed down
        int work = 0;
        if (!announced) {
            announced = arp.announce();
            work++;
        }
        final int n = io.receive(rxBufs, rxAddrs, rxLens, rxFlags, FrameIo.BURST);
        if (n > 0) {
            c.rxBursts.incrementRelease();
            int freeCount = 0;
            for (int i = 0; i < n; i++) {
                int verdict;
                try {
                    verdict = onFrame(rxAddrs[i], rxLens[i], rxFlags[i]);
                } catch (Throwable t) {
                    contain(t, "receive");
                    verdict = VERDICT_FREE; // nothing else holds the frame: its buffer is freed below, once
                }
                if (verdict == VERDICT_FREE) {
                    freeBufs[freeCount++] = rxBufs[i];
                } else if (verdict == VERDICT_STEER) {
                    if (!port.steer(ipv4In.steerTo(), rxBufs[i], rxAddrs[i], rxLens[i], rxFlags[i])) {
                        freeBufs[freeCount++] = rxBufs[i];
                    }
                } else {
                    tx.enqueue(rxBufs[i], rxAddrs[i], verdict);
                }
            }
            if (freeCount > 0) {
                io.free(freeBufs, freeCount);
            }
            work += n;
        }
        if (port != null) {
            work += port.drain(nowNs);
        }
        if (transport != null) {
            try {
                work += transport.poll(nowNs, this);
            } catch (Throwable t) {
                contain(t, "poll");
                work++;
            }
        }
        arp.poll(nowNs);
        if (work == 0 && tx.queued() == 0) {
            cycles.idle(nowNs); // nothing happened: no more clock reads (see CycleRecorder)
        } else {
            final long txStartNs = clock.nanoTime();
            final int sent = tx.flush();
            final long endNs = clock.nanoTime();
            if (work == 0 && sent == 0) {
                // Only a retry of frames the port refused (its link is down, or its ring is full): no work done.
                // Counted as working, a memif server waiting for its peer filled the histogram with these.
                cycles.idle(nowNs);
            } else {
                cycles.cycle(nowNs, endNs - txStartNs, endNs);
            }
            work += sent;
        }
        if (termination != null) {
            final AgentTerminationException e = termination;
            termination = null;
            throw e;
        }
        return work;
    }

    /**
     * An exception caught around one frame or the transport's poll: counted, logged at most once per
     * {@link #ERROR_LOG_INTERVAL_NS} (one line), and the TX buffer of a claim left open put back in the stash.
     * Not the hot path: it may allocate.
     */
    void contain(Throwable t, String where) {
        tx.abandon();
        if (t instanceof AgentTerminationException e) {
            termination = e; // Agrona's way to stop an agent: honoured at the end of the cycle
            return;
        }
        c.internalErrors.incrementRelease();
        errorLog.report(nowNs, roleName + ": internal error in " + where, t);
    }

    @Override
    public void onClose() {
        cycles.publish();
        if (port != null) {
            // Frames other cores handed over and nobody will process: back to their pool.
            ipv4In.transport(null);
            while (port.drain(nowNs) > 0) {
                // each drain frees what it took
            }
            ipv4In.transport(transport);
        }
        tx.flush();
        arp.close();
        tx.close();
        io.close();
    }

    /** The cycle's time, as read at its start. */
    public long nowNs() {
        return nowNs;
    }

    public int localIp() {
        return localIp;
    }

    public long mac() {
        return mac;
    }

    /** Frames waiting for TX (left by a partial burst). */
    public int txQueued() {
        return tx.queued();
    }

    /** Cycles the hiccup recorder counted as having done work (tests). */
    long workingCycles() {
        return cycles.workingCycles();
    }

    /** Handles one frame (Ethernet II, RFC 894); returns a verdict or the length of a reply written in place. */
    private int onFrame(long addr, int length, int flags) {
        c.rxPackets.incrementRelease();
        c.rxBytes.getAndAddRelease(length);
        if (length == 0) {
            c.dropChained.incrementRelease();
            return VERDICT_FREE;
        }
        if (length < Ethernet.HEADER_LENGTH) {
            c.dropRunt.incrementRelease();
            return VERDICT_FREE;
        }
        frame.wrap(addr, length);
        final long dst = Ethernet.mac(frame, Ethernet.DST);
        if (dst != mac && dst != Ethernet.BROADCAST) {
            c.dropNotOurMac.incrementRelease();
            return VERDICT_FREE;
        }
        switch (Ethernet.type(frame, 0)) {
            case Ethernet.TYPE_IPV4:
                return ipv4In.onIpv4(length, flags, nowNs);
            case Ethernet.TYPE_ARP:
                return arp.onArp(length, nowNs);
            case Ethernet.TYPE_VLAN:
                c.dropVlan.incrementRelease();
                return VERDICT_FREE;
            case Ethernet.TYPE_IPV6:
                c.dropIpv6.incrementRelease();
                return VERDICT_FREE;
            default:
                c.dropEtherType.incrementRelease();
                return VERDICT_FREE;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Output: SegmentSink for the transport, and echo requests for ping

    @Override
    public int claim(int localIp, int remoteIp, int tcpLength) {
        return ipv4Out.claim(localIp, remoteIp, Ipv4.PROTO_TCP, tcpLength);
    }

    @Override
    public MutableDirectBuffer buffer() {
        return tx.out();
    }

    @Override
    public void commit() {
        c.tcpSegmentsOut.incrementRelease();
        ipv4Out.commit(nowNs);
    }

    /**
     * Sends an ICMP echo request (for {@code strait ping}); returns false when no buffer was free or the payload
     * does not fit. On the core's thread.
     */
    public boolean sendEchoRequest(int dstIp, int id, int sequence, int payloadLength) {
        return icmp.sendRequest(dstIp, id, sequence, payloadLength, nowNs);
    }
}
