package io.strait.dataplane;

import io.strait.dataplane.wire.Arp;
import io.strait.dataplane.wire.Ethernet;
import io.strait.dataplane.wire.Icmp;
import io.strait.dataplane.wire.Ipv4;
import io.strait.tcp.FlowFilter;
import io.strait.tcp.SegmentSink;
import io.strait.tcp.wire.Checksum;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.io.PrintStream;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * One core's poll loop over one queue pair: a burst of frames in, Ethernet / ARP / IPv4 / ICMP handled here and TCP
 * handed to the core's {@link TransportLayer}, then its timers and output, then one TX flush. An Agrona
 * {@link Agent}: run it pinned on its own thread with an {@code AgentRunner}, or drive it from the app's thread
 * with an {@code AgentInvoker}.
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
    /** Frames the TX queue holds before new ones are dropped (and counted). */
    static final int TX_QUEUE = 1024;
    /** Buffers taken from the pool per refill of the TX stash (one bulk call). */
    static final int STASH = 32;
    /** RFC 1122 §2.3.2.1: flush stale entries; 60 s as a reachable time, re-requested when older. */
    static final long ARP_REACHABLE_NS = 60_000_000_000L;
    /** RFC 1122 §2.3.2.1: at most one request per second per address. */
    static final long ARP_RETRY_NS = 1_000_000_000L;
    /** Requests without reply before pending frames are dropped. */
    static final int ARP_MAX_REQUESTS = 3;
    static final int ARP_PENDING_PER_ENTRY = 8;
    /** How often (ns) the ARP table is swept for timeouts. */
    static final long ARP_SWEEP_NS = 100_000_000L;
    /** At most one log line per this interval (ns) for contained exceptions; every one is counted. */
    static final long ERROR_LOG_INTERVAL_NS = 1_000_000_000L;

    private static final int IP_OFFSET = Ethernet.HEADER_LENGTH;
    private static final int L4_OFFSET = Ethernet.HEADER_LENGTH + Ipv4.MIN_HEADER_LENGTH;
    private static final int VERDICT_FREE = -1;
    /** The frame belongs to another core's engine: hand it to core {@link #steerTo} through its ring. */
    private static final int VERDICT_STEER = -2;
    /** Steered frames one cycle takes from this core's inbound ring (capped work). */
    static final int STEER_DRAIN = 2 * FrameIo.BURST;

    private final String roleName;
    private final FrameIo io;
    private final NanoClock clock;
    private final DataplaneCounters c;
    private final long mac;
    private final int localIp;
    private final int netmask;
    private final int gateway;
    private final boolean txIpChecksumOffload;
    private final boolean rxIpChecksumOffload;
    private final boolean rxL4ChecksumOffload;
    private TransportLayer transport;
    private IcmpListener icmpListener;

    private final long[] rxBufs = new long[FrameIo.BURST];
    private final long[] rxAddrs = new long[FrameIo.BURST];
    private final int[] rxLens = new int[FrameIo.BURST];
    private final int[] rxFlags = new int[FrameIo.BURST];
    private final long[] freeBufs = new long[FrameIo.BURST];
    private final long[] txBufs = new long[TX_QUEUE];
    private final long[] txAddrs = new long[TX_QUEUE];
    private final int[] txLens = new int[TX_QUEUE];
    private int txCount;
    private final long[] stashBufs = new long[STASH];
    private final long[] stashAddrs = new long[STASH];
    private int stashCount;
    private final long[] dropBufs = new long[ARP_PENDING_PER_ENTRY];
    private final long[] one = new long[1];

    // Several cores: the ownership rule and the rings (see Steering); none with one core.
    private Steering steering;
    private int core;
    private boolean softwareSteering;
    private RingBuffer inboundRing;
    private int steerTo;
    private final long[] steeredFree = new long[STEER_DRAIN];
    private int steeredFreeCount;
    private final MessageHandler steeredHandler = this::onSteered;

    private final UnsafeBuffer frame = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer out = new UnsafeBuffer(0, 0);
    private final ArpTable arp;
    private long claimBuf;
    private long claimAddr;
    private int claimLocalIp;
    private int claimRemoteIp;
    private int claimFrameLength;
    private int ipId;
    private long nowNs;
    private long nextArpSweepNs;
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
        this.mac = io.mac();
        this.localIp = localIp;
        this.netmask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
        this.gateway = gateway;
        this.txIpChecksumOffload = (io.caps() & FrameIo.CAP_TX_IP_CKSUM) != 0;
        this.rxIpChecksumOffload = (io.caps() & FrameIo.CAP_RX_IP_CKSUM) != 0;
        this.rxL4ChecksumOffload = (io.caps() & FrameIo.CAP_RX_TCP_CKSUM) != 0;
        this.arp = new ArpTable(arpCapacity, ARP_PENDING_PER_ENTRY);
    }

    /**
     * Attaches the core's TCP (or other protocol 6) layer. With {@link #steering} set and a {@link TcpTransport},
     * the engine's flow filter is set so that {@code connect()} only picks flows this core owns.
     */
    public void transport(TransportLayer transport) {
        this.transport = transport;
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
        this.softwareSteering = steering.softwareSteering();
        this.inboundRing = steering.cores() > 1 ? steering.inbound(core) : null;
    }

    /**
     * The filter core {@code core}'s TCP engine must use for active opens (set by {@link #transport} for a
     * {@link TcpTransport}; other transports set it themselves), or null with no steering.
     */
    public FlowFilter flowFilter() {
        return steering == null ? null : steering.flowFilter(core);
    }

    /** This agent's core index (0 with one core). */
    public int core() {
        return core;
    }

    public void icmpListener(IcmpListener listener) {
        this.icmpListener = listener;
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
            announced = sendGratuitousArp();
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
                    if (!steer(steerTo, rxBufs[i], rxAddrs[i], rxLens[i], rxFlags[i])) {
                        freeBufs[freeCount++] = rxBufs[i];
                    }
                } else {
                    enqueueTx(rxBufs[i], rxAddrs[i], verdict);
                }
            }
            if (freeCount > 0) {
                io.free(freeBufs, freeCount);
            }
            work += n;
        }
        if (inboundRing != null) {
            work += drainSteered();
        }
        if (transport != null) {
            try {
                work += transport.poll(nowNs, this);
            } catch (Throwable t) {
                contain(t, "poll");
                work++;
            }
        }
        if (nowNs - nextArpSweepNs >= 0) {
            nextArpSweepNs = nowNs + ARP_SWEEP_NS;
            sweepArp();
        }
        work += flush();
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
    private void contain(Throwable t, String where) {
        if (claimBuf != 0) {
            // Claimed and never committed: back to the stash (it came from there, so there is room).
            stashBufs[stashCount] = claimBuf;
            stashAddrs[stashCount] = claimAddr;
            stashCount++;
            claimBuf = 0;
        }
        if (t instanceof AgentTerminationException e) {
            termination = e; // Agrona's way to stop an agent: honoured at the end of the cycle
            return;
        }
        c.internalErrors.incrementRelease();
        errorLog.report(nowNs, roleName + ": internal error in " + where, t);
    }

    @Override
    public void onClose() {
        if (inboundRing != null) {
            // Frames other cores handed over and nobody will process: back to their pool.
            final TransportLayer t = transport;
            transport = null;
            while (drainSteered() > 0) {
                // each drain frees what it took
            }
            transport = t;
        }
        flush();
        for (int slot = 0; slot < arp.capacity(); slot++) {
            if (arp.state(slot) != ArpTable.EMPTY) {
                releasePending(slot);
            }
        }
        if (txCount > 0) {
            io.free(txBufs, txCount);
            txCount = 0;
        }
        if (stashCount > 0) {
            io.free(stashBufs, stashCount);
            stashCount = 0;
        }
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
        return txCount;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Receive

    /** Handles one frame; returns {@link #VERDICT_FREE} or the length of a reply written in place. */
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
        final int type = Ethernet.type(frame, 0);
        switch (type) {
            case Ethernet.TYPE_IPV4:
                return onIpv4(length, flags);
            case Ethernet.TYPE_ARP:
                return onArp(length);
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

    /** RFC 826 "Packet Reception", with the merge rule; replies to requests for our address in place. */
    private int onArp(int length) {
        final int a = Ethernet.HEADER_LENGTH;
        if (length < a + Arp.LENGTH
            || (frame.getShort(a + Arp.HTYPE, BIG_ENDIAN) & 0xFFFF) != Arp.HTYPE_ETHERNET
            || (frame.getShort(a + Arp.PTYPE, BIG_ENDIAN) & 0xFFFF) != Ethernet.TYPE_IPV4
            || frame.getByte(a + Arp.HLEN) != 6 || frame.getByte(a + Arp.PLEN) != 4) {
            c.arpMalformed.incrementRelease();
            return VERDICT_FREE;
        }
        final int op = frame.getShort(a + Arp.OPER, BIG_ENDIAN) & 0xFFFF;
        final long senderMac = Ethernet.mac(frame, a + Arp.SHA);
        final int senderIp = frame.getInt(a + Arp.SPA, BIG_ENDIAN);
        final int targetIp = frame.getInt(a + Arp.TPA, BIG_ENDIAN);
        if (op == Arp.OP_REQUEST) {
            c.arpRequestsIn.incrementRelease();
        } else if (op == Arp.OP_REPLY) {
            c.arpRepliesIn.incrementRelease();
        } else {
            c.arpMalformed.incrementRelease();
            return VERDICT_FREE;
        }
        if (senderIp == localIp && senderMac != mac) {
            // Someone else claims our address (RFC 5227 conflict): count, do not learn.
            c.arpMalformed.incrementRelease();
            return VERDICT_FREE;
        }
        if (senderIp == 0 || senderMac == Ethernet.BROADCAST || (senderMac & 0x0100_0000_0000L) != 0) {
            // ARP probes (sender 0.0.0.0) and multicast senders teach nothing.
            if (op == Arp.OP_REQUEST && targetIp == localIp && senderIp == 0) {
                return arpReply(senderMac, senderIp);
            }
            c.arpNotForUs.incrementRelease();
            return VERDICT_FREE;
        }
        // RFC 826: "If the pair <protocol type, sender protocol address> is already in my translation table,
        // update the sender hardware address field"; "Am I the target protocol address? If so, add the triplet".
        int slot = arp.find(senderIp);
        if (slot < 0 && targetIp == localIp) {
            slot = arp.findOrCreate(senderIp);
            if (slot >= 0) {
                c.arpEntries.incrementRelease();
            }
        }
        if (slot >= 0) {
            arp.resolve(slot, senderMac, nowNs);
            drainPending(slot);
            if (inboundRing != null) {
                // The port delivers ARP to one queue only (af_packet fanout, RSS's default queue): tell the
                // other cores' tables what this one learnt.
                shareArp(senderIp, senderMac);
            }
        }
        if (targetIp != localIp) {
            c.arpNotForUs.incrementRelease();
            return VERDICT_FREE;
        }
        return op == Arp.OP_REQUEST ? arpReply(senderMac, senderIp) : VERDICT_FREE;
    }

    /** Turns the request in {@link #frame} into our reply, in place. */
    private int arpReply(long requesterMac, int requesterIp) {
        final int a = Ethernet.HEADER_LENGTH;
        Ethernet.put(frame, 0, requesterMac, mac, Ethernet.TYPE_ARP);
        frame.putShort(a + Arp.OPER, (short) Arp.OP_REPLY, BIG_ENDIAN);
        Ethernet.putMac(frame, a + Arp.THA, requesterMac);
        frame.putInt(a + Arp.TPA, requesterIp, BIG_ENDIAN);
        Ethernet.putMac(frame, a + Arp.SHA, mac);
        frame.putInt(a + Arp.SPA, localIp, BIG_ENDIAN);
        c.arpRepliesOut.incrementRelease();
        return a + Arp.LENGTH;
    }

    /** RFC 791 §3.2 and RFC 1122 §3.2.1: validate, then dispatch by protocol. */
    private int onIpv4(int frameLength, int flags) {
        c.ipPackets.incrementRelease();
        final int ipLength = frameLength - IP_OFFSET;
        if (ipLength < Ipv4.MIN_HEADER_LENGTH) {
            c.dropIpTruncated.incrementRelease();
            return VERDICT_FREE;
        }
        final int versionIhl = frame.getByte(IP_OFFSET + Ipv4.VERSION_IHL) & 0xFF;
        if ((versionIhl >>> 4) != 4) {
            c.dropIpVersion.incrementRelease();
            return VERDICT_FREE;
        }
        final int ihl = (versionIhl & 0xF) * 4;
        if (ihl < Ipv4.MIN_HEADER_LENGTH || ihl > ipLength) {
            c.dropIpHeaderLength.incrementRelease();
            return VERDICT_FREE;
        }
        // Total length may be less than what arrived (Ethernet pads to 60 bytes), never more.
        final int totalLength = frame.getShort(IP_OFFSET + Ipv4.TOTAL_LENGTH, BIG_ENDIAN) & 0xFFFF;
        if (totalLength < ihl || totalLength > ipLength) {
            c.dropIpTotalLength.incrementRelease();
            return VERDICT_FREE;
        }
        if ((flags & FrameIo.RX_IP_CKSUM_BAD) != 0
            || ((flags & FrameIo.RX_IP_CKSUM_GOOD) == 0 && !Checksum.verify(frame, IP_OFFSET, ihl))) {
            c.dropIpChecksum.incrementRelease();
            return VERDICT_FREE;
        }
        final int fragment = frame.getShort(IP_OFFSET + Ipv4.FLAGS_FRAGMENT, BIG_ENDIAN) & 0xFFFF;
        if ((fragment & (Ipv4.FLAG_MF | Ipv4.FRAGMENT_OFFSET_MASK)) != 0) {
            // Strait does not reassemble (TCP's MSS keeps peers from fragmenting): drop and count.
            c.dropIpFragment.incrementRelease();
            return VERDICT_FREE;
        }
        if (frame.getByte(IP_OFFSET + Ipv4.TTL) == 0) {
            c.dropIpTtl.incrementRelease();
            return VERDICT_FREE;
        }
        final int dstIp = frame.getInt(IP_OFFSET + Ipv4.DST, BIG_ENDIAN);
        if (dstIp != localIp) {
            c.dropIpNotForUs.incrementRelease();
            return VERDICT_FREE;
        }
        final int srcIp = frame.getInt(IP_OFFSET + Ipv4.SRC, BIG_ENDIAN);
        // RFC 1122 §3.2.1.3: a source that is broadcast, multicast, 0 or our own address is silently discarded.
        if (srcIp == 0 || srcIp == -1 || (srcIp >>> 28) == 0xE || srcIp == localIp
            || (netmask != 0 && (srcIp | netmask) == -1 && (srcIp & netmask) == (localIp & netmask))) {
            c.dropIpSourceInvalid.incrementRelease();
            return VERDICT_FREE;
        }
        final int l4 = IP_OFFSET + ihl;
        final int l4Length = totalLength - ihl;
        switch (frame.getByte(IP_OFFSET + Ipv4.PROTOCOL)) {
            case Ipv4.PROTO_TCP:
                if (transport == null) {
                    c.dropIpProtocol.incrementRelease();
                    return VERDICT_FREE;
                }
                if (softwareSteering && l4Length >= 4) {
                    final int owner = steering.owner(dstIp, frame.getShort(l4 + 2, BIG_ENDIAN) & 0xFFFF, srcIp,
                        frame.getShort(l4, BIG_ENDIAN) & 0xFFFF);
                    if (owner != core) {
                        steerTo = owner;
                        return VERDICT_STEER;
                    }
                }
                deliverTcp(l4, l4Length, srcIp, dstIp, flags);
                return VERDICT_FREE;
            case Ipv4.PROTO_ICMP:
                return onIcmp(l4, l4Length, ihl, srcIp);
            default:
                c.dropIpProtocol.incrementRelease();
                return VERDICT_FREE;
        }
    }

    /** Hands the TCP segment in {@link #frame} at {@code l4} to the core's engine. */
    private void deliverTcp(int l4, int l4Length, int srcIp, int dstIp, int flags) {
        c.tcpSegmentsIn.incrementRelease();
        if ((flags & FrameIo.RX_L4_CKSUM_BAD) != 0) {
            // Let the engine count it as a checksum failure: it verifies again and drops.
            transport.onSegment(frame, l4, l4Length, srcIp, dstIp, false, nowNs, this);
            return;
        }
        transport.onSegment(frame, l4, l4Length, srcIp, dstIp,
            rxL4ChecksumOffload && (flags & FrameIo.RX_L4_CKSUM_GOOD) != 0, nowNs, this);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Software steering between cores

    /** Writes a received frame into core {@code owner}'s ring; false (counted) when the ring is full. */
    private boolean steer(int owner, long buf, long addr, int length, int flags) {
        final RingBuffer ring = steering.inbound(owner);
        final int index = ring.tryClaim(Steering.MSG_FRAME, Steering.MSG_BYTES);
        if (index <= 0) {
            c.tcpSteerFull.incrementRelease();
            return false;
        }
        final AtomicBuffer b = ring.buffer();
        b.putLong(index + Steering.MSG_BUF, buf);
        b.putLong(index + Steering.MSG_ADDR, addr);
        b.putInt(index + Steering.MSG_LENGTH, length);
        b.putInt(index + Steering.MSG_FLAGS, flags);
        ring.commit(index);
        c.tcpSteered.incrementRelease();
        return true;
    }

    /** Sends a learnt ARP mapping to every other core (a message, no buffer); a full ring skips that core. */
    private void shareArp(int ip, long senderMac) {
        for (int other = 0; other < steering.cores(); other++) {
            if (other == core) {
                continue;
            }
            final RingBuffer ring = steering.inbound(other);
            final int index = ring.tryClaim(Steering.MSG_ARP, Steering.MSG_ARP_BYTES);
            if (index > 0) {
                ring.buffer().putInt(index + Steering.MSG_ARP_IP, ip);
                ring.buffer().putLong(index + Steering.MSG_ARP_MAC, senderMac);
                ring.commit(index);
            }
        }
    }

    /** An ARP mapping another core learnt: merged into this core's table, held frames sent. */
    private void onSharedArp(int ip, long senderMac) {
        int slot = arp.find(ip);
        if (slot < 0) {
            slot = arp.findOrCreate(ip);
            if (slot < 0) {
                return;
            }
            c.arpEntries.incrementRelease();
        }
        arp.resolve(slot, senderMac, nowNs);
        drainPending(slot);
    }

    /** Processes up to {@link #STEER_DRAIN} frames other cores handed over, then frees their mbufs. */
    private int drainSteered() {
        steeredFreeCount = 0;
        final int n = inboundRing.read(steeredHandler, STEER_DRAIN);
        if (steeredFreeCount > 0) {
            io.free(steeredFree, steeredFreeCount);
        }
        return n;
    }

    /**
     * One steered frame: Ethernet and IPv4 were validated by the receiving core; its TCP segment goes to this
     * core's engine as if received here.
     */
    private void onSteered(int msgTypeId, MutableDirectBuffer buffer, int index, int length) {
        if (msgTypeId == Steering.MSG_ARP) {
            onSharedArp(buffer.getInt(index + Steering.MSG_ARP_IP), buffer.getLong(index + Steering.MSG_ARP_MAC));
            return;
        }
        final long buf = buffer.getLong(index + Steering.MSG_BUF);
        final long addr = buffer.getLong(index + Steering.MSG_ADDR);
        final int frameLength = buffer.getInt(index + Steering.MSG_LENGTH);
        final int flags = buffer.getInt(index + Steering.MSG_FLAGS);
        steeredFree[steeredFreeCount++] = buf; // freed by drainSteered whatever happens below
        if (transport == null) {
            return;
        }
        frame.wrap(addr, frameLength);
        final int ihl = (frame.getByte(IP_OFFSET + Ipv4.VERSION_IHL) & 0xF) * 4;
        final int totalLength = frame.getShort(IP_OFFSET + Ipv4.TOTAL_LENGTH, BIG_ENDIAN) & 0xFFFF;
        try {
            deliverTcp(IP_OFFSET + ihl, totalLength - ihl, frame.getInt(IP_OFFSET + Ipv4.SRC, BIG_ENDIAN),
                frame.getInt(IP_OFFSET + Ipv4.DST, BIG_ENDIAN), flags);
        } catch (Throwable t) {
            contain(t, "steered receive");
        }
    }

    /** RFC 792 echo: the reply is the request with addresses swapped and type 0 (RFC 1122 §3.2.2.6). */
    private int onIcmp(int icmp, int icmpLength, int ihl, int srcIp) {
        if (icmpLength < Icmp.HEADER_LENGTH) {
            c.dropIcmpTruncated.incrementRelease();
            return VERDICT_FREE;
        }
        if (!Checksum.verify(frame, icmp, icmpLength)) {
            c.dropIcmpChecksum.incrementRelease();
            return VERDICT_FREE;
        }
        final int type = frame.getByte(icmp + Icmp.TYPE) & 0xFF;
        if (type == Icmp.TYPE_ECHO_REQUEST && frame.getByte(icmp + Icmp.CODE) == 0) {
            c.icmpEchoIn.incrementRelease();
            frame.putByte(icmp + Icmp.TYPE, (byte) Icmp.TYPE_ECHO_REPLY);
            frame.putShort(icmp + Icmp.CHECKSUM, (short) 0);
            frame.putShort(icmp + Icmp.CHECKSUM, (short) Checksum.compute(frame, icmp, icmpLength), BIG_ENDIAN);
            frame.putInt(IP_OFFSET + Ipv4.DST, srcIp, BIG_ENDIAN);
            frame.putInt(IP_OFFSET + Ipv4.SRC, localIp, BIG_ENDIAN);
            frame.putByte(IP_OFFSET + Ipv4.TTL, (byte) Ipv4.DEFAULT_TTL);
            frame.putShort(IP_OFFSET + Ipv4.CHECKSUM, (short) 0);
            frame.putShort(IP_OFFSET + Ipv4.CHECKSUM, (short) Checksum.compute(frame, IP_OFFSET, ihl), BIG_ENDIAN);
            final long srcMac = Ethernet.mac(frame, Ethernet.SRC);
            Ethernet.put(frame, 0, srcMac, mac, Ethernet.TYPE_IPV4);
            c.icmpEchoOut.incrementRelease();
            return IP_OFFSET + ihl + icmpLength;
        }
        if (type == Icmp.TYPE_ECHO_REPLY) {
            c.icmpEchoRepliesIn.incrementRelease();
            if (icmpListener != null) {
                icmpListener.onEchoReply(srcIp, frame.getShort(icmp + Icmp.ID, BIG_ENDIAN) & 0xFFFF,
                    frame.getShort(icmp + Icmp.SEQUENCE, BIG_ENDIAN) & 0xFFFF, icmpLength - Icmp.HEADER_LENGTH,
                    nowNs);
            }
            return VERDICT_FREE;
        }
        c.dropIcmpType.incrementRelease();
        return VERDICT_FREE;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Transmit: SegmentSink for the TCP engine, then IPv4 and Ethernet, ARP resolution, the TX queue

    @Override
    public int claim(int localIp, int remoteIp, int tcpLength) {
        final int frameLength = L4_OFFSET + tcpLength;
        if (frameLength > io.frameRoom() || !takeBuffer()) {
            return -1;
        }
        claimLocalIp = localIp;
        claimRemoteIp = remoteIp;
        claimFrameLength = frameLength;
        return L4_OFFSET;
    }

    @Override
    public MutableDirectBuffer buffer() {
        return out;
    }

    @Override
    public void commit() {
        c.tcpSegmentsOut.incrementRelease();
        final int lenFlags = putIpv4Header(claimLocalIp, claimRemoteIp, Ipv4.PROTO_TCP, claimFrameLength);
        sendIp(claimBuf, out.addressOffset(), claimRemoteIp, lenFlags);
        claimBuf = 0;
    }

    /** Takes a buffer from the stash into {@link #claimBuf}, {@link #out} pointing at it. */
    private boolean takeBuffer() {
        if (stashCount == 0) {
            if (!io.allocate(stashBufs, stashAddrs, STASH)) {
                c.mbufExhausted.incrementRelease();
                return false;
            }
            stashCount = STASH;
        }
        stashCount--;
        claimBuf = stashBufs[stashCount];
        claimAddr = stashAddrs[stashCount];
        out.wrap(claimAddr, io.frameRoom());
        return true;
    }

    /** Writes a 20-byte IPv4 header into {@link #out}; returns the frame length with TX offload bits. */
    private int putIpv4Header(int src, int dst, int protocol, int frameLength) {
        final int ip = IP_OFFSET;
        out.putByte(ip + Ipv4.VERSION_IHL, (byte) 0x45);
        out.putByte(ip + Ipv4.TOS, (byte) 0);
        out.putShort(ip + Ipv4.TOTAL_LENGTH, (short) (frameLength - IP_OFFSET), BIG_ENDIAN);
        out.putShort(ip + Ipv4.ID, (short) ipId++, BIG_ENDIAN);
        // RFC 1191 / as Linux: DF on TCP; Strait does not fragment.
        out.putShort(ip + Ipv4.FLAGS_FRAGMENT, (short) (protocol == Ipv4.PROTO_TCP ? Ipv4.FLAG_DF : 0), BIG_ENDIAN);
        out.putByte(ip + Ipv4.TTL, (byte) Ipv4.DEFAULT_TTL);
        out.putByte(ip + Ipv4.PROTOCOL, (byte) protocol);
        out.putShort(ip + Ipv4.CHECKSUM, (short) 0);
        out.putInt(ip + Ipv4.SRC, src, BIG_ENDIAN);
        out.putInt(ip + Ipv4.DST, dst, BIG_ENDIAN);
        if (txIpChecksumOffload) {
            return frameLength | FrameIo.TX_IP_CKSUM;
        }
        out.putShort(ip + Ipv4.CHECKSUM, (short) Checksum.compute(out, ip, Ipv4.MIN_HEADER_LENGTH), BIG_ENDIAN);
        return frameLength;
    }

    /**
     * Sends an IPv4 frame in buffer {@code buf} (already pointed to by {@link #out}, Ethernet header not yet
     * written): resolves the next hop, or holds the frame until ARP does.
     */
    private void sendIp(long buf, long addr, int dstIp, int lenFlags) {
        final int nextHop = (dstIp & netmask) == (localIp & netmask) ? dstIp : gateway;
        if (nextHop == 0) {
            c.dropNoRoute.incrementRelease();
            freeOne(buf);
            return;
        }
        int slot = arp.find(nextHop);
        if (slot >= 0 && arp.state(slot) == ArpTable.RESOLVED) {
            Ethernet.put(out, 0, arp.mac(slot), mac, Ethernet.TYPE_IPV4);
            enqueueTx(buf, addr, lenFlags);
            if (nowNs - arp.confirmedNs(slot) > ARP_REACHABLE_NS && nowNs - arp.requestedNs(slot) > ARP_RETRY_NS) {
                sendArpRequest(nextHop); // stale: still used, refreshed (RFC 1122 §2.3.2.1)
                arp.markRequested(slot, nowNs);
            }
            return;
        }
        if (slot < 0) {
            slot = arp.findOrCreate(nextHop);
            if (slot < 0) {
                c.arpPendingDropped.incrementRelease();
                freeOne(buf);
                return;
            }
            c.arpEntries.incrementRelease();
        }
        if (!arp.hold(slot, buf, addr, lenFlags)) {
            c.arpPendingDropped.incrementRelease();
            freeOne(buf);
        }
        if (arp.requests(slot) == 0 || nowNs - arp.requestedNs(slot) > ARP_RETRY_NS) {
            sendArpRequest(nextHop);
            arp.markRequested(slot, nowNs);
        }
    }

    private void drainPending(int slot) {
        final int n = arp.pendingCount(slot);
        final long dstMac = arp.mac(slot);
        for (int i = 0; i < n; i++) {
            final long buf = arp.pendingBuf(slot, i);
            final int lenFlags = arp.pendingLen(slot, i);
            // The held frame's memory: its Ethernet header is the first 14 bytes of the buffer.
            final long addr = arp.pendingAddr(slot, i);
            out.wrap(addr, Ethernet.HEADER_LENGTH);
            Ethernet.put(out, 0, dstMac, mac, Ethernet.TYPE_IPV4);
            enqueueTx(buf, addr, lenFlags);
        }
        arp.clearPending(slot);
    }

    private void releasePending(int slot) {
        final int n = arp.pendingCount(slot);
        for (int i = 0; i < n; i++) {
            dropBufs[i] = arp.pendingBuf(slot, i);
        }
        if (n > 0) {
            io.free(dropBufs, n);
        }
        arp.clearPending(slot);
    }

    /** Times out unanswered requests, re-requests, forgets old entries. */
    private void sweepArp() {
        for (int slot = 0; slot < arp.capacity(); slot++) {
            final int state = arp.state(slot);
            if (state == ArpTable.INCOMPLETE && nowNs - arp.requestedNs(slot) > ARP_RETRY_NS) {
                if (arp.requests(slot) >= ARP_MAX_REQUESTS) {
                    c.arpTimeouts.getAndAddRelease(arp.pendingCount(slot));
                    releasePending(slot);
                    arp.remove(slot);
                    c.arpEntries.decrementRelease();
                    slot--; // backward shift may have moved another entry here
                } else {
                    sendArpRequest(arp.ip(slot));
                    arp.markRequested(slot, nowNs);
                }
            } else if (state == ArpTable.RESOLVED && nowNs - arp.confirmedNs(slot) > 2 * ARP_REACHABLE_NS) {
                arp.remove(slot);
                c.arpEntries.decrementRelease();
                slot--;
            }
        }
    }

    private boolean sendArpRequest(int targetIp) {
        return sendArp(targetIp);
    }

    /** Gratuitous ARP at start (RFC 5227 §3 announcement: a request with sender and target both our address). */
    private boolean sendGratuitousArp() {
        return sendArp(localIp);
    }

    private boolean sendArp(int targetIp) {
        if (!takeBuffer()) {
            return false;
        }
        final int a = Ethernet.HEADER_LENGTH;
        Ethernet.put(out, 0, Ethernet.BROADCAST, mac, Ethernet.TYPE_ARP);
        out.putShort(a + Arp.HTYPE, (short) Arp.HTYPE_ETHERNET, BIG_ENDIAN);
        out.putShort(a + Arp.PTYPE, (short) Ethernet.TYPE_IPV4, BIG_ENDIAN);
        out.putByte(a + Arp.HLEN, (byte) 6);
        out.putByte(a + Arp.PLEN, (byte) 4);
        out.putShort(a + Arp.OPER, (short) Arp.OP_REQUEST, BIG_ENDIAN);
        Ethernet.putMac(out, a + Arp.SHA, mac);
        out.putInt(a + Arp.SPA, localIp, BIG_ENDIAN);
        Ethernet.putMac(out, a + Arp.THA, 0);
        out.putInt(a + Arp.TPA, targetIp, BIG_ENDIAN);
        // Pad to the Ethernet minimum of 60 bytes (without FCS).
        out.setMemory(a + Arp.LENGTH, 60 - a - Arp.LENGTH, (byte) 0);
        c.arpRequestsOut.incrementRelease();
        enqueueTx(claimBuf, out.addressOffset(), 60);
        claimBuf = 0;
        return true;
    }

    /**
     * Sends an ICMP echo request (for {@code strait ping}); returns false when no buffer was free or the payload
     * does not fit.
     */
    public boolean sendEchoRequest(int dstIp, int id, int sequence, int payloadLength) {
        final int icmpLength = Icmp.HEADER_LENGTH + payloadLength;
        final int frameLength = L4_OFFSET + icmpLength;
        if (frameLength > io.frameRoom() || payloadLength < 0 || !takeBuffer()) {
            return false;
        }
        final int icmp = L4_OFFSET;
        out.putByte(icmp + Icmp.TYPE, (byte) Icmp.TYPE_ECHO_REQUEST);
        out.putByte(icmp + Icmp.CODE, (byte) 0);
        out.putShort(icmp + Icmp.CHECKSUM, (short) 0);
        out.putShort(icmp + Icmp.ID, (short) id, BIG_ENDIAN);
        out.putShort(icmp + Icmp.SEQUENCE, (short) sequence, BIG_ENDIAN);
        for (int i = 0; i < payloadLength; i++) {
            out.putByte(icmp + Icmp.HEADER_LENGTH + i, (byte) i);
        }
        out.putShort(icmp + Icmp.CHECKSUM, (short) Checksum.compute(out, icmp, icmpLength), BIG_ENDIAN);
        final long buf = claimBuf;
        claimBuf = 0;
        sendIp(buf, out.addressOffset(), dstIp, putIpv4Header(localIp, dstIp, Ipv4.PROTO_ICMP, frameLength));
        return true;
    }

    private void enqueueTx(long buf, long addr, int lenFlags) {
        if (txCount == TX_QUEUE) {
            c.txFull.incrementRelease();
            freeOne(buf);
            return;
        }
        txBufs[txCount] = buf;
        txAddrs[txCount] = addr;
        txLens[txCount] = lenFlags;
        txCount++;
    }

    /** One TX burst per cycle; what the port did not take stays queued, in order, for the next cycle. */
    private int flush() {
        if (txCount == 0) {
            return 0;
        }
        final int sent = io.transmit(txBufs, txAddrs, txLens, txCount);
        long bytes = 0;
        for (int i = 0; i < sent; i++) {
            bytes += txLens[i] & 0xFFFF;
        }
        c.txPackets.getAndAddRelease(sent);
        c.txBytes.getAndAddRelease(bytes);
        if (sent < txCount) {
            c.txRetries.incrementRelease();
            System.arraycopy(txBufs, sent, txBufs, 0, txCount - sent);
            System.arraycopy(txAddrs, sent, txAddrs, 0, txCount - sent);
            System.arraycopy(txLens, sent, txLens, 0, txCount - sent);
        }
        txCount -= sent;
        return sent;
    }

    private void freeOne(long buf) {
        one[0] = buf;
        io.free(one, 1);
    }

}
