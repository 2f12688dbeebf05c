package io.strait.dataplane;

import io.strait.tcp.SegmentSink;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

import static io.strait.dataplane.NetAgentTest.OUR_IP;
import static io.strait.dataplane.NetAgentTest.OUR_MAC;
import static io.strait.dataplane.NetAgentTest.PEER_IP;
import static io.strait.dataplane.NetAgentTest.PEER_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hot-path rule (STYLE): nothing allocated per frame through every layer of the agent: Ethernet, ARP input and
 * learning, IPv4 input, ICMP echo replies, TCP to a transport that answers each segment through the
 * {@link SegmentSink} (IPv4 output, ARP resolution, TX queue), our own echo requests, the ARP sweep.
 */
class NetAgentAllocationTest {
    /** An allocation-free port: each receive hands out the same burst, refilled from templates; TX takes all. */
    static final class ReplayPort implements FrameIo {
        static final int ROOM = 2048;
        final UnsafeBuffer memory = new UnsafeBuffer(BufferUtil.allocateDirectAligned((BURST + 64) * ROOM, 64));
        final byte[][] templates;
        long transmitted;

        ReplayPort(byte[]... templates) {
            this.templates = templates;
        }

        @Override
        public int receive(long[] bufs, long[] addrs, int[] lens, int[] flags, int max) {
            final int n = Math.min(max, BURST);
            for (int i = 0; i < n; i++) {
                final byte[] t = templates[i % templates.length];
                memory.putBytes(i * ROOM, t);
                bufs[i] = i;
                addrs[i] = memory.addressOffset() + (long) i * ROOM;
                lens[i] = t.length;
                flags[i] = 0;
            }
            return n;
        }

        @Override
        public int transmit(long[] bufs, long[] addrs, int[] lens, int count) {
            transmitted += count;
            return count;
        }

        @Override
        public boolean allocate(long[] bufs, long[] addrs, int count) {
            for (int i = 0; i < count; i++) {
                bufs[i] = BURST + (i % 64);
                addrs[i] = memory.addressOffset() + (BURST + (i % 64)) * (long) ROOM;
            }
            return true;
        }

        @Override
        public void free(long[] bufs, int count) {
        }

        @Override
        public int frameRoom() {
            return ROOM;
        }

        @Override
        public long mac() {
            return OUR_MAC;
        }

        @Override
        public int caps() {
            return 0;
        }
    }

    /** Answers every segment with a 20-byte one of its own, as an engine ACKing would. */
    static final class Answering implements TransportLayer {
        long segments;

        @Override
        public void onSegment(DirectBuffer buffer, int offset, int length, int srcIp, int dstIp,
                              boolean checksumVerified, long nowNs, SegmentSink out) {
            segments++;
            final int at = out.claim(dstIp, srcIp, 20);
            if (at >= 0) {
                out.buffer().putLong(at, segments);
                out.commit();
            }
        }

        long icmpErrors;

        @Override
        public void onIcmpError(int type, int code, int mtu, int quotedSrcIp, int quotedDstIp, int srcPort,
                                int dstPort, int quotedSeq, long nowNs) {
            icmpErrors++;
        }

        @Override
        public int poll(long nowNs, SegmentSink out) {
            return 0;
        }
    }

    @Test
    @DisplayName("No allocation per frame through every layer (echo, ARP, TCP in and out, ICMP errors, our echo requests)")
    void everyLayerAllocatesNothing() {
        final ReplayPort io = new ReplayPort(NetAgentTest.echo(56).array(), NetAgentTest.tcp(1),
            NetAgentTest.arp(1, PEER_MAC, PEER_IP, 0, OUR_IP, 0xFFFF_FFFF_FFFFL),
            IcmpErrorInputTest.fragNeeded(1280, 1500).array());
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(512 * 128, 64)),
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(128 * 128, 64)), StandardCharsets.US_ASCII);
        final long[] nowNs = {1_000_000_000L};
        final NetAgent agent = new NetAgent("alloc", io, () -> nowNs[0], new DataplaneCounters(counters, 0), OUR_IP,
            24, 0, 64);
        final Answering transport = new Answering();
        agent.transport(transport);
        agent.onStart();
        final Runnable cycle = () -> {
            nowNs[0] += 1_000_000L; // 1 ms: the ARP sweep runs every 100 cycles
            agent.sendEchoRequest(PEER_IP, 1, (int) nowNs[0], 32);
            agent.doWork();
        };
        for (int i = 0; i < 20_000; i++) {
            cycle.run();
        }
        final com.sun.management.ThreadMXBean mx =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 20_000; i++) {
            cycle.run();
        }
        final long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 4096, "allocated " + allocated + " bytes over 20k cycles of 32 frames");
        assertEquals(40_000L * 8, transport.segments, "a quarter of each burst is TCP");
        assertEquals(40_000L * 8, transport.icmpErrors, "and a quarter ICMP errors");
        assertTrue(io.transmitted >= 40_000L * 25, "replies, answers and echo requests went out: " + io.transmitted);
        agent.onClose();
    }
}
