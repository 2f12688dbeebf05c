package io.strait.dataplane;

import io.strait.dataplane.wire.Ipv4;
import io.strait.tcp.TcpConfig;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.TcpHandler;
import io.strait.tcp.TcpState;
import io.strait.tcp.sim.SegmentBuilder;
import io.strait.tcp.wire.Checksum;
import io.strait.tcp.wire.TcpHeader;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Flow ownership across cores (Toeplitz against Microsoft's RSS vectors, the software rule, the engines' flow
 * filter) and software steering between two {@link NetAgent}s over in-memory queues of one port with real
 * {@link TcpEngine}s: a segment arriving on the wrong core reaches its owner's engine through the ring.
 */
class SteeringTest {
    static final long OUR_MAC = NetAgentTest.OUR_MAC;
    static final long PEER_MAC = NetAgentTest.PEER_MAC;
    static final int OUR_IP = NetAgentTest.OUR_IP;
    static final int PEER_IP = NetAgentTest.PEER_IP;

    // --- Toeplitz ---------------------------------------------------------------------------------------------

    /** Microsoft, "Verifying the RSS Hash Calculation": IPv4 with TCP, and IPv4 only. */
    @Test
    @DisplayName("Toeplitz: Microsoft's RSS verification vectors for IPv4/TCP and IPv4")
    void toeplitzMicrosoftVectors() {
        final Toeplitz t = new Toeplitz(Toeplitz.MICROSOFT_KEY);
        // destination, source (address:port), TCP hash, IPv4 hash
        final Object[][] v = {
            {"161.142.100.80", 1766, "66.9.149.187", 2794, 0x51ccc178, 0x323e8fc2},
            {"65.69.140.83", 4739, "199.92.111.2", 14230, 0xc626b0ea, 0xd718262a},
            {"12.22.207.184", 38024, "24.19.198.95", 12898, 0x5c2b394a, 0xd2d0a5de},
            {"209.142.163.6", 2217, "38.27.205.30", 48228, 0xafc7327f, 0x82989176},
            {"202.188.127.2", 1303, "153.39.163.191", 44251, 0x10e828a2, 0x5d1809c5},
        };
        for (Object[] r : v) {
            final int dst = Ipv4.parse((String) r[0]);
            final int src = Ipv4.parse((String) r[2]);
            assertEquals((int) r[4], t.hashTcp4(src, dst, (int) r[3], (int) r[1]), "TCP " + r[2] + " -> " + r[0]);
            assertEquals((int) r[5], t.hashIp4(src, dst), "IPv4 " + r[2] + " -> " + r[0]);
        }
    }

    @Test
    @DisplayName("RSS ownership: the queue the redirection table gives the reply flow's hash; connect() keeps to it")
    void rssOwnership() {
        final int[] reta = new int[128];
        for (int i = 0; i < reta.length; i++) {
            reta[i] = i % 2;
        }
        final Steering s = Steering.rss(2, Toeplitz.MICROSOFT_KEY, reta);
        assertFalse(s.softwareSteering(), "the NIC steers by itself");
        final Toeplitz t = new Toeplitz(Toeplitz.MICROSOFT_KEY);
        final int[] seen = new int[2];
        for (int port = 49152; port < 49152 + 256; port++) {
            final int h = t.hashTcp4(PEER_IP, OUR_IP, 80, port);
            final int expect = reta[Integer.remainderUnsigned(h, 128)];
            assertEquals(expect, s.owner(OUR_IP, port, PEER_IP, 80));
            assertTrue(s.flowFilter(expect).ownsLocalPort(OUR_IP, port, PEER_IP, 80));
            assertFalse(s.flowFilter(1 - expect).ownsLocalPort(OUR_IP, port, PEER_IP, 80));
            seen[expect]++;
        }
        assertTrue(seen[0] > 64 && seen[1] > 64, "both queues used: " + seen[0] + "/" + seen[1]);
    }

    @Test
    @DisplayName("Software ownership: ephemeral local port % cores; other flows by a four-tuple hash, spread")
    void softwareOwnership() {
        final Steering s = Steering.software(3, 49152, 65535);
        assertTrue(s.softwareSteering());
        for (int port = 49152; port < 49200; port++) {
            assertEquals(port % 3, s.owner(OUR_IP, port, PEER_IP, 80));
            assertTrue(s.flowFilter(port % 3).ownsLocalPort(OUR_IP, port, PEER_IP, 80));
        }
        final int[] seen = new int[3];
        for (int remotePort = 30000; remotePort < 33000; remotePort++) {
            final int o = s.owner(OUR_IP, 7, PEER_IP, remotePort);
            assertEquals(o, s.owner(OUR_IP, 7, PEER_IP, remotePort), "a pure function");
            seen[o]++;
        }
        for (int n : seen) {
            assertTrue(n > 800, "spread over the cores: " + java.util.Arrays.toString(seen));
        }
        assertEquals(0, Steering.software(1, 49152, 65535).owner(OUR_IP, 7, PEER_IP, 1234));
        assertFalse(Steering.software(1, 49152, 65535).softwareSteering());
    }

    // --- two cores over one in-memory port --------------------------------------------------------------------

    /** One pool shared by the queues (as a DPDK mempool: a buffer goes back to its pool whoever frees it). */
    static final class Pool {
        final int frameRoom = 2048;
        final long[] freeList;
        int freeCount;
        final int size;

        Pool(int buffers) {
            size = buffers;
            final UnsafeBuffer slab = new UnsafeBuffer(BufferUtil.allocateDirectAligned(buffers * frameRoom, 64));
            freeList = new long[buffers];
            for (int i = 0; i < buffers; i++) {
                freeList[i] = slab.addressOffset() + (long) i * frameRoom;
            }
            freeCount = buffers;
        }
    }

    /** One queue pair of the port: the test injects into rx and takes what was sent from tx. */
    static final class Queue implements FrameIo {
        final Pool pool;
        final ArrayDeque<long[]> rx = new ArrayDeque<>();
        final ArrayDeque<long[]> tx = new ArrayDeque<>();

        Queue(Pool pool) {
            this.pool = pool;
        }

        void inject(byte[] frame) {
            final long buf = pool.freeList[--pool.freeCount];
            new UnsafeBuffer(buf, pool.frameRoom).putBytes(0, frame);
            rx.add(new long[] {buf, frame.length});
        }

        byte[] sent() {
            final long[] f = tx.poll();
            if (f == null) {
                return null;
            }
            final byte[] b = new byte[(int) (f[1] & 0xFFFF)];
            new UnsafeBuffer(f[0], pool.frameRoom).getBytes(0, b);
            pool.freeList[pool.freeCount++] = f[0];
            return b;
        }

        void drain() {
            while (sent() != null) {
                // discard
            }
        }

        @Override
        public int receive(long[] bufs, long[] addrs, int[] lens, int[] flags, int max) {
            int n = 0;
            while (n < max && !rx.isEmpty()) {
                final long[] f = rx.poll();
                bufs[n] = f[0];
                addrs[n] = f[0];
                lens[n] = (int) f[1];
                flags[n] = 0;
                n++;
            }
            return n;
        }

        @Override
        public int transmit(long[] bufs, long[] addrs, int[] lens, int count) {
            for (int i = 0; i < count; i++) {
                tx.add(new long[] {bufs[i], lens[i]});
            }
            return count;
        }

        @Override
        public boolean allocate(long[] bufs, long[] addrs, int count) {
            if (pool.freeCount < count) {
                return false;
            }
            for (int i = 0; i < count; i++) {
                bufs[i] = addrs[i] = pool.freeList[--pool.freeCount];
            }
            return true;
        }

        @Override
        public void free(long[] bufs, int count) {
            for (int i = 0; i < count; i++) {
                pool.freeList[pool.freeCount++] = bufs[i];
            }
        }

        @Override
        public int frameRoom() {
            return pool.frameRoom;
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

    static final class Handler implements TcpHandler {
        int opens;

        @Override
        public void onOpen(long handle) {
            opens++;
        }

        @Override
        public int onData(long handle, DirectBuffer buffer, int offset, int length) {
            return length;
        }

        @Override
        public void onClose(long handle, int reason) {
        }
    }

    Pool pool;
    Queue[] queues;
    NetAgent[] agents;
    TcpEngine[] engines;
    Handler[] handlers;
    CountersManager counters;
    Steering steering;
    long nowNs = 1_000_000_000L;

    @BeforeEach
    void twoCores() {
        pool = new Pool(4096);
        counters = new CountersManager(new UnsafeBuffer(BufferUtil.allocateDirectAligned(512 * 512, 64)),
            new UnsafeBuffer(BufferUtil.allocateDirectAligned(128 * 512, 64)), StandardCharsets.US_ASCII);
        steering = Steering.software(2, 49152, 65535);
        queues = new Queue[2];
        agents = new NetAgent[2];
        engines = new TcpEngine[2];
        handlers = new Handler[2];
        final TcpConfig config = TcpConfig.builder().maxConnections(64).build();
        for (int q = 0; q < 2; q++) {
            queues[q] = new Queue(pool);
            agents[q] = new NetAgent("core" + q, queues[q], () -> nowNs, new DataplaneCounters(counters, q),
                OUR_IP, 24, 0, 64);
            agents[q].steering(steering, q);
            final long seed = 42 + q;
            engines[q] = new TcpEngine(config, () -> seed, counters, "core" + q + ".tcp.");
            handlers[q] = new Handler();
            engines[q].listen(7, handlers[q]);
            agents[q].transport(new TcpTransport(engines[q]));
            agents[q].onStart();
            agents[q].doWork();
            assertNotNull(queues[q].sent(), "gratuitous ARP");
            // Each core keeps its own ARP table: teach each the peer (a request for our address).
            queues[q].inject(NetAgentTest.arp(1, PEER_MAC, PEER_IP, 0, OUR_IP, -1L & 0xFFFF_FFFF_FFFFL));
            agents[q].doWork();
            assertNotNull(queues[q].sent(), "ARP reply");
            assertNull(queues[q].sent());
        }
    }

    @AfterEach
    void leakCheck() {
        for (int q = 0; q < 2; q++) {
            agents[q].onClose();
            queues[q].drain();
        }
        assertEquals(pool.size, pool.freeCount, "every buffer back in the pool");
    }

    long counter(String label) {
        final long[] v = {-1};
        counters.forEach((id, type, key, l) -> {
            if (l.equals(label)) {
                v[0] = counters.getCounterValue(id);
            }
        });
        assertTrue(v[0] >= 0, "counter " + label + " exists");
        return v[0];
    }

    /** A TCP segment from the peer to us, in an Ethernet + IPv4 frame with valid checksums. */
    static byte[] tcpFrame(SegmentBuilder s) {
        s.build(PEER_IP, OUR_IP);
        final int ipLength = 20 + s.length();
        final ByteBuffer b = NetAgentTest.eth(14 + ipLength, OUR_MAC, PEER_MAC, 0x0800);
        b.put(14, (byte) 0x45).putShort(16, (short) ipLength).putShort(18, (short) 1).put(22, (byte) 64)
            .put(23, (byte) 6).putInt(26, PEER_IP).putInt(30, OUR_IP);
        b.putShort(24, (short) Checksum.compute(new UnsafeBuffer(b.array()), 14, 20));
        s.buffer().getBytes(0, b.array(), 34, s.length());
        return b.array();
    }

    @Test
    @DisplayName("Active open on core 1, SYN-ACK delivered on core 0: steered to core 1, which establishes")
    void synAckOnWrongCoreReachesOwner() {
        final long handle = engines[1].connect(OUR_IP, PEER_IP, 80, handlers[1], nowNs);
        assertTrue(handle >= 0);
        final int localPort = engines[1].localPort(handle);
        assertEquals(1, localPort % 2, "the flow filter kept connect() to a port core 1 owns");
        agents[1].doWork();
        final byte[] syn = queues[1].sent();
        assertNotNull(syn, "SYN leaves core 1's queue");
        final ByteBuffer sb = ByteBuffer.wrap(syn);
        assertEquals(TcpHeader.SYN, sb.get(34 + 13) & 0x3F);
        final int iss = sb.getInt(34 + 4);

        queues[0].inject(tcpFrame(new SegmentBuilder().ports(80, localPort).seq(7000).ack(iss + 1)
            .flags(TcpHeader.SYN | TcpHeader.ACK).mss(1460)));
        agents[0].doWork();
        assertEquals(1, counter("core0.tcp.steered_to_other_core"));
        assertEquals(0, counter("core0.tcp.segments_to_engine"), "core 0's engine never saw it");
        assertNull(queues[0].sent(), "core 0 answers nothing (no RST)");
        assertEquals(TcpState.SYN_SENT, engines[1].state(handle));

        agents[1].doWork();
        assertEquals(TcpState.ESTABLISHED, engines[1].state(handle));
        assertEquals(1, handlers[1].opens);
        assertEquals(1, counter("core1.tcp.segments_to_engine"));
        final byte[] ack = queues[1].sent();
        assertNotNull(ack, "core 1 acknowledges the SYN-ACK on its own queue");
        final ByteBuffer ab = ByteBuffer.wrap(ack);
        assertEquals(TcpHeader.ACK, ab.get(34 + 13) & 0x3F);
        assertEquals(7001, ab.getInt(34 + 8));
        assertEquals(0, engines[0].connectionCount());
    }

    @Test
    @DisplayName("Passive open: a SYN whose flow core 1 owns, arriving on core 0, is answered by core 1")
    void passiveSynSteered() {
        int remotePort = 40000;
        while (steering.owner(OUR_IP, 7, PEER_IP, remotePort) != 1) {
            remotePort++;
        }
        queues[0].inject(tcpFrame(new SegmentBuilder().ports(remotePort, 7).seq(100).flags(TcpHeader.SYN)
            .mss(1460)));
        agents[0].doWork();
        assertNull(queues[0].sent());
        agents[1].doWork();
        final byte[] synAck = queues[1].sent();
        assertNotNull(synAck, "SYN-ACK from core 1");
        final ByteBuffer b = ByteBuffer.wrap(synAck);
        assertEquals(TcpHeader.SYN | TcpHeader.ACK, b.get(34 + 13) & 0x3F);
        assertEquals(101, b.getInt(34 + 8));
        // A flow core 0 owns stays there, unsteered.
        int mine = remotePort + 1;
        while (steering.owner(OUR_IP, 7, PEER_IP, mine) != 0) {
            mine++;
        }
        queues[0].inject(tcpFrame(new SegmentBuilder().ports(mine, 7).seq(100).flags(TcpHeader.SYN).mss(1460)));
        agents[0].doWork();
        assertNotNull(queues[0].sent(), "SYN-ACK from core 0");
        assertEquals(1, counter("core0.tcp.steered_to_other_core"));
    }

    @Test
    @DisplayName("A full ring drops (counted) and frees the frame; the rest is delivered")
    void ringFullDropsAndFrees() {
        int remotePort = 40000;
        while (steering.owner(OUR_IP, 7, PEER_IP, remotePort) != 1) {
            remotePort++;
        }
        final int capacity = Steering.RING_BYTES / 32; // 24-byte messages + 8-byte header, aligned to 8
        final int extra = 5;
        final byte[] rst = tcpFrame(new SegmentBuilder().ports(remotePort, 7).seq(100).flags(TcpHeader.RST));
        final int held = pool.size - pool.freeCount; // the agents' TX stashes
        int injected = 0;
        while (injected < capacity + extra) {
            final int burst = Math.min(FrameIo.BURST, capacity + extra - injected);
            for (int i = 0; i < burst; i++) {
                queues[0].inject(rst);
            }
            injected += burst;
            agents[0].doWork();
        }
        final long steered = counter("core0.tcp.steered_to_other_core");
        final long full = counter("core0.drop.tcp_steer_ring_full");
        // About 2048 fit (a padding record at the wrap-around may take one slot).
        assertTrue(steered >= capacity - 1 && steered <= capacity, "steered " + steered);
        assertEquals(capacity + extra, steered + full);
        assertEquals(held + steered, pool.size - pool.freeCount, "steered frames wait in the ring, dropped ones are back");
        while (agents[1].doWork() > 0) {
            // drain: STEER_DRAIN per cycle
        }
        assertEquals(steered, counter("core1.tcp.segments_to_engine"));
    }

    @Test
    @DisplayName("Containment: a steered segment whose processing throws is counted on its owner; its buffer is freed")
    void throwingSteeredSegmentIsContained() {
        int remotePort = 40000;
        while (steering.owner(OUR_IP, 7, PEER_IP, remotePort) != 1) {
            remotePort++;
        }
        final NetAgentTest.ThrowingTransport t = new NetAgentTest.ThrowingTransport();
        t.throwOnCall = 1;
        agents[1].transport(t);
        agents[1].errorLog(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        final int held = pool.size - pool.freeCount;
        for (int i = 0; i < 3; i++) {
            queues[0].inject(tcpFrame(new SegmentBuilder().ports(remotePort, 7).seq(100 + i).flags(TcpHeader.RST)));
        }
        agents[0].doWork();
        assertEquals(3, counter("core0.tcp.steered_to_other_core"));
        agents[1].doWork();
        assertEquals(3, t.seen.size(), "all three reached core 1's transport");
        assertEquals(1, counter("core1.internal_errors"));
        assertEquals(held, pool.size - pool.freeCount, "the steered buffers were freed, the failing one too");
        agents[1].transport(new TcpTransport(engines[1]));
    }

    @Test
    @DisplayName("ARP: a reply that reaches core 1 resolves core 0's pending request too (mapping shared by ring)")
    void arpLearntOnOneCoreIsShared() {
        final int otherIp = Ipv4.parse("198.18.0.3");
        final long otherMac = 0x02_00_00_00_00_03L;
        final long handle = engines[0].connect(OUR_IP, otherIp, 80, handlers[0], nowNs);
        assertTrue(handle >= 0);
        agents[0].doWork();
        final byte[] request = queues[0].sent();
        assertNotNull(request, "core 0 asks who has 198.18.0.3");
        assertEquals(0x0806, ByteBuffer.wrap(request).getShort(12) & 0xFFFF);
        assertNull(queues[0].sent(), "the SYN waits for ARP");
        queues[1].inject(NetAgentTest.arp(2, otherMac, otherIp, OUR_MAC, OUR_IP, OUR_MAC));
        agents[1].doWork();
        assertNull(queues[1].sent());
        agents[0].doWork();
        final byte[] syn = queues[0].sent();
        assertNotNull(syn, "core 0 sends its held SYN once core 1 shared the mapping");
        assertEquals(otherMac, NetAgentTest.mac(ByteBuffer.wrap(syn), 0));
        assertEquals(TcpHeader.SYN, ByteBuffer.wrap(syn).get(34 + 13) & 0x3F);
    }
}
