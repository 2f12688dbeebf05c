package io.strait.dataplane;

import io.strait.dataplane.sim.MemoryFrameIo;
import io.strait.dataplane.wire.Ipv4;
import io.strait.tcp.SegmentSink;
import io.strait.tcp.wire.Checksum;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ethernet, ARP, IPv4 and ICMP of one core's loop over an in-memory port, with a hand-driven clock. */
class NetAgentTest {
    static final long OUR_MAC = 0x02_00_00_00_00_02L;
    static final long PEER_MAC = 0x02_00_00_00_00_01L;
    static final int OUR_IP = Ipv4.parse("198.18.0.2");
    static final int PEER_IP = Ipv4.parse("198.18.0.1");

    MemoryFrameIo io;
    CountersManager counters;
    NetAgent agent;
    long nowNs = 1_000_000_000L;

    @BeforeEach
    void setUp() {
        io = new MemoryFrameIo(256, 2048, OUR_MAC, 0);
        counters = new CountersManager(new UnsafeBuffer(org.agrona.BufferUtil.allocateDirectAligned(512 * 256, 64)),
            new UnsafeBuffer(org.agrona.BufferUtil.allocateDirectAligned(128 * 256, 64)), StandardCharsets.US_ASCII);
        agent = new NetAgent("test", io, () -> nowNs, new DataplaneCounters(counters, 0), OUR_IP, 24, 0, 64);
        agent.onStart();
        agent.doWork();
        final byte[] announce = io.sent();
        assertNotNull(announce, "gratuitous ARP at start");
        final ByteBuffer b = ByteBuffer.wrap(announce);
        assertEquals(0x0806, b.getShort(12) & 0xFFFF);
        assertEquals(OUR_IP, b.getInt(14 + 14), "sender is our address");
        assertEquals(OUR_IP, b.getInt(14 + 24), "target is our address (RFC 5227 announcement)");
        assertNull(io.sent());
    }

    @AfterEach
    void leakCheck() {
        agent.onClose();
        while (io.sent() != null) {
            // drain
        }
        assertEquals(0, io.outstanding(), "every buffer back in the pool");
    }

    long counter(String name) {
        final long[] v = {-1};
        counters.forEach((id, type, key, label) -> {
            if (label.equals("core0." + name)) {
                v[0] = counters.getCounterValue(id);
            }
        });
        assertTrue(v[0] >= 0, "counter " + name + " exists");
        return v[0];
    }

    // --- frame builders -------------------------------------------------------------------------------------

    static ByteBuffer eth(int length, long dst, long src, int type) {
        final ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.BIG_ENDIAN);
        putMac(b, 0, dst);
        putMac(b, 6, src);
        b.putShort(12, (short) type);
        return b;
    }

    static void putMac(ByteBuffer b, int off, long mac) {
        for (int i = 0; i < 6; i++) {
            b.put(off + i, (byte) (mac >>> (40 - 8 * i)));
        }
    }

    static long mac(ByteBuffer b, int off) {
        long m = 0;
        for (int i = 0; i < 6; i++) {
            m = (m << 8) | (b.get(off + i) & 0xFF);
        }
        return m;
    }

    static byte[] arp(int op, long senderMac, int senderIp, long targetMac, int targetIp, long ethDst) {
        final ByteBuffer b = eth(42, ethDst, senderMac, 0x0806);
        b.putShort(14, (short) 1).putShort(16, (short) 0x0800).put(18, (byte) 6).put(19, (byte) 4);
        b.putShort(20, (short) op);
        putMac(b, 22, senderMac);
        b.putInt(28, senderIp);
        putMac(b, 32, targetMac);
        b.putInt(38, targetIp);
        return b.array();
    }

    /** An IPv4 ICMP echo request from the peer, checksums right; callers then break what they test. */
    static ByteBuffer echo(int payload) {
        final int ipLength = 20 + 8 + payload;
        final ByteBuffer b = eth(14 + ipLength, OUR_MAC, PEER_MAC, 0x0800);
        b.put(14, (byte) 0x45).putShort(16, (short) ipLength).putShort(18, (short) 7).put(22, (byte) 64)
            .put(23, (byte) 1).putInt(26, PEER_IP).putInt(30, OUR_IP);
        b.put(34, (byte) 8).putShort(38, (short) 0x1234).putShort(40, (short) 9);
        for (int i = 0; i < payload; i++) {
            b.put(42 + i, (byte) i);
        }
        fixChecksums(b);
        return b;
    }

    static void fixChecksums(ByteBuffer b) {
        final UnsafeBuffer u = new UnsafeBuffer(b.array());
        b.putShort(24, (short) 0);
        b.putShort(24, (short) Checksum.compute(u, 14, 20));
        final int icmpLength = (b.getShort(16) & 0xFFFF) - 20;
        if (icmpLength >= 4 && 34 + icmpLength <= b.capacity()) {
            b.putShort(36, (short) 0);
            b.putShort(36, (short) Checksum.compute(u, 34, icmpLength));
        }
    }

    void deliver(byte[] frame) {
        io.inject(frame, 0);
        agent.doWork();
    }

    // --- ARP ------------------------------------------------------------------------------------------------

    @Test
    @DisplayName("RFC 826: a request for our address is answered in place and its sender learnt")
    void arpRequestForUsIsAnswered() {
        deliver(arp(1, PEER_MAC, PEER_IP, 0, OUR_IP, -1L & 0xFFFF_FFFF_FFFFL));
        final ByteBuffer r = ByteBuffer.wrap(io.sent());
        assertEquals(42, r.capacity());
        assertEquals(PEER_MAC, mac(r, 0));
        assertEquals(OUR_MAC, mac(r, 6));
        assertEquals(2, r.getShort(20), "operation reply");
        assertEquals(OUR_MAC, mac(r, 22));
        assertEquals(OUR_IP, r.getInt(28));
        assertEquals(PEER_MAC, mac(r, 32));
        assertEquals(PEER_IP, r.getInt(38));
        assertEquals(1, counter("arp.entries"));
        assertEquals(1, counter("arp.replies_out"));
    }

    @Test
    @DisplayName("RFC 826: a request for another address is not answered")
    void arpRequestForOthersIsIgnored() {
        deliver(arp(1, PEER_MAC, PEER_IP, 0, Ipv4.parse("198.18.0.77"), 0xFFFF_FFFF_FFFFL));
        assertNull(io.sent());
        assertEquals(1, counter("arp.not_for_us"));
        assertEquals(0, counter("arp.entries"), "not learnt: we are not the target (RFC 826 merge rule)");
    }

    @Test
    @DisplayName("Malformed ARP (wrong hardware length) is dropped and counted")
    void malformedArp() {
        final byte[] f = arp(1, PEER_MAC, PEER_IP, 0, OUR_IP, 0xFFFF_FFFF_FFFFL);
        f[18] = 8;
        deliver(f);
        assertNull(io.sent());
        assertEquals(1, counter("drop.arp_malformed"));
    }

    @Test
    @DisplayName("RFC 1122 §2.3.2.2: a frame to an unresolved address waits for ARP, then goes out")
    void outgoingFrameWaitsForArpResolution() {
        assertTrue(agent.sendEchoRequest(PEER_IP, 1, 1, 8));
        agent.doWork();
        final ByteBuffer req = ByteBuffer.wrap(io.sent());
        assertEquals(0xFFFF_FFFF_FFFFL, mac(req, 0), "ARP request broadcast");
        assertEquals(1, req.getShort(20));
        assertEquals(PEER_IP, req.getInt(38));
        assertNull(io.sent(), "the echo request is held");
        deliver(arp(2, PEER_MAC, PEER_IP, OUR_MAC, OUR_IP, OUR_MAC));
        final ByteBuffer ping = ByteBuffer.wrap(io.sent());
        assertEquals(PEER_MAC, mac(ping, 0));
        assertEquals(8, ping.get(34), "echo request");
        assertTrue(Checksum.verify(new UnsafeBuffer(ping.array()), 14, 20));
    }

    @Test
    @DisplayName("RFC 1122 §2.3.2.1: unanswered ARP is retried once a second, then the held frames are dropped")
    void unansweredArpTimesOut() {
        assertTrue(agent.sendEchoRequest(PEER_IP, 1, 1, 8));
        agent.doWork();
        assertNotNull(io.sent());
        for (int i = 0; i < 4; i++) {
            nowNs += 1_100_000_000L;
            agent.doWork();
        }
        int requests = 0;
        while (io.sent() != null) {
            requests++;
        }
        assertEquals(2, requests, "two retries after the first request");
        assertEquals(1, counter("drop.arp_unresolved"));
        assertEquals(0, counter("arp.entries"));
    }

    // --- IPv4 and ICMP --------------------------------------------------------------------------------------

    @Test
    @DisplayName("RFC 792: echo request answered in place with addresses swapped and valid checksums")
    void echoReply() {
        final ByteBuffer req = echo(56);
        deliver(req.array());
        final byte[] reply = io.sent();
        assertNotNull(reply);
        final ByteBuffer r = ByteBuffer.wrap(reply);
        assertEquals(14 + 20 + 8 + 56, reply.length);
        assertEquals(PEER_MAC, mac(r, 0));
        assertEquals(OUR_MAC, mac(r, 6));
        assertEquals(OUR_IP, r.getInt(26));
        assertEquals(PEER_IP, r.getInt(30));
        assertEquals(0, r.get(34), "echo reply");
        assertEquals(0x1234, r.getShort(38));
        assertEquals(9, r.getShort(40));
        final UnsafeBuffer u = new UnsafeBuffer(reply);
        assertTrue(Checksum.verify(u, 14, 20));
        assertTrue(Checksum.verify(u, 34, 64));
        final byte[] payload = new byte[56];
        r.get(42, payload);
        final byte[] expected = new byte[56];
        req.get(42, expected);
        assertArrayEquals(expected, payload);
        assertEquals(1, counter("icmp.echo_replies_out"));
    }

    @Test
    @DisplayName("Ethernet padding after the IPv4 total length is ignored (RFC 894)")
    void paddedFrame() {
        final ByteBuffer req = echo(0);
        final byte[] padded = new byte[60];
        System.arraycopy(req.array(), 0, padded, 0, req.capacity());
        deliver(padded);
        assertEquals(14 + 28, io.sent().length, "reply trimmed to the IP total length");
    }

    private void assertDropped(byte[] frame, String counterName) {
        final long before = counter(counterName);
        deliver(frame);
        assertNull(io.sent(), "no reply for " + counterName);
        assertEquals(before + 1, counter(counterName), counterName);
    }

    @Test
    @DisplayName("Every malformed frame is dropped with its own reason")
    void dropsByReason() {
        assertDropped(new byte[10], "drop.eth_runt");
        ByteBuffer b = echo(8);
        putMac(b, 0, 0x02_00_00_00_00_99L);
        assertDropped(b.array(), "drop.eth_not_our_mac");
        assertDropped(eth(64, OUR_MAC, PEER_MAC, 0x8100).array(), "drop.eth_vlan");
        assertDropped(eth(64, OUR_MAC, PEER_MAC, 0x86DD).array(), "drop.eth_ipv6");
        assertDropped(eth(64, OUR_MAC, PEER_MAC, 0x88CC).array(), "drop.eth_unknown_type");
        assertDropped(eth(20, OUR_MAC, PEER_MAC, 0x0800).array(), "drop.ip_truncated");

        b = echo(8);
        b.put(14, (byte) 0x65);
        fixChecksums(b);
        assertDropped(b.array(), "drop.ip_version");
        b = echo(8);
        b.put(14, (byte) 0x44);
        assertDropped(b.array(), "drop.ip_header_length");
        b = echo(8);
        b.putShort(16, (short) 400);
        fixChecksums(b);
        assertDropped(b.array(), "drop.ip_total_length");
        b = echo(8);
        b.putShort(24, (short) (b.getShort(24) + 1));
        assertDropped(b.array(), "drop.ip_checksum");
        b = echo(8);
        b.putShort(20, (short) 0x2000);
        fixChecksums(b);
        assertDropped(b.array(), "drop.ip_fragment");
        b = echo(8);
        b.putShort(20, (short) 0x0010);
        fixChecksums(b);
        assertDropped(b.array(), "drop.ip_fragment");
        b = echo(8);
        b.put(22, (byte) 0);
        fixChecksums(b);
        assertDropped(b.array(), "drop.ip_ttl_zero");
        b = echo(8);
        b.putInt(30, Ipv4.parse("198.18.0.9"));
        fixChecksums(b);
        assertDropped(b.array(), "drop.ip_not_for_us");
        b = echo(8);
        b.putInt(26, Ipv4.parse("224.0.0.1"));
        fixChecksums(b);
        assertDropped(b.array(), "drop.ip_source_invalid");
        b = echo(8);
        b.put(23, (byte) 17);
        fixChecksums(b);
        assertDropped(b.array(), "drop.ip_protocol_unsupported");
        b = echo(8);
        b.putShort(36, (short) (b.getShort(36) + 1));
        assertDropped(b.array(), "drop.icmp_checksum");
        b = echo(8);
        b.putShort(16, (short) 24);
        fixChecksums(b);
        assertDropped(b.array(), "drop.icmp_truncated");
        b = echo(8);
        b.put(34, (byte) 13);
        fixChecksums(b);
        assertDropped(b.array(), "drop.icmp_type_unhandled");
    }

    @Test
    @DisplayName("A NIC verdict of bad IP checksum drops the frame without software verification")
    void offloadBadChecksumVerdict() {
        io.inject(echo(8).array(), FrameIo.RX_IP_CKSUM_BAD);
        agent.doWork();
        assertNull(io.sent());
        assertEquals(1, counter("drop.ip_checksum"));
    }

    @Test
    @DisplayName("A partial TX burst keeps its leftovers, in order, for the next cycle")
    void partialTxKeepsLeftovers() {
        io.txLimit = 1;
        for (int seq = 0; seq < 3; seq++) {
            final ByteBuffer b = echo(8);
            b.putShort(40, (short) seq);
            fixChecksums(b);
            io.inject(b.array(), 0);
        }
        agent.doWork();
        assertEquals(1, io.sentCount());
        assertEquals(2, agent.txQueued());
        agent.doWork();
        agent.doWork();
        assertEquals(0, agent.txQueued());
        for (int seq = 0; seq < 3; seq++) {
            assertEquals(seq, ByteBuffer.wrap(io.sent()).getShort(40), "order kept");
        }
        assertTrue(counter("tx_partial_bursts") >= 2);
    }

    @Test
    @DisplayName("Cycles that only retry frames the port refuses (link down) are idle to the hiccup recorder")
    void refusedRetriesAreNotWork() {
        io.txLimit = 0; // a memif whose peer has not connected: the driver takes nothing
        io.inject(echo(8).array(), 0);
        agent.doWork();
        final long afterReply = agent.workingCycles();
        assertEquals(1, agent.txQueued(), "the reply waits for the link");
        for (int i = 0; i < 1000; i++) {
            nowNs += 100;
            agent.doWork();
        }
        assertEquals(afterReply, agent.workingCycles(), "a refused retry is no work");
        assertTrue(counter("tx_partial_bursts") >= 1000, "each refused retry still counted as a partial burst");
        io.txLimit = Integer.MAX_VALUE;
        nowNs += 100;
        agent.doWork();
        assertEquals(afterReply + 1, agent.workingCycles(), "the cycle that sent it did work");
        assertEquals(0, agent.txQueued());
    }

    @Test
    @DisplayName("An empty pool is counted, never a crash")
    void poolExhausted() {
        io.exhausted = true;
        int sent = 0;
        while (agent.sendEchoRequest(PEER_IP, 1, sent, 8)) {
            sent++;
            assertTrue(sent <= TxQueue.STASH, "only what the stash held goes out");
        }
        assertEquals(1, counter("drop.mbuf_exhausted"));
        io.exhausted = false;
    }

    // --- Containment (issue 10, item 8) ---------------------------------------------------------------------

    /**
     * A transport that records the first payload byte (the tag) of every segment it is given and throws on chosen
     * tags, optionally after claiming a TX buffer it never commits (as an engine that fails mid-segment would).
     */
    static final class ThrowingTransport implements TransportLayer {
        final List<Integer> seen = new ArrayList<>();
        int throwOnTag = -1;
        /** Throws on this call (0 = the first segment), whatever its tag. */
        int throwOnCall = -1;
        RuntimeException toThrow = new ArithmeticException("/ by zero");
        boolean claimFirst;
        int pollThrows;

        @Override
        public void onSegment(DirectBuffer buffer, int offset, int length, int srcIp, int dstIp,
                              boolean checksumVerified, long nowNs, SegmentSink out) {
            final int tag = buffer.getByte(offset) & 0xFF;
            seen.add(tag);
            if (tag == throwOnTag || seen.size() - 1 == throwOnCall) {
                if (claimFirst) {
                    assertTrue(out.claim(dstIp, srcIp, 20) >= 0);
                    out.buffer().putByte(0, (byte) 1);
                }
                throw toThrow;
            }
        }

        @Override
        public void onIcmpError(int type, int code, int mtu, int quotedSrcIp, int quotedDstIp, int srcPort,
                                int dstPort, int quotedSeq, long nowNs) {
            throw toThrow;
        }

        @Override
        public int poll(long nowNs, SegmentSink out) {
            if (pollThrows > 0) {
                pollThrows--;
                assertTrue(out.claim(OUR_IP, PEER_IP, 20) >= 0);
                throw new IllegalStateException("timer wheel broken");
            }
            return 0;
        }
    }

    /** An IPv4 frame of protocol 6 from the peer whose first transport byte is {@code tag}. */
    static byte[] tcp(int tag) {
        final ByteBuffer b = eth(14 + 20 + 20, OUR_MAC, PEER_MAC, 0x0800);
        b.put(14, (byte) 0x45).putShort(16, (short) 40).put(22, (byte) 64).put(23, (byte) 6).putInt(26, PEER_IP)
            .putInt(30, OUR_IP);
        b.putShort(24, (short) Checksum.compute(new UnsafeBuffer(b.array()), 14, 20));
        b.put(34, (byte) tag);
        return b.array();
    }

    ByteArrayOutputStream errorLog() {
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        agent.errorLog(new PrintStream(log, true, StandardCharsets.UTF_8));
        return log;
    }

    static long lines(ByteArrayOutputStream log) {
        return log.toString(StandardCharsets.UTF_8).lines().count();
    }

    @Test
    @DisplayName("Containment: a frame whose processing throws costs that frame only; the burst's buffers all go back")
    void throwingFrameIsContained() {
        final ThrowingTransport t = new ThrowingTransport();
        t.throwOnTag = 2;
        t.claimFirst = true;
        agent.transport(t);
        final ByteArrayOutputStream log = errorLog();
        final int held = io.outstanding(); // the TX stash
        for (int tag = 0; tag < 5; tag++) {
            io.inject(tcp(tag), 0);
        }
        io.inject(echo(8).array(), 0);
        assertEquals(held + 6, io.outstanding());

        final int work = agent.doWork(); // returns normally

        assertTrue(work >= 6);
        assertEquals(List.of(0, 1, 2, 3, 4), t.seen, "the frames after the failing one were processed");
        final byte[] reply = io.sent();
        assertNotNull(reply, "the echo request behind it was answered");
        assertEquals(0, reply[34], "echo reply");
        assertNull(io.sent(), "the abandoned claim was not sent");
        assertEquals(held, io.outstanding(), "every received buffer freed once, the claimed one back in the stash");
        assertEquals(1, counter("internal_errors"));
        assertEquals(5, counter("tcp.segments_to_engine"));
        final String line = log.toString(StandardCharsets.UTF_8);
        assertEquals(1, lines(log), line);
        assertTrue(line.startsWith("test: internal error in receive") && line.contains("ArithmeticException"),
            line);

        // More failures within the second: counted, not logged; after it, one line saying how many were not.
        t.claimFirst = false;
        t.seen.clear();
        io.inject(tcp(2), 0);
        io.inject(tcp(7), 0);
        io.inject(tcp(2), 0);
        agent.doWork();
        assertEquals(List.of(2, 7, 2), t.seen);
        assertEquals(3, counter("internal_errors"));
        assertEquals(1, lines(log), "rate-limited: one line per second");
        nowNs += NetAgent.ERROR_LOG_INTERVAL_NS;
        io.inject(tcp(2), 0);
        agent.doWork();
        assertEquals(4, counter("internal_errors"));
        assertEquals(2, lines(log));
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("2 more since the last line"), log.toString());
        assertEquals(held, io.outstanding());
    }

    @Test
    @DisplayName("Containment: a throwing transport poll is counted and the cycle still flushes; the next cycle runs")
    void throwingPollIsContained() {
        final ThrowingTransport t = new ThrowingTransport();
        t.pollThrows = 1;
        agent.transport(t);
        errorLog();
        final int held = io.outstanding();
        io.inject(echo(8).array(), 0);
        agent.doWork();
        assertNotNull(io.sent(), "the reply of the same cycle went out");
        assertEquals(1, counter("internal_errors"));
        assertEquals(held, io.outstanding(), "the TX buffer claimed by the failed poll is back in the stash");
        io.inject(tcp(1), 0);
        agent.doWork();
        assertEquals(List.of(1), t.seen);
        assertEquals(1, counter("internal_errors"));
    }

    @Test
    @DisplayName("Containment: Agrona's AgentTerminationException from a handler stops the agent after the burst")
    void terminationRequestHonouredAfterBurst() {
        final ThrowingTransport t = new ThrowingTransport();
        t.throwOnTag = 0;
        t.toThrow = new AgentTerminationException("application asked to stop");
        agent.transport(t);
        final int held = io.outstanding();
        io.inject(tcp(0), 0);
        io.inject(tcp(1), 0);
        assertThrows(AgentTerminationException.class, agent::doWork);
        assertEquals(List.of(0, 1), t.seen);
        assertEquals(held, io.outstanding());
        assertEquals(0, counter("internal_errors"), "a request, not an error");
    }
}
