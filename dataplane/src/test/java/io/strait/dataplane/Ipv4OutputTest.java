package io.strait.dataplane;

import io.strait.dataplane.wire.Ipv4;
import io.strait.tcp.wire.Checksum;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.strait.dataplane.NetAgentTest.OUR_IP;
import static io.strait.dataplane.NetAgentTest.PEER_IP;
import static io.strait.dataplane.NetAgentTest.PEER_MAC;
import static io.strait.dataplane.NetAgentTest.mac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** IPv4 output on its own (RFC 791 §3.1, RFC 1122 §3.3.1): the header, the offload bit, the route. */
class Ipv4OutputTest {
    static final int GATEWAY = Ipv4.parse("198.18.0.1");
    static final int FAR = Ipv4.parse("203.0.113.5");
    final long nowNs = 3_000_000_000L;

    /** Claims, writes {@code l4Length} bytes of {@code protocol} and commits; returns the frame sent. */
    static byte[] sendOne(Layers l, int dst, int protocol, int l4Length) {
        final int off = l.ipv4Out.claim(OUR_IP, dst, protocol, l4Length);
        assertEquals(34, off);
        for (int i = 0; i < l4Length; i++) {
            l.tx.out().putByte(off + i, (byte) (0xA0 + i));
        }
        l.ipv4Out.commit(3_000_000_000L);
        assertEquals(1, l.flush());
        return l.io.sent();
    }

    @Test
    @DisplayName("RFC 791 §3.1: version 4, IHL 5, total length, DF on TCP only, TTL 64, checksum, IDs counting up")
    void header() {
        final Layers l = new Layers();
        l.arp.learn(PEER_IP, PEER_MAC, true, nowNs);
        final byte[] first = sendOne(l, PEER_IP, Ipv4.PROTO_TCP, 20);
        final ByteBuffer b = ByteBuffer.wrap(first);
        assertEquals(14 + 40, first.length);
        assertEquals(PEER_MAC, mac(b, 0), "next hop's MAC");
        assertEquals(0x45, b.get(14));
        assertEquals(0, b.get(15), "TOS");
        assertEquals(40, b.getShort(16));
        assertEquals(Ipv4.FLAG_DF, b.getShort(20), "DF on TCP (RFC 1191), no fragment offset");
        assertEquals(64, b.get(22));
        assertEquals(6, b.get(23));
        assertEquals(OUR_IP, b.getInt(26));
        assertEquals(PEER_IP, b.getInt(30));
        assertTrue(Checksum.verify(new UnsafeBuffer(first), 14, 20));
        assertEquals((byte) 0xA0, b.get(34), "payload untouched");
        final ByteBuffer second = ByteBuffer.wrap(sendOne(l, PEER_IP, Ipv4.PROTO_ICMP, 8));
        assertEquals(0, second.getShort(20), "no DF on ICMP");
        assertEquals((b.getShort(18) + 1) & 0xFFFF, second.getShort(18) & 0xFFFF, "identification counts up");
        l.leakCheck();
    }

    @Test
    @DisplayName("TX IP checksum offload: the checksum is left to the port and the frame carries TX_IP_CKSUM")
    void checksumOffload() {
        final Layers l = new Layers(FrameIo.CAP_TX_IP_CKSUM, 0);
        l.arp.learn(PEER_IP, PEER_MAC, true, nowNs);
        l.ipv4Out.claim(OUR_IP, PEER_IP, Ipv4.PROTO_TCP, 20);
        l.ipv4Out.commit(nowNs);
        l.flush();
        assertEquals(FrameIo.TX_IP_CKSUM, l.io.peekSentFlags());
        final ByteBuffer b = ByteBuffer.wrap(l.io.sent());
        assertEquals(0, b.getShort(24), "checksum field zero for the NIC");
        l.leakCheck();
    }

    @Test
    @DisplayName("TX TCP checksum offload: TCP frames carry TX_TCP_CKSUM (the IP checksum still in software), ICMP not")
    void tcpChecksumOffload() {
        final Layers l = new Layers(FrameIo.CAP_TX_TCP_CKSUM, 0);
        l.arp.learn(PEER_IP, PEER_MAC, true, nowNs);
        l.ipv4Out.claim(OUR_IP, PEER_IP, Ipv4.PROTO_TCP, 20);
        l.ipv4Out.commit(nowNs);
        l.flush();
        assertEquals(FrameIo.TX_TCP_CKSUM, l.io.peekSentFlags());
        assertTrue(Checksum.verify(new UnsafeBuffer(l.io.sent()), 14, 20), "IP checksum written here");
        l.ipv4Out.claim(OUR_IP, PEER_IP, Ipv4.PROTO_ICMP, 8);
        l.ipv4Out.commit(nowNs);
        l.flush();
        assertEquals(0, l.io.peekSentFlags(), "no TCP offload on ICMP");
        l.io.sent();
        l.leakCheck();
    }

    @Test
    @DisplayName("RFC 1122 §3.3.1.1: on-link destinations are resolved directly, others through the gateway")
    void route() {
        final Layers l = new Layers(0, GATEWAY);
        l.ipv4Out.claim(OUR_IP, FAR, Ipv4.PROTO_TCP, 20);
        l.ipv4Out.commit(nowNs);
        l.ipv4Out.claim(OUR_IP, Ipv4.parse("198.18.0.7"), Ipv4.PROTO_TCP, 20);
        l.ipv4Out.commit(nowNs);
        assertEquals(2, l.flush(), "two ARP requests, both frames held");
        assertEquals(GATEWAY, ByteBuffer.wrap(l.io.sent()).getInt(38), "off-link: the gateway is resolved");
        assertEquals(Ipv4.parse("198.18.0.7"), ByteBuffer.wrap(l.io.sent()).getInt(38), "on-link: the destination");
        l.arp.learn(GATEWAY, PEER_MAC, false, nowNs);
        assertEquals(1, l.flush());
        final ByteBuffer f = ByteBuffer.wrap(l.io.sent());
        assertEquals(PEER_MAC, mac(f, 0), "the gateway's MAC");
        assertEquals(FAR, f.getInt(30), "the destination's address");
        l.leakCheck();
    }

    @Test
    @DisplayName("No gateway: an off-link destination is dropped and counted; a claim too big for a buffer is refused")
    void noRouteAndTooBig() {
        final Layers l = new Layers();
        assertEquals(34, l.ipv4Out.claim(OUR_IP, FAR, Ipv4.PROTO_TCP, 20));
        l.ipv4Out.commit(nowNs);
        assertEquals(1, l.counter("drop.ip_no_route"));
        assertEquals(0, l.flush());
        assertEquals(-1, l.ipv4Out.claim(OUR_IP, PEER_IP, Ipv4.PROTO_TCP, l.io.frameRoom() - 33));
        assertEquals(34, l.ipv4Out.claim(OUR_IP, PEER_IP, Ipv4.PROTO_TCP, l.io.frameRoom() - 34), "exactly full");
        l.tx.abandon();
        assertNull(l.io.sent());
        l.leakCheck();
    }
}
