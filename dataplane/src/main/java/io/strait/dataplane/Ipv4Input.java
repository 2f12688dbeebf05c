package io.strait.dataplane;

import io.strait.dataplane.wire.Icmp;
import io.strait.dataplane.wire.Ipv4;
import io.strait.tcp.SegmentSink;
import io.strait.tcp.wire.Checksum;
import org.agrona.concurrent.UnsafeBuffer;

import static io.strait.dataplane.Ipv4Output.IP_OFFSET;
import static io.strait.dataplane.NetAgent.VERDICT_FREE;
import static io.strait.dataplane.NetAgent.VERDICT_STEER;
import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * IPv4 input of one core (RFC 791 §3.2, RFC 1122 §3.2.1): each header field is validated once, a malformed or
 * misaddressed packet is dropped and counted by reason, and the rest is dispatched by protocol: TCP to the core's
 * {@link TransportLayer} (or to its owning core under software steering), ICMP errors that quote a TCP segment of
 * ours to the transport through {@link IcmpErrorInput} (handed to the core owning the quoted connection when there
 * are several), other ICMP to {@link IcmpEcho}.
 *
 * <p>Nothing here allocates. Called on the owning core's thread only.
 */
final class Ipv4Input {
    private final DataplaneCounters c;
    private final int localIp;
    private final int netmask;
    private final boolean rxL4ChecksumOffload;
    /** The received frame being handled (shared with the agent, which points it at each frame). */
    private final UnsafeBuffer frame;
    private final IcmpEcho icmp;
    private final IcmpErrorInput icmpErrors;
    /** What the transport writes its output to (the agent). */
    private final SegmentSink sink;
    private TransportLayer transport;
    /** Set when TCP segments may arrive on a core that does not own them; null otherwise. */
    private SteeringPort softwareSteering;
    /** Set with several cores (software steering or the NIC's RSS): ICMP errors go to the quoted flow's core. */
    private SteeringPort icmpSteering;
    private int steerTo;

    Ipv4Input(DataplaneCounters counters, int localIp, int netmask, int caps, UnsafeBuffer frame, IcmpEcho icmp,
              SegmentSink sink) {
        this.c = counters;
        this.localIp = localIp;
        this.netmask = netmask;
        this.rxL4ChecksumOffload = (caps & FrameIo.CAP_RX_TCP_CKSUM) != 0;
        this.frame = frame;
        this.icmp = icmp;
        this.icmpErrors = new IcmpErrorInput(counters, localIp, frame);
        this.sink = sink;
    }

    void transport(TransportLayer transport) {
        this.transport = transport;
    }

    /** Software steering through {@code port}, or null for none (one core, or the NIC's RSS places flows). */
    void softwareSteering(SteeringPort port) {
        this.softwareSteering = port;
    }

    /**
     * With several cores, {@code port} (null for one): an ICMP error lands on whichever core the NIC picked for
     * the ICMP packet, so it is handed to the core that owns the connection it quotes.
     */
    void icmpSteering(SteeringPort port) {
        this.icmpSteering = port;
    }

    /** The core a {@link NetAgent#VERDICT_STEER} verdict hands the frame to. */
    int steerTo() {
        return steerTo;
    }

    /**
     * RFC 791 §3.2 and RFC 1122 §3.2.1 for the IPv4 packet in the frame buffer: validate, then dispatch by
     * protocol. Returns {@link NetAgent#VERDICT_FREE}, {@link NetAgent#VERDICT_STEER} (to {@link #steerTo()}) or
     * the length of a reply written in place.
     */
    int onIpv4(int frameLength, int flags, long nowNs) {
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
                if (softwareSteering != null && l4Length >= 4) {
                    final int owner = softwareSteering.owner(dstIp, frame.getShort(l4 + 2, BIG_ENDIAN) & 0xFFFF,
                        srcIp, frame.getShort(l4, BIG_ENDIAN) & 0xFFFF);
                    if (owner != softwareSteering.core()) {
                        steerTo = owner;
                        return VERDICT_STEER;
                    }
                }
                deliverTcp(l4, l4Length, srcIp, dstIp, flags, nowNs);
                return VERDICT_FREE;
            case Ipv4.PROTO_ICMP:
                if (l4Length >= Icmp.HEADER_LENGTH && IcmpErrorInput.isError(frame.getByte(l4 + Icmp.TYPE) & 0xFF)) {
                    return onIcmpError(l4, l4Length, nowNs);
                }
                return icmp.onIcmp(l4, l4Length, ihl, srcIp, nowNs);
            default:
                c.dropIpProtocol.incrementRelease();
                return VERDICT_FREE;
        }
    }

    /**
     * RFC 1122 §4.2.3.9: an ICMP destination unreachable or time exceeded: validated by {@link IcmpErrorInput}
     * (drops counted there), then handed to the transport, or to the core owning the quoted connection.
     */
    private int onIcmpError(int l4, int l4Length, long nowNs) {
        if (transport == null) {
            c.dropIcmpType.incrementRelease(); // no TCP here: nobody to tell
            return VERDICT_FREE;
        }
        if (!icmpErrors.parse(l4, l4Length)) {
            return VERDICT_FREE;
        }
        final IcmpErrorInput e = icmpErrors;
        if (icmpSteering != null) {
            final int owner = icmpSteering.owner(e.quotedSrcIp, e.srcPort, e.quotedDstIp, e.dstPort);
            if (owner != icmpSteering.core()) {
                steerTo = owner;
                return VERDICT_STEER;
            }
        }
        deliverIcmpError(nowNs);
        return VERDICT_FREE;
    }

    private void deliverIcmpError(long nowNs) {
        final IcmpErrorInput e = icmpErrors;
        c.icmpErrorsToTransport.incrementRelease();
        transport.onIcmpError(e.type, e.code, e.mtu, e.quotedSrcIp, e.quotedDstIp, e.srcPort, e.dstPort, e.seq,
            nowNs);
    }

    /**
     * A frame another core received and steered here: its Ethernet and IPv4 headers were validated there; its TCP
     * segment (or ICMP error about one of this core's connections) goes to this core's transport as if received
     * here (nowhere when none is attached).
     */
    void onSteered(long addr, int frameLength, int flags, long nowNs) {
        if (transport == null) {
            return;
        }
        frame.wrap(addr, frameLength);
        final int ihl = (frame.getByte(IP_OFFSET + Ipv4.VERSION_IHL) & 0xF) * 4;
        final int totalLength = frame.getShort(IP_OFFSET + Ipv4.TOTAL_LENGTH, BIG_ENDIAN) & 0xFFFF;
        if (frame.getByte(IP_OFFSET + Ipv4.PROTOCOL) == Ipv4.PROTO_ICMP) {
            if (icmpErrors.parse(IP_OFFSET + ihl, totalLength - ihl)) { // parsed on the other core: cannot fail
                deliverIcmpError(nowNs);
            }
            return;
        }
        deliverTcp(IP_OFFSET + ihl, totalLength - ihl, frame.getInt(IP_OFFSET + Ipv4.SRC, BIG_ENDIAN),
            frame.getInt(IP_OFFSET + Ipv4.DST, BIG_ENDIAN), flags, nowNs);
    }

    /** Hands the TCP segment in the frame buffer at {@code l4} to the core's transport. */
    private void deliverTcp(int l4, int l4Length, int srcIp, int dstIp, int flags, long nowNs) {
        c.tcpSegmentsIn.incrementRelease();
        if ((flags & FrameIo.RX_L4_CKSUM_BAD) != 0) {
            // Let the engine count it as a checksum failure: it verifies again and drops.
            transport.onSegment(frame, l4, l4Length, srcIp, dstIp, false, nowNs, sink);
            return;
        }
        final boolean byPort = rxL4ChecksumOffload && (flags & FrameIo.RX_L4_CKSUM_GOOD) != 0;
        if (byPort) {
            c.tcpChecksumByPort.incrementRelease();
        }
        transport.onSegment(frame, l4, l4Length, srcIp, dstIp, byPort, nowNs, sink);
    }
}
