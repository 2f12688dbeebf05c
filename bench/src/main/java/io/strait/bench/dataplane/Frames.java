package io.strait.bench.dataplane;

import io.strait.tcp.wire.Checksum;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Frames the dataplane benchmarks replay (built once, at set-up). */
final class Frames {
    static final long OUR_MAC = 0x02_00_00_00_00_02L;
    static final long PEER_MAC = 0x02_00_00_00_00_01L;
    static final int OUR_IP = 0xC612_0302;   // 198.18.3.2
    static final int PEER_IP = 0xC612_0301;  // 198.18.3.1

    private Frames() {
    }

    static void putMac(ByteBuffer b, int off, long mac) {
        for (int i = 0; i < 6; i++) {
            b.put(off + i, (byte) (mac >>> (40 - 8 * i)));
        }
    }

    /** Ethernet + IPv4 + ICMP echo request with {@code payload} bytes, checksums right. */
    static byte[] echoRequest(long dstMac, int dstIp, int payload) {
        final int ipLength = 20 + 8 + payload;
        final ByteBuffer b = ByteBuffer.allocate(14 + ipLength).order(ByteOrder.BIG_ENDIAN);
        putMac(b, 0, dstMac);
        putMac(b, 6, PEER_MAC);
        b.putShort(12, (short) 0x0800);
        b.put(14, (byte) 0x45).putShort(16, (short) ipLength).put(22, (byte) 64).put(23, (byte) 1)
            .putInt(26, PEER_IP).putInt(30, dstIp);
        b.put(34, (byte) 8).putShort(38, (short) 0x4242).putShort(40, (short) 1);
        for (int i = 0; i < payload; i++) {
            b.put(42 + i, (byte) i);
        }
        final UnsafeBuffer u = new UnsafeBuffer(b.array());
        b.putShort(24, (short) Checksum.compute(u, 14, 20));
        b.putShort(36, (short) Checksum.compute(u, 34, 8 + payload));
        return b.array();
    }

    /** Ethernet + IPv4 + TCP (20-byte header) + payload, IPv4 checksum right. */
    static byte[] tcpSegment(int payload) {
        final int ipLength = 20 + 20 + payload;
        final ByteBuffer b = ByteBuffer.allocate(14 + ipLength).order(ByteOrder.BIG_ENDIAN);
        putMac(b, 0, OUR_MAC);
        putMac(b, 6, PEER_MAC);
        b.putShort(12, (short) 0x0800);
        b.put(14, (byte) 0x45).putShort(16, (short) ipLength).put(22, (byte) 64).put(23, (byte) 6)
            .putInt(26, PEER_IP).putInt(30, OUR_IP);
        b.putShort(34, (short) 40000).putShort(36, (short) 80).putInt(38, 123456).putInt(42, 654321)
            .put(46, (byte) 0x50).put(47, (byte) 0x18).putShort(48, (short) 1024);
        final UnsafeBuffer u = new UnsafeBuffer(b.array());
        b.putShort(24, (short) Checksum.compute(u, 14, 20));
        return b.array();
    }
}
