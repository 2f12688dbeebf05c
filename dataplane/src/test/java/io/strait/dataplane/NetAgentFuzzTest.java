package io.strait.dataplane;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.strait.dataplane.sim.MemoryFrameIo;
import io.strait.tcp.EntropySource;
import io.strait.tcp.TcpConfig;
import io.strait.tcp.TcpEngine;
import io.strait.tcp.TcpHandler;
import io.strait.tcp.wire.Checksum;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzz target (issue 10): one core's frame handling ({@link NetAgent#doWork}: Ethernet, ARP, IPv4, ICMP, and TCP
 * into a real {@link TcpEngine} listening on port 80) on arbitrary frames over an in-memory port, as
 * {@link NetAgentTest} drives it. Each frame is fuzzer bytes, optionally made plausible (our MAC, an ethertype,
 * a version / IHL byte, total length, our address, a protocol, IP / ICMP / TCP checksums fixed), with fuzzed
 * receive checksum flags and port offloads; bursts of up to 32 frames, time passing between them, echo requests of
 * our own now and then (to exercise ARP resolution with held frames).
 *
 * <p>Checked: no exception leaves {@code doWork}, and none was contained either ({@code internal_errors} stays 0:
 * containment is the safety net, not the parser's way of rejecting input); after {@code onClose} every buffer is
 * back in the pool.
 */
class NetAgentFuzzTest {
    static final long OUR_MAC = NetAgentTest.OUR_MAC;
    static final long PEER_MAC = NetAgentTest.PEER_MAC;
    static final int OUR_IP = NetAgentTest.OUR_IP;
    static final int PEER_IP = NetAgentTest.PEER_IP;
    private static final int POOL = 256;
    private static final int ROOM = 2048;
    private static final int[] ETHER_TYPES = {0x0800, 0x0806, 0x8100, 0x86DD};
    private static final byte[] PROTOCOLS = {6, 1, 17, 0};

    /** Ports and counter memory reused across inputs (each input leaves a port as it found it, or fails). */
    private static final MemoryFrameIo[] PORTS = new MemoryFrameIo[4];
    private static final UnsafeBuffer META = new UnsafeBuffer(BufferUtil.allocateDirectAligned(512 * 512, 64));
    private static final UnsafeBuffer VALUES = new UnsafeBuffer(BufferUtil.allocateDirectAligned(128 * 512, 64));

    private long nowNs = 1_000_000_000L;

    @FuzzTest(maxDuration = "2m")
    void frames(final FuzzedDataProvider data) {
        final int caps = data.consumeInt(0, 3); // CAP_RX_IP_CKSUM, CAP_RX_TCP_CKSUM
        if (PORTS[caps] == null) {
            PORTS[caps] = new MemoryFrameIo(POOL, ROOM, OUR_MAC, caps);
        }
        final MemoryFrameIo io = PORTS[caps];
        META.setMemory(0, META.capacity(), (byte) 0);
        VALUES.setMemory(0, VALUES.capacity(), (byte) 0);
        final CountersManager counters = new CountersManager(META, VALUES, StandardCharsets.US_ASCII);
        final DataplaneCounters dc = new DataplaneCounters(counters, 0);
        final NetAgent agent = new NetAgent("fuzz", io, () -> nowNs, dc, OUR_IP, 24, 0, 16);
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        agent.errorLog(new PrintStream(log, true, StandardCharsets.UTF_8));
        final TcpEngine engine = new TcpEngine(TcpConfig.builder().maxConnections(4).listenBacklog(2)
            .sendBufferBytes(4096).receiveBufferBytes(4096).build(), EntropySource.seeded(7), counters, "core0.tcp.");
        engine.listen(80, new Sink(engine));
        agent.transport(new TcpTransport(engine));
        boolean clean = false;
        try {
            agent.onStart();
            agent.doWork();
            drain(io);
            for (int burst = 0; burst < 16 && data.remainingBytes() > 0; burst++) {
                final int frames = data.consumeInt(0, FrameIo.BURST);
                for (int f = 0; f < frames && data.remainingBytes() > 0; f++) {
                    final byte[] frame = frame(data);
                    final int flags = data.consumeInt(0, 0xF);
                    if (io.outstanding() < POOL - 1) {
                        io.inject(frame, flags);
                    }
                }
                if (data.consumeInt(0, 7) == 0 && io.outstanding() < POOL - 1) {
                    agent.sendEchoRequest(data.consumeBoolean() ? PEER_IP : data.consumeInt(), 1, 1,
                        data.consumeInt(0, 100));
                }
                nowNs += data.consumeBoolean() ? 1_000L : data.consumeLong(0, 10_000_000_000L);
                agent.doWork();
                drain(io);
                assertEquals(0, dc.internalErrors.get(), () -> "contained exception: " + log);
            }
            agent.onClose();
            drain(io);
            assertEquals(0, io.outstanding(), "every buffer back in the pool");
            clean = true;
        } finally {
            if (!clean) {
                PORTS[caps] = null; // a failed input leaves the port in an unknown state: the next gets a new one
            }
        }
    }

    private static void drain(final MemoryFrameIo io) {
        while (io.sent() != null) {
            // the wire takes everything
        }
    }

    /** Fuzzer bytes as a frame, each layer optionally made plausible so the next one is reached. */
    private static byte[] frame(final FuzzedDataProvider data) {
        final boolean toUs = data.consumeBoolean();
        final int etherType = data.consumeBoolean() ? data.pickValue(ETHER_TYPES) : -1;
        final boolean ipShape = data.consumeBoolean();
        final boolean ipAddresses = data.consumeBoolean();
        final byte protocol = data.consumeBoolean() ? data.pickValue(PROTOCOLS) : -1;
        final boolean ipLength = data.consumeBoolean();
        final boolean ipChecksum = data.consumeBoolean();
        final boolean l4Checksum = data.consumeBoolean();
        final byte[] frame = data.consumeBytes(data.consumeInt(0, ROOM));
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        final int n = frame.length;
        if (toUs && n >= 14) {
            for (int i = 0; i < 6; i++) {
                frame[i] = (byte) (OUR_MAC >>> (40 - 8 * i));
                frame[6 + i] = (byte) (PEER_MAC >>> (40 - 8 * i));
            }
        }
        if (etherType >= 0 && n >= 14) {
            b.putShort(12, (short) etherType, ByteOrder.BIG_ENDIAN);
        }
        if (n < 34) {
            return frame;
        }
        if (ipShape) {
            frame[14] = 0x45;
            frame[20] = 0; // no fragment
            frame[21] = 0;
            frame[22] = 64;
        }
        if (ipAddresses) {
            b.putInt(26, PEER_IP, ByteOrder.BIG_ENDIAN);
            b.putInt(30, OUR_IP, ByteOrder.BIG_ENDIAN);
        }
        if (protocol >= 0) {
            frame[23] = protocol;
        }
        final int ihl = (frame[14] & 0xF) * 4;
        if (ipLength) {
            b.putShort(16, (short) (n - 14), ByteOrder.BIG_ENDIAN);
        }
        final int total = b.getShort(16, ByteOrder.BIG_ENDIAN) & 0xFFFF;
        final int l4 = 14 + ihl;
        final int l4Length = total - ihl;
        if (l4Checksum && ihl >= 20 && l4Length >= 0 && 14 + total <= n) {
            if (frame[23] == 1 && l4Length >= 4) {
                b.putShort(l4 + 2, (short) 0);
                b.putShort(l4 + 2, (short) Checksum.compute(b, l4, l4Length), ByteOrder.BIG_ENDIAN);
            } else if (frame[23] == 6 && l4Length >= 18) {
                b.putShort(l4 + 16, (short) 0);
                b.putShort(l4 + 16, (short) Checksum.tcp(b.getInt(26, ByteOrder.BIG_ENDIAN),
                    b.getInt(30, ByteOrder.BIG_ENDIAN), b, l4, l4Length), ByteOrder.BIG_ENDIAN);
            }
        }
        if (ipChecksum && ihl >= 20 && 14 + ihl <= n) {
            b.putShort(24, (short) 0);
            b.putShort(24, (short) Checksum.compute(b, 14, ihl), ByteOrder.BIG_ENDIAN);
        }
        return frame;
    }

    /** Accepts connections and takes their data; closes when the peer does. */
    private record Sink(TcpEngine engine) implements TcpHandler {
        @Override
        public void onOpen(final long handle) {
        }

        @Override
        public int onData(final long handle, final DirectBuffer buffer, final int offset, final int length) {
            return length;
        }

        @Override
        public void onPeerFin(final long handle) {
            engine.close(handle);
        }

        @Override
        public void onClose(final long handle, final int reason) {
        }
    }
}
