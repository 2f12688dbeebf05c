package io.strait.dataplane;

import io.strait.dataplane.wire.Ipv4;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.strait.dataplane.NetAgentTest.OUR_IP;
import static io.strait.dataplane.NetAgentTest.OUR_MAC;
import static io.strait.dataplane.NetAgentTest.PEER_IP;
import static io.strait.dataplane.NetAgentTest.PEER_MAC;
import static io.strait.dataplane.NetAgentTest.eth;
import static io.strait.dataplane.NetAgentTest.fixChecksums;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ICMP errors for TCP on their own (RFC 792, RFC 1122 §4.2.3.9, RFC 1191 §4-5): through {@link Ipv4Input} to the
 * transport with the quoted fields, and every malformed or foreign one dropped with its own reason before.
 */
class IcmpErrorInputTest {
    static final int ROUTER_IP = Ipv4.parse("198.18.0.254");
    static final int OUR_PORT = 80;
    static final int PEER_PORT = 40000;
    static final int SEQ = 0x8765_4321;

    final Layers l = new Layers();
    final long nowNs = 9_000_000_000L;
    final Ipv4InputTest.Recorder transport = new Ipv4InputTest.Recorder();
    final Ipv4Input in = new Ipv4Input(l.c, OUR_IP, -1 << 8, 0, l.frame, l.icmp, new Ipv4InputTest.NoSink());

    IcmpErrorInputTest() {
        in.transport(transport);
    }

    @AfterEach
    void leakCheck() {
        l.leakCheck();
    }

    /**
     * An ICMP error from a router quoting an IPv4 header of {@code quotedIhl} bytes (source {@code quotedSrc},
     * protocol {@code quotedProto}, total length {@code quotedTotal}) and {@code tcpBytes} of TCP header (ports,
     * sequence number {@link #SEQ}); checksums valid.
     */
    static ByteBuffer icmpError(int type, int code, int mtuField, int quotedSrc, int quotedProto, int quotedIhl,
                                int quotedTotal, int tcpBytes) {
        final int icmpLength = 8 + quotedIhl + tcpBytes;
        final ByteBuffer b = eth(14 + 20 + icmpLength, OUR_MAC, PEER_MAC, 0x0800);
        b.put(14, (byte) 0x45).putShort(16, (short) (20 + icmpLength)).put(22, (byte) 64).put(23, (byte) 1)
            .putInt(26, ROUTER_IP).putInt(30, OUR_IP);
        b.put(34, (byte) type).put(35, (byte) code).putShort(40, (short) mtuField);
        final int q = 42;
        b.put(q, (byte) (0x40 | (quotedIhl / 4 & 0xF))).putShort(q + 2, (short) quotedTotal)
            .putShort(q + 6, (short) Ipv4.FLAG_DF).put(q + 8, (byte) 63).put(q + 9, (byte) quotedProto)
            .putInt(q + 12, quotedSrc).putInt(q + 16, PEER_IP);
        final int tcp = q + quotedIhl;
        final byte[] header = ByteBuffer.allocate(8).putShort((short) OUR_PORT).putShort((short) PEER_PORT)
            .putInt(SEQ).array();
        b.put(tcp, header, 0, Math.min(tcpBytes, 8));
        fixChecksums(b);
        return b;
    }

    /** "Fragmentation needed and DF set" with next-hop MTU {@code mtu}, quoting a TCP segment of ours. */
    static ByteBuffer fragNeeded(int mtu, int quotedTotal) {
        return icmpError(3, 4, mtu, OUR_IP, 6, 20, quotedTotal, 8);
    }

    int onIpv4(ByteBuffer b) {
        l.receive(b.array());
        return in.onIpv4(b.capacity(), 0, nowNs);
    }

    void assertDropped(ByteBuffer b, String counter) {
        final long before = l.counter(counter);
        assertEquals(NetAgent.VERDICT_FREE, onIpv4(b), counter);
        assertEquals(before + 1, l.counter(counter), counter);
        assertEquals(0, transport.icmpErrors.size(), "never reached the transport: " + counter);
        assertEquals(0, l.counter("icmp.errors_to_transport"));
    }

    @Test
    @DisplayName("RFC 1191 §4: fragmentation needed reaches the transport with type, code, next-hop MTU and the quoted four-tuple and sequence number")
    void fragNeededDelivered() {
        assertEquals(NetAgent.VERDICT_FREE, onIpv4(fragNeeded(1280, 1500)));
        assertEquals(1, transport.icmpErrors.size());
        assertArrayEquals(new long[] {3, 4, 1280, OUR_IP, PEER_IP, OUR_PORT, PEER_PORT, SEQ, nowNs},
            transport.icmpErrors.get(0));
        assertEquals(1, l.counter("icmp.errors_to_transport"));
        assertEquals(0, l.counter("drop.icmp_type_unhandled"));
        assertEquals(0, l.counter("icmp.echo_requests_in"));
    }

    @Test
    @DisplayName("RFC 1191 §5: MTU 0 (an old router) becomes the plateau below the quoted length; none below 68")
    void mtuZeroUsesPlateau() {
        onIpv4(fragNeeded(0, 1500));
        onIpv4(fragNeeded(0, 1006));
        onIpv4(fragNeeded(0, 65535));
        assertEquals(1492, transport.icmpErrors.get(0)[2]);
        assertEquals(508, transport.icmpErrors.get(1)[2]);
        assertEquals(32000, transport.icmpErrors.get(2)[2]);
        assertEquals(0, IcmpErrorInput.plateauBelow(68));
        assertEquals(68, IcmpErrorInput.plateauBelow(69));
    }

    @Test
    @DisplayName("RFC 1122 §4.2.3.9: port unreachable and time exceeded reach the transport with MTU 0 (the MTU field is read for code 4 only)")
    void otherErrorsDelivered() {
        onIpv4(icmpError(3, 3, 1280, OUR_IP, 6, 20, 40, 8));
        onIpv4(icmpError(11, 0, 0, OUR_IP, 6, 20, 40, 8));
        onIpv4(icmpError(3, 1, 0, OUR_IP, 6, 24, 44, 8)); // the quoted header carries 4 bytes of options
        assertEquals(3, transport.icmpErrors.size());
        assertArrayEquals(new long[] {3, 3, 0, OUR_IP, PEER_IP, OUR_PORT, PEER_PORT, SEQ, nowNs},
            transport.icmpErrors.get(0));
        assertEquals(11, transport.icmpErrors.get(1)[0]);
        assertEquals(SEQ, (int) transport.icmpErrors.get(2)[7], "TCP header found after the quoted options");
    }

    @Test
    @DisplayName("Hostile or broken ICMP errors: each dropped with its own reason, never reaching the transport")
    void malformedDropped() {
        assertDropped(icmpError(3, 4, 1280, OUR_IP, 6, 20, 40, 7), "drop.icmp_error_truncated");
        assertDropped(icmpError(3, 4, 1280, OUR_IP, 6, 24, 44, 4), "drop.icmp_error_truncated");
        final ByteBuffer bad = fragNeeded(1280, 1500);
        bad.put(60, (byte) (bad.get(60) ^ 1)); // a quoted byte changed after the checksum
        assertDropped(bad, "drop.icmp_checksum");
        assertDropped(icmpError(3, 16, 0, OUR_IP, 6, 20, 40, 8), "drop.icmp_error_malformed");
        assertDropped(icmpError(11, 2, 0, OUR_IP, 6, 20, 40, 8), "drop.icmp_error_malformed");
        final ByteBuffer v6 = fragNeeded(1280, 1500);
        v6.put(42, (byte) 0x65);
        fixChecksums(v6);
        assertDropped(v6, "drop.icmp_error_malformed");
        assertDropped(icmpError(3, 4, 1280, OUR_IP, 6, 16, 40, 12), "drop.icmp_error_malformed"); // IHL 4
        final ByteBuffer fragment = fragNeeded(1280, 1500);
        fragment.putShort(42 + 6, (short) 185); // a later fragment: no TCP header in it
        fixChecksums(fragment);
        assertDropped(fragment, "drop.icmp_error_malformed");
        assertDropped(fragNeeded(1280, 39), "drop.icmp_error_malformed"); // too short to have held a TCP header
        assertDropped(icmpError(3, 4, 1280, OUR_IP, 17, 20, 40, 8), "drop.icmp_error_not_tcp");
        assertDropped(icmpError(3, 3, 0, OUR_IP, 1, 20, 40, 8), "drop.icmp_error_not_tcp");
        assertDropped(icmpError(3, 4, 1280, PEER_IP, 6, 20, 1500, 8), "drop.icmp_error_not_ours");
        assertDropped(icmpError(3, 4, 1280, Ipv4.parse("198.18.0.3"), 6, 20, 1500, 8), "drop.icmp_error_not_ours");
    }

    @Test
    @DisplayName("ICMP errors with no transport attached are unhandled; other ICMP types still go to echo")
    void noTransport() {
        in.transport(null);
        final long before = l.counter("drop.icmp_type_unhandled");
        assertEquals(NetAgent.VERDICT_FREE, onIpv4(fragNeeded(1280, 1500)));
        assertEquals(before + 1, l.counter("drop.icmp_type_unhandled"));
        in.transport(transport);
        final ByteBuffer quench = icmpError(4, 0, 0, OUR_IP, 6, 20, 40, 8); // RFC 6633: source quench is ignored
        assertEquals(NetAgent.VERDICT_FREE, onIpv4(quench));
        assertEquals(before + 2, l.counter("drop.icmp_type_unhandled"));
        assertEquals(0, transport.icmpErrors.size());
    }
}
