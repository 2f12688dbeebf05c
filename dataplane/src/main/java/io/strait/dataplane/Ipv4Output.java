package io.strait.dataplane;

import io.strait.dataplane.wire.Ethernet;
import io.strait.dataplane.wire.Ipv4;
import io.strait.tcp.wire.Checksum;
import org.agrona.concurrent.UnsafeBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * IPv4 output of one core (RFC 791 §3.1, RFC 1122 §3.3.1): the claim a transport writes its segment into, the
 * 20-byte header in front of it, and the route (on-link or the gateway) handed to {@link ArpResolver} for the
 * next hop's MAC.
 *
 * <p>Nothing here allocates. Called on the owning core's thread only.
 */
final class Ipv4Output {
    static final int IP_OFFSET = Ethernet.HEADER_LENGTH;
    /** Where a transport's header starts: Strait sends no IPv4 options. */
    static final int L4_OFFSET = Ethernet.HEADER_LENGTH + Ipv4.MIN_HEADER_LENGTH;

    private final FrameIo io;
    private final TxQueue tx;
    private final ArpResolver arp;
    private final DataplaneCounters c;
    private final int localIp;
    private final int netmask;
    private final int gateway;
    private final boolean txIpChecksumOffload;
    private final boolean txTcpChecksumOffload;
    private int claimLocalIp;
    private int claimRemoteIp;
    private int claimProtocol;
    private int claimFrameLength;
    private int ipId;

    Ipv4Output(FrameIo io, TxQueue tx, ArpResolver arp, DataplaneCounters counters, int localIp, int netmask,
               int gateway) {
        this.io = io;
        this.tx = tx;
        this.arp = arp;
        this.c = counters;
        this.localIp = localIp;
        this.netmask = netmask;
        this.gateway = gateway;
        this.txIpChecksumOffload = (io.caps() & FrameIo.CAP_TX_IP_CKSUM) != 0;
        this.txTcpChecksumOffload = (io.caps() & FrameIo.CAP_TX_TCP_CKSUM) != 0;
    }

    /**
     * Claims a buffer for an IPv4 packet of {@code protocol} carrying {@code l4Length} bytes; the caller writes
     * them at {@link #L4_OFFSET} of {@link TxQueue#out()} and then calls {@link #commit}. Returns
     * {@link #L4_OFFSET}, or -1 when the packet does not fit a buffer or none is free.
     */
    int claim(int src, int dst, int protocol, int l4Length) {
        final int frameLength = L4_OFFSET + l4Length;
        if (frameLength > io.frameRoom() || !tx.take()) {
            return -1;
        }
        claimLocalIp = src;
        claimRemoteIp = dst;
        claimProtocol = protocol;
        claimFrameLength = frameLength;
        return L4_OFFSET;
    }

    /** Writes the IPv4 header in front of the claimed payload and sends the packet toward its destination. */
    void commit(long nowNs) {
        final int lenFlags = putHeader(tx.out(), claimLocalIp, claimRemoteIp, claimProtocol, claimFrameLength);
        final long addr = tx.claimAddr();
        send(tx.release(), addr, claimRemoteIp, lenFlags, nowNs);
    }

    /** Writes a 20-byte IPv4 header into {@code out}; returns the frame length with TX offload bits. */
    int putHeader(UnsafeBuffer out, int src, int dst, int protocol, int frameLength) {
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
        // With TX TCP checksum offload the engine left the pseudo-header sum in the segment (TcpEngine
        // txChecksumOffload, set from the same port capability); the port completes it.
        final int l4 = protocol == Ipv4.PROTO_TCP && txTcpChecksumOffload ? FrameIo.TX_TCP_CKSUM : 0;
        if (txIpChecksumOffload) {
            return frameLength | FrameIo.TX_IP_CKSUM | l4;
        }
        out.putShort(ip + Ipv4.CHECKSUM, (short) Checksum.compute(out, ip, Ipv4.MIN_HEADER_LENGTH), BIG_ENDIAN);
        return frameLength | l4;
    }

    /**
     * RFC 1122 §3.3.1.1: the next hop is the destination when on-link, else the gateway; with neither the frame is
     * freed and counted. Ownership of {@code buf} passes to this call.
     */
    void send(long buf, long addr, int dstIp, int lenFlags, long nowNs) {
        final int nextHop = (dstIp & netmask) == (localIp & netmask) ? dstIp : gateway;
        if (nextHop == 0) {
            c.dropNoRoute.incrementRelease();
            tx.free(buf);
            return;
        }
        arp.send(nextHop, buf, addr, lenFlags, nowNs);
    }
}
