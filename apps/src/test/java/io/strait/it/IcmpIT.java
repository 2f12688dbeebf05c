package io.strait.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 2: ARP and ICMP through the real DPDK port ({@code net_af_packet} on strait0) with the Linux kernel in
 * {@code strait-peer} as the peer.
 */
class IcmpIT {
    static StraitServer server;

    @BeforeAll
    static void start() {
        server = StraitServer.start("--app", "discard");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            assertEquals(0, server.stop(), "serve exits 0 on SIGTERM\n" + server.stderr());
        }
    }

    @Test
    void arpingFromThePeerGetsEveryReplyAndThePeerLearnsStraitsMac() {
        final Cmd.Result r = Cmd.peer(30, "arping", "-c", "5", "-i", "0.2", "-I", "strait1", "198.18.0.2");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("5 packets transmitted, 5 packets received"), r.toString());
        final String mac = server.readyField("mac");
        final Cmd.Result neigh = Cmd.peer(10, "ip", "neigh", "show", "198.18.0.2", "dev", "strait1");
        assertTrue(neigh.out().contains(mac), "peer ARP cache has Strait's MAC " + mac + ": " + neigh.out());
        assertTrue(server.counter("arp.replies_out") >= 5);
    }

    @Test
    void twoHundredFastPingsAllAnswered() {
        final Cmd.Result r = Cmd.peer(60, "ping", "-c", "200", "-i", "0.01", "-W", "2", "198.18.0.2");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("200 packets transmitted, 200 received"), r.toString());
    }

    @Test
    void fullSizePingOf1472BytesWithDontFragment() {
        final Cmd.Result r = Cmd.peer(30, "ping", "-c", "5", "-i", "0.05", "-s", "1472", "-M", "do",
            "198.18.0.2");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("5 packets transmitted, 5 received"), r.toString());
        assertTrue(r.out().contains("1480 bytes from 198.18.0.2"), r.toString());
    }

    @Test
    void badIpChecksumIsDroppedAndCounted() {
        final long before = server.counter("drop.ip_checksum");
        final long repliesBefore = server.counter("icmp.echo_replies_out");
        final Cmd.Result r = Cmd.scapy(60, """
            ans = []
            for i in range(10):
                p = IP(dst='198.18.0.2', chksum=0x1234)/ICMP(id=77, seq=i)/b'bad-checksum'
                a = sr1(p, iface='strait1', timeout=0.2)
                if a is not None: ans.append(a)
            print('answers', len(ans))
            """);
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("answers 0"), "no reply to a bad checksum: " + r);
        assertEquals(before + 10, server.counter("drop.ip_checksum"));
        assertEquals(repliesBefore, server.counter("icmp.echo_replies_out"));
    }

    /**
     * Fragments are not sent here: DPDK's af_packet port joins its socket to a fanout group with the kernel's
     * defragmentation flag, so a lone fragment never reaches Strait on this port. The IPv4 layer's fragment drop
     * is covered by NetAgentTest over an in-memory port.
     */
    @Test
    void malformedPacketsAreCountedByReasonAndPingStillWorks() {
        final long icmpSum = server.counter("drop.icmp_checksum");
        final long ttl = server.counter("drop.ip_ttl_zero");
        final long totalLength = server.counter("drop.ip_total_length");
        final long version = server.counter("drop.ip_version");
        final long proto = server.counter("drop.ip_protocol_unsupported");
        final Cmd.Result r = Cmd.scapy(60, """
            s = conf.L2socket(iface='strait1')
            dst = getmacbyip('198.18.0.2')
            e = Ether(dst=dst)
            ip = IP(dst='198.18.0.2')
            for i in range(3):
                s.send(e/ip/ICMP(chksum=0x4242)/b'bad')
                s.send(e/IP(dst='198.18.0.2', ttl=0)/ICMP())
                s.send(e/IP(dst='198.18.0.2', len=1400)/ICMP())
                s.send(e/IP(dst='198.18.0.2', version=5)/ICMP())
                s.send(e/IP(dst='198.18.0.2', proto=17)/b'\\x00\\x35\\x00\\x35\\x00\\x08\\x00\\x00')
            s.send(e/Raw(b'\\x45'))
            print('sent')
            """);
        assertEquals(0, r.exit(), r.toString());
        waitFor(() -> server.counter("drop.ip_protocol_unsupported") >= proto + 3);
        assertEquals(icmpSum + 3, server.counter("drop.icmp_checksum"));
        assertEquals(ttl + 3, server.counter("drop.ip_ttl_zero"));
        assertEquals(totalLength + 3, server.counter("drop.ip_total_length"));
        assertEquals(version + 3, server.counter("drop.ip_version"));
        final Cmd.Result ping = Cmd.peer(30, "ping", "-c", "3", "-i", "0.1", "198.18.0.2");
        assertEquals(0, ping.exit(), "still answers after malformed input: " + ping);
    }

    static void waitFor(java.util.function.BooleanSupplier condition) {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
