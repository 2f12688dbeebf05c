package io.strait.dataplane;

import io.strait.tcp.wire.Checksum;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static io.strait.dataplane.NetAgentTest.OUR_IP;
import static io.strait.dataplane.NetAgentTest.OUR_MAC;
import static io.strait.dataplane.NetAgentTest.PEER_IP;
import static io.strait.dataplane.NetAgentTest.PEER_MAC;
import static io.strait.dataplane.NetAgentTest.echo;
import static io.strait.dataplane.NetAgentTest.fixChecksums;
import static io.strait.dataplane.NetAgentTest.mac;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ICMP echo on its own (RFC 792, RFC 1122 §3.2.2.6): the reply built in place, replies to us, our requests. */
class IcmpEchoTest {
    final Layers l = new Layers();
    final long nowNs = 5_000_000_000L;

    @AfterEach
    void leakCheck() {
        l.leakCheck();
    }

    /** Hands the echo frame to IcmpEcho as Ipv4Input does (IPv4 header validated, 20 bytes, no options). */
    int onIcmp(ByteBuffer b) {
        l.receive(b.array());
        return l.icmp.onIcmp(34, (b.getShort(16) & 0xFFFF) - 20, 20, b.getInt(26), nowNs);
    }

    @Test
    @DisplayName("RFC 1122 §3.2.2.6: the reply is the request with type 0, addresses swapped, TTL reset, checksums valid")
    void replyBuiltInPlace() {
        final ByteBuffer req = echo(56);
        req.put(22, (byte) 3); // arrived with a low TTL
        fixChecksums(req);
        final byte[] payload = new byte[56];
        req.get(42, payload);
        assertEquals(14 + 20 + 8 + 56, onIcmp(req), "reply length: the request's");
        final ByteBuffer r = req;
        assertEquals(PEER_MAC, mac(r, 0));
        assertEquals(OUR_MAC, mac(r, 6));
        assertEquals(OUR_IP, r.getInt(26));
        assertEquals(PEER_IP, r.getInt(30));
        assertEquals(64, r.get(22), "default TTL");
        assertEquals(0, r.get(34), "echo reply");
        assertEquals(0, r.get(35), "code 0");
        assertEquals(0x1234, r.getShort(38), "identifier kept");
        assertEquals(9, r.getShort(40), "sequence kept");
        final byte[] echoed = new byte[56];
        r.get(42, echoed);
        assertArrayEquals(payload, echoed, "data returned unchanged");
        final UnsafeBuffer u = new UnsafeBuffer(r.array());
        assertTrue(Checksum.verify(u, 14, 20));
        assertTrue(Checksum.verify(u, 34, 64));
        assertEquals(1, l.counter("icmp.echo_requests_in"));
        assertEquals(1, l.counter("icmp.echo_replies_out"));
    }

    @Test
    @DisplayName("An echo reply goes to the listener with identifier, sequence, data length and the cycle's time")
    void replyToListener() {
        final List<long[]> heard = new ArrayList<>();
        l.icmp.listener((src, id, seq, len, t) -> heard.add(new long[] {src, id, seq, len, t}));
        final ByteBuffer reply = echo(24);
        reply.put(34, (byte) 0);
        fixChecksums(reply);
        assertEquals(NetAgent.VERDICT_FREE, onIcmp(reply));
        assertEquals(1, heard.size());
        assertArrayEquals(new long[] {PEER_IP, 0x1234, 9, 24, nowNs}, heard.get(0));
        assertEquals(1, l.counter("icmp.echo_replies_in"));
    }

    @Test
    @DisplayName("Truncated, bad checksum, other types and non-zero codes are dropped by reason")
    void dropsByReason() {
        ByteBuffer b = echo(8);
        l.receive(b.array());
        assertEquals(NetAgent.VERDICT_FREE, l.icmp.onIcmp(34, 7, 20, PEER_IP, nowNs));
        assertEquals(1, l.counter("drop.icmp_truncated"));
        b = echo(8);
        b.put(45, (byte) 0x55);
        assertEquals(NetAgent.VERDICT_FREE, onIcmp(b));
        assertEquals(1, l.counter("drop.icmp_checksum"));
        b = echo(8);
        b.put(34, (byte) 13); // timestamp
        fixChecksums(b);
        assertEquals(NetAgent.VERDICT_FREE, onIcmp(b));
        b = echo(8);
        b.put(35, (byte) 1); // echo request with a code RFC 792 does not define
        fixChecksums(b);
        assertEquals(NetAgent.VERDICT_FREE, onIcmp(b));
        assertEquals(2, l.counter("drop.icmp_type_unhandled"));
        assertEquals(0, l.counter("icmp.echo_replies_out"));
    }

    @Test
    @DisplayName("Our echo request: IPv4 without DF, payload 0, 1, 2, ..., valid checksums, through ARP")
    void sendRequest() {
        l.arp.learn(PEER_IP, PEER_MAC, true, nowNs);
        assertTrue(l.icmp.sendRequest(PEER_IP, 77, 5, 16, nowNs));
        assertEquals(1, l.flush());
        final byte[] f = l.io.sent();
        final ByteBuffer b = ByteBuffer.wrap(f);
        assertEquals(14 + 20 + 8 + 16, f.length);
        assertEquals(PEER_MAC, mac(b, 0));
        assertEquals(0x45, b.get(14));
        assertEquals(20 + 8 + 16, b.getShort(16));
        assertEquals(0, b.getShort(20), "no DF on ICMP");
        assertEquals(1, b.get(23));
        assertEquals(OUR_IP, b.getInt(26));
        assertEquals(PEER_IP, b.getInt(30));
        assertEquals(8, b.get(34), "echo request");
        assertEquals(77, b.getShort(38));
        assertEquals(5, b.getShort(40));
        for (int i = 0; i < 16; i++) {
            assertEquals(i, b.get(42 + i));
        }
        final UnsafeBuffer u = new UnsafeBuffer(f);
        assertTrue(Checksum.verify(u, 14, 20));
        assertTrue(Checksum.verify(u, 34, 24));
    }

    @Test
    @DisplayName("A request that does not fit, has a negative size or finds no buffer is refused, nothing taken")
    void requestRefused() {
        final int room = l.io.frameRoom();
        assertFalse(l.icmp.sendRequest(PEER_IP, 1, 1, room, nowNs));
        assertFalse(l.icmp.sendRequest(PEER_IP, 1, 1, -1, nowNs));
        assertEquals(0, l.io.outstanding(), "no buffer taken");
        l.io.exhausted = true;
        assertFalse(l.icmp.sendRequest(PEER_IP, 1, 1, 8, nowNs));
        assertEquals(1, l.counter("drop.mbuf_exhausted"));
        l.io.exhausted = false;
        assertNull(l.io.sent());
    }
}
