package io.strait.dataplane;

import io.strait.dataplane.wire.Ipv4;
import io.strait.tcp.SegmentSink;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static io.strait.dataplane.NetAgentTest.OUR_IP;
import static io.strait.dataplane.NetAgentTest.PEER_IP;
import static io.strait.dataplane.NetAgentTest.echo;
import static io.strait.dataplane.NetAgentTest.fixChecksums;
import static io.strait.dataplane.NetAgentTest.tcp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** IPv4 input on its own (RFC 791 §3.2, RFC 1122 §3.2.1): one drop reason per check, dispatch by protocol. */
class Ipv4InputTest {
    final Layers l = new Layers();
    final long nowNs = 7_000_000_000L;
    final Recorder transport = new Recorder();
    final SegmentSink sink = new NoSink();
    Ipv4Input in = input(0);

    /** Records each segment it is handed: offset, length, source, destination, checksum verified. */
    static final class Recorder implements TransportLayer {
        final List<long[]> segments = new ArrayList<>();
        SegmentSink lastSink;

        @Override
        public void onSegment(DirectBuffer buffer, int offset, int length, int srcIp, int dstIp,
                              boolean checksumVerified, long nowNs, SegmentSink out) {
            segments.add(new long[] {offset, length, srcIp, dstIp, checksumVerified ? 1 : 0, nowNs});
            lastSink = out;
        }

        final List<long[]> icmpErrors = new ArrayList<>();

        @Override
        public void onIcmpError(int type, int code, int mtu, int quotedSrcIp, int quotedDstIp, int srcPort,
                                int dstPort, int quotedSeq, long nowNs) {
            icmpErrors.add(new long[] {type, code, mtu, quotedSrcIp, quotedDstIp, srcPort, dstPort, quotedSeq, nowNs});
        }

        @Override
        public int poll(long nowNs, SegmentSink out) {
            return 0;
        }
    }

    static final class NoSink implements SegmentSink {
        @Override
        public int claim(int localIp, int remoteIp, int tcpLength) {
            return -1;
        }

        @Override
        public MutableDirectBuffer buffer() {
            return null;
        }

        @Override
        public void commit() {
        }
    }

    Ipv4Input input(int caps) {
        final Ipv4Input i = new Ipv4Input(l.c, OUR_IP, -1 << 8, caps, l.frame, l.icmp, sink);
        i.transport(transport);
        return i;
    }

    @AfterEach
    void leakCheck() {
        l.leakCheck();
    }

    int onIpv4(byte[] frame, int flags) {
        l.receive(frame);
        return in.onIpv4(frame.length, flags, nowNs);
    }

    void assertDropped(ByteBuffer b, String counter) {
        assertDropped(b.array(), 0, counter);
    }

    void assertDropped(byte[] frame, int flags, String counter) {
        final long before = l.counter(counter);
        final long icmpBefore = l.counter("icmp.echo_requests_in");
        final int segmentsBefore = transport.segments.size();
        assertEquals(NetAgent.VERDICT_FREE, onIpv4(frame, flags), counter);
        assertEquals(before + 1, l.counter(counter), counter);
        assertEquals(icmpBefore, l.counter("icmp.echo_requests_in"), "never reached ICMP: " + counter);
        assertEquals(segmentsBefore, transport.segments.size(), "never reached TCP: " + counter);
    }

    @Test
    @DisplayName("Every check drops with its own reason: length, version, IHL, total length, checksum, fragment, TTL")
    void headerChecks() {
        assertDropped(new byte[14 + 19], 0, "drop.ip_truncated");
        ByteBuffer b = echo(8);
        b.put(14, (byte) 0x65);
        fixChecksums(b);
        assertDropped(b, "drop.ip_version");
        b = echo(8);
        b.put(14, (byte) 0x44);
        assertDropped(b, "drop.ip_header_length");
        b = echo(8);
        b.put(14, (byte) 0x4F); // 60 bytes of header in a 50-byte packet
        assertDropped(b, "drop.ip_header_length");
        b = echo(8);
        b.putShort(16, (short) (20 + 8 + 9));
        fixChecksums(b);
        assertDropped(b, "drop.ip_total_length");
        b = echo(8);
        b.putShort(16, (short) 19);
        fixChecksums(b);
        assertDropped(b, "drop.ip_total_length");
        b = echo(8);
        b.put(24, (byte) (b.get(24) ^ 1));
        assertDropped(b, "drop.ip_checksum");
        b = echo(8);
        b.putShort(20, (short) Ipv4.FLAG_MF);
        fixChecksums(b);
        assertDropped(b, "drop.ip_fragment");
        b = echo(8);
        b.putShort(20, (short) 1);
        fixChecksums(b);
        assertDropped(b, "drop.ip_fragment");
        b = echo(8);
        b.put(22, (byte) 0);
        fixChecksums(b);
        assertDropped(b, "drop.ip_ttl_zero");
        assertEquals(10, l.counter("ip.packets_in"));
    }

    @Test
    @DisplayName("RFC 1122 §3.2.1.3: not our address, or a source that is 0, broadcast, multicast, ours or our subnet's broadcast")
    void addressChecks() {
        ByteBuffer b = echo(8);
        b.putInt(30, Ipv4.parse("198.18.0.9"));
        fixChecksums(b);
        assertDropped(b, "drop.ip_not_for_us");
        for (String src : new String[] {"0.0.0.0", "255.255.255.255", "224.0.0.1", "239.1.2.3", "198.18.0.2",
            "198.18.0.255"}) {
            b = echo(8);
            b.putInt(26, Ipv4.parse(src));
            fixChecksums(b);
            assertDropped(b, "drop.ip_source_invalid");
        }
        b = echo(8);
        b.putInt(26, Ipv4.parse("198.18.1.255")); // another subnet's broadcast address is a unicast source here
        fixChecksums(b);
        assertEquals(14 + 36, onIpv4(b.array(), 0));
    }

    @Test
    @DisplayName("The NIC's checksum verdicts: bad drops unverified, good skips the software check")
    void checksumOffloadVerdicts() {
        assertDropped(echo(8).array(), FrameIo.RX_IP_CKSUM_BAD, "drop.ip_checksum");
        final ByteBuffer b = echo(8);
        b.putShort(24, (short) 0x1234); // wrong, but the NIC said good
        assertEquals(14 + 36, onIpv4(b.array(), FrameIo.RX_IP_CKSUM_GOOD));
    }

    @Test
    @DisplayName("Protocol dispatch: ICMP to IcmpEcho, TCP to the transport with our sink, others counted")
    void dispatch() {
        final ByteBuffer padded = ByteBuffer.allocate(60);
        padded.put(echo(0).array());
        assertEquals(14 + 28, onIpv4(padded.array(), 0), "ICMP length from the total length, not the padding");
        assertEquals(NetAgent.VERDICT_FREE, onIpv4(tcp(1), 0));
        assertEquals(1, transport.segments.size());
        final long[] s = transport.segments.get(0);
        assertEquals(34, s[0], "segment offset");
        assertEquals(20, s[1], "segment length");
        assertEquals(PEER_IP, (int) s[2]);
        assertEquals(OUR_IP, (int) s[3]);
        assertEquals(0, s[4], "not verified: the port has no L4 offload");
        assertEquals(nowNs, s[5]);
        assertSame(sink, transport.lastSink);
        assertEquals(1, l.counter("tcp.segments_to_engine"));
        final ByteBuffer udp = echo(8);
        udp.put(23, (byte) 17);
        fixChecksums(udp);
        assertDropped(udp, "drop.ip_protocol_unsupported");
    }

    @Test
    @DisplayName("Protocol 6 with no transport attached is an unsupported protocol")
    void tcpWithoutTransport() {
        in.transport(null);
        assertDropped(tcp(1), 0, "drop.ip_protocol_unsupported");
        assertEquals(0, l.counter("tcp.segments_to_engine"));
    }

    @Test
    @DisplayName("L4 checksum verdicts reach the engine only with the offload enabled; a bad verdict is never trusted")
    void l4Verdicts() {
        in = input(FrameIo.CAP_RX_TCP_CKSUM);
        onIpv4(tcp(1), FrameIo.RX_L4_CKSUM_GOOD);
        onIpv4(tcp(2), FrameIo.RX_L4_CKSUM_BAD | FrameIo.RX_L4_CKSUM_GOOD);
        onIpv4(tcp(3), 0);
        in = input(0);
        onIpv4(tcp(4), FrameIo.RX_L4_CKSUM_GOOD);
        final long[] verified = transport.segments.stream().mapToLong(s -> s[4]).toArray();
        assertEquals(List.of(1L, 0L, 0L, 0L), java.util.Arrays.stream(verified).boxed().toList());
        assertEquals(1, l.counter("tcp.checksum_verified_by_port"), "only the trusted verdict is counted");
    }

    @Test
    @DisplayName("Software steering: a segment another core owns gets VERDICT_STEER and that core; ours is delivered")
    void steeringVerdict() {
        final Steering steering = Steering.software(2, 49152, 65535);
        final SteeringPort port = new SteeringPort(steering, 0, l.io, l.c, null, in, l.arp);
        in.softwareSteering(port);
        int steered = 0;
        int delivered = 0;
        for (int peerPort = 1000; peerPort < 1064; peerPort++) {
            final byte[] f = tcp(0);
            ByteBuffer.wrap(f).putShort(34, (short) peerPort).putShort(36, (short) 80);
            final int owner = steering.owner(OUR_IP, 80, PEER_IP, peerPort);
            final int verdict = onIpv4(f, 0);
            if (owner == 0) {
                assertEquals(NetAgent.VERDICT_FREE, verdict);
                delivered++;
            } else {
                assertEquals(NetAgent.VERDICT_STEER, verdict);
                assertEquals(1, in.steerTo());
                steered++;
            }
        }
        assertTrue(steered > 0 && delivered > 0, steered + " steered, " + delivered + " delivered");
        assertEquals(delivered, transport.segments.size());
    }
}
