package io.strait.dataplane;

import io.strait.dataplane.wire.Ethernet;
import io.strait.dataplane.wire.Icmp;
import io.strait.dataplane.wire.Ipv4;
import io.strait.tcp.wire.Checksum;
import org.agrona.concurrent.UnsafeBuffer;

import static io.strait.dataplane.Ipv4Output.IP_OFFSET;
import static io.strait.dataplane.NetAgent.VERDICT_FREE;
import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * ICMP echo of one core (RFC 792, RFC 1122 §3.2.2.6): a request is answered in place in the received buffer,
 * a reply goes to the {@link IcmpListener}, and echo requests of our own ({@code strait ping}) are built here.
 * Errors for TCP (destination unreachable, time exceeded) go to {@link IcmpErrorInput} before they reach this
 * class; other ICMP types are counted and dropped.
 *
 * <p>Nothing here allocates. Called on the owning core's thread only.
 */
final class IcmpEcho {
    private final TxQueue tx;
    private final Ipv4Output ipv4Out;
    private final DataplaneCounters c;
    private final long mac;
    private final int localIp;
    /** The received frame being handled (shared with the agent, which points it at each frame). */
    private final UnsafeBuffer frame;
    private IcmpListener listener;

    IcmpEcho(TxQueue tx, Ipv4Output ipv4Out, DataplaneCounters counters, long mac, int localIp, UnsafeBuffer frame) {
        this.tx = tx;
        this.ipv4Out = ipv4Out;
        this.c = counters;
        this.mac = mac;
        this.localIp = localIp;
        this.frame = frame;
    }

    void listener(IcmpListener listener) {
        this.listener = listener;
    }

    /**
     * The ICMP message at {@code icmp} of the frame buffer, its IPv4 header {@code ihl} bytes at
     * {@link Ipv4Output#IP_OFFSET}, already validated. An echo request becomes the reply in place: type 0, addresses
     * swapped, both checksums recomputed (RFC 1122 §3.2.2.6). Returns {@link NetAgent#VERDICT_FREE} or the reply's
     * frame length.
     */
    int onIcmp(int icmp, int icmpLength, int ihl, int srcIp, long nowNs) {
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
            if (listener != null) {
                listener.onEchoReply(srcIp, frame.getShort(icmp + Icmp.ID, BIG_ENDIAN) & 0xFFFF,
                    frame.getShort(icmp + Icmp.SEQUENCE, BIG_ENDIAN) & 0xFFFF, icmpLength - Icmp.HEADER_LENGTH,
                    nowNs);
            }
            return VERDICT_FREE;
        }
        c.dropIcmpType.incrementRelease();
        return VERDICT_FREE;
    }

    /**
     * Sends an echo request whose payload is the bytes 0, 1, 2, ...; false when no buffer was free or the payload
     * does not fit.
     */
    boolean sendRequest(int dstIp, int id, int sequence, int payloadLength, long nowNs) {
        if (payloadLength < 0) {
            return false;
        }
        final int icmpLength = Icmp.HEADER_LENGTH + payloadLength;
        final int icmp = ipv4Out.claim(localIp, dstIp, Ipv4.PROTO_ICMP, icmpLength);
        if (icmp < 0) {
            return false;
        }
        final UnsafeBuffer out = tx.out();
        out.putByte(icmp + Icmp.TYPE, (byte) Icmp.TYPE_ECHO_REQUEST);
        out.putByte(icmp + Icmp.CODE, (byte) 0);
        out.putShort(icmp + Icmp.CHECKSUM, (short) 0);
        out.putShort(icmp + Icmp.ID, (short) id, BIG_ENDIAN);
        out.putShort(icmp + Icmp.SEQUENCE, (short) sequence, BIG_ENDIAN);
        for (int i = 0; i < payloadLength; i++) {
            out.putByte(icmp + Icmp.HEADER_LENGTH + i, (byte) i);
        }
        out.putShort(icmp + Icmp.CHECKSUM, (short) Checksum.compute(out, icmp, icmpLength), BIG_ENDIAN);
        ipv4Out.commit(nowNs);
        return true;
    }
}
