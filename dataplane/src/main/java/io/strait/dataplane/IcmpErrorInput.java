package io.strait.dataplane;

import io.strait.dataplane.wire.Icmp;
import io.strait.dataplane.wire.Ipv4;
import io.strait.tcp.wire.Checksum;
import org.agrona.concurrent.UnsafeBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * ICMP errors for TCP (RFC 792, RFC 1122 §3.2.2.1 and §4.2.3.9, RFC 1191 §4): a destination unreachable or time
 * exceeded message that quotes the IPv4 header and the first 8 bytes of a TCP segment this host sent is validated
 * here, once, and its fields are left in this object for the transport ({@link TransportLayer#onIcmpError}).
 * <pre>
 *  0               1               2               3
 * +---------------+---------------+-------------------------------+
 * |  Type (3, 11) |     Code      |           Checksum            |  0
 * +---------------+---------------+-------------------------------+
 * |            unused             | Next-hop MTU (type 3 code 4)  |  4  RFC 1191 §4
 * +-------------------------------+-------------------------------+
 * |  quoted IPv4 header (IHL * 4 bytes): source = us, protocol 6  |  8
 * +-------------------------------+-------------------------------+
 * |  quoted source port (ours)    |  quoted destination port      |  8 + IHL*4
 * +-------------------------------+-------------------------------+
 * |                quoted sequence number                         |  12 + IHL*4
 * +---------------------------------------------------------------+
 * </pre>
 * Everything in it is attacker-controlled: lengths are checked before any field is read, the quoted packet must
 * be TCP from our address, and a malformed message is dropped and counted by reason. The engine then checks the
 * four-tuple and the sequence number (RFC 5927 §4.1) and bounds the MTU.
 *
 * <p>Nothing here allocates. Called on the owning core's thread only.
 */
final class IcmpErrorInput {
    /** RFC 792: the ICMP header, the quoted IPv4 header without options, and 64 bits of the quoted data. */
    static final int MIN_LENGTH = Icmp.HEADER_LENGTH + Ipv4.MIN_HEADER_LENGTH + 8;
    /** RFC 1191 §4: the next-hop MTU, low half of the second word of a "fragmentation needed". */
    static final int NEXT_HOP_MTU = 6;
    static final int QUOTED = Icmp.HEADER_LENGTH;
    /** RFC 1812 §5.2.7.1: destination unreachable codes 0..15 are defined; time exceeded has 0 and 1. */
    static final int MAX_UNREACHABLE_CODE = 15;
    static final int MAX_TIME_EXCEEDED_CODE = 1;
    static final int CODE_FRAGMENTATION_NEEDED = 4;
    /**
     * RFC 1191 §7: the MTU plateaus, highest first. A router that predates RFC 1191 reports MTU 0; the host then
     * takes the plateau below the length of the datagram it quotes (§5).
     */
    static final int[] PLATEAUS = {65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};

    private final DataplaneCounters c;
    private final int localIp;
    /** The received frame being handled (shared with the agent, which points it at each frame). */
    private final UnsafeBuffer frame;

    // The last message accepted by parse(): what the transport is told.
    int type;
    int code;
    int mtu;
    int quotedSrcIp;
    int quotedDstIp;
    int srcPort;
    int dstPort;
    int seq;

    IcmpErrorInput(DataplaneCounters counters, int localIp, UnsafeBuffer frame) {
        this.c = counters;
        this.localIp = localIp;
        this.frame = frame;
    }

    /** The ICMP types handled here (RFC 1122 §4.2.3.9): destination unreachable and time exceeded. */
    static boolean isError(int type) {
        return type == Icmp.TYPE_DEST_UNREACHABLE || type == Icmp.TYPE_TIME_EXCEEDED;
    }

    /**
     * Validates the ICMP error at {@code icmp} of the frame buffer ({@code icmpLength} bytes, from the IPv4 total
     * length); on success its fields are set and true is returned, otherwise the drop is counted.
     */
    boolean parse(int icmp, int icmpLength) {
        if (icmpLength < MIN_LENGTH) {
            c.dropIcmpErrorTruncated.incrementRelease();
            return false;
        }
        if (!Checksum.verify(frame, icmp, icmpLength)) {
            c.dropIcmpChecksum.incrementRelease();
            return false;
        }
        final int t = frame.getByte(icmp + Icmp.TYPE) & 0xFF;
        final int k = frame.getByte(icmp + Icmp.CODE) & 0xFF;
        if (k > (t == Icmp.TYPE_DEST_UNREACHABLE ? MAX_UNREACHABLE_CODE : MAX_TIME_EXCEEDED_CODE) || !isError(t)) {
            c.dropIcmpErrorMalformed.incrementRelease();
            return false;
        }
        final int q = icmp + QUOTED;
        final int versionIhl = frame.getByte(q + Ipv4.VERSION_IHL) & 0xFF;
        final int ihl = (versionIhl & 0xF) * 4;
        if ((versionIhl >>> 4) != 4 || ihl < Ipv4.MIN_HEADER_LENGTH) {
            c.dropIcmpErrorMalformed.incrementRelease();
            return false;
        }
        if (QUOTED + ihl + 8 > icmpLength) {
            c.dropIcmpErrorTruncated.incrementRelease(); // options quoted, but not the 8 bytes of TCP after them
            return false;
        }
        final int quotedLength = frame.getShort(q + Ipv4.TOTAL_LENGTH, BIG_ENDIAN) & 0xFFFF;
        // Only a first fragment carries the TCP header (and Strait sends no fragments); a TCP segment we sent has
        // at least the 20 bytes of its header after the IP header.
        if ((frame.getShort(q + Ipv4.FLAGS_FRAGMENT, BIG_ENDIAN) & Ipv4.FRAGMENT_OFFSET_MASK) != 0
            || quotedLength < ihl + 20) {
            c.dropIcmpErrorMalformed.incrementRelease();
            return false;
        }
        if (frame.getByte(q + Ipv4.PROTOCOL) != Ipv4.PROTO_TCP) {
            c.dropIcmpErrorNotTcp.incrementRelease();
            return false;
        }
        final int src = frame.getInt(q + Ipv4.SRC, BIG_ENDIAN);
        if (src != localIp) {
            c.dropIcmpErrorNotOurs.incrementRelease(); // about a packet someone else sent
            return false;
        }
        final int tcp = q + ihl;
        type = t;
        code = k;
        quotedSrcIp = src;
        quotedDstIp = frame.getInt(q + Ipv4.DST, BIG_ENDIAN);
        srcPort = frame.getShort(tcp, BIG_ENDIAN) & 0xFFFF;
        dstPort = frame.getShort(tcp + 2, BIG_ENDIAN) & 0xFFFF;
        seq = frame.getInt(tcp + 4, BIG_ENDIAN);
        if (t == Icmp.TYPE_DEST_UNREACHABLE && k == CODE_FRAGMENTATION_NEEDED) {
            final int field = frame.getShort(icmp + NEXT_HOP_MTU, BIG_ENDIAN) & 0xFFFF;
            mtu = field != 0 ? field : plateauBelow(quotedLength);
        } else {
            mtu = 0;
        }
        return true;
    }

    /** RFC 1191 §5: the largest plateau below {@code length}; 0 when there is none (68 is the least MTU). */
    static int plateauBelow(int length) {
        for (int p : PLATEAUS) {
            if (p < length) {
                return p;
            }
        }
        return 0;
    }
}
