package io.strait.tcp.sim;

import io.strait.tcp.wire.Checksum;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Classic pcap (nanosecond-resolution variant, magic 0xa1b23c4d), generic over the link type: the dataplane
 * writes Ethernet frames ({@link #LINKTYPE_ETHERNET}); the simulation writes raw IPv4 ({@link #LINKTYPE_RAW}),
 * synthesising a 20-byte IPv4 header in front of each TCP segment with {@link #writeIpv4}. Opens in Wireshark.
 * Not thread-safe; allocation per record is fine here (test and debug tool, not the hot path).
 */
public final class PcapWriter implements AutoCloseable {
    public static final int LINKTYPE_ETHERNET = 1;
    public static final int LINKTYPE_RAW = 101;
    private static final int MAGIC_NS = 0xa1b23c4d;

    private final OutputStream out;
    private final ByteArrayOutputStream memory;
    private final int snapLen;
    private final UnsafeBuffer record = new UnsafeBuffer(new byte[16 + 65536 + 64]);
    private int records;

    public PcapWriter(final OutputStream out, final int linkType, final int snapLen) {
        this.out = out;
        this.memory = out instanceof ByteArrayOutputStream b ? b : null;
        this.snapLen = snapLen;
        final UnsafeBuffer h = new UnsafeBuffer(new byte[24]);
        h.putInt(0, MAGIC_NS, ByteOrder.LITTLE_ENDIAN);
        h.putShort(4, (short) 2, ByteOrder.LITTLE_ENDIAN);
        h.putShort(6, (short) 4, ByteOrder.LITTLE_ENDIAN);
        h.putInt(8, 0, ByteOrder.LITTLE_ENDIAN);
        h.putInt(12, 0, ByteOrder.LITTLE_ENDIAN);
        h.putInt(16, snapLen, ByteOrder.LITTLE_ENDIAN);
        h.putInt(20, linkType, ByteOrder.LITTLE_ENDIAN);
        write(h.byteArray(), 24);
    }

    /** A writer that keeps the capture in memory until {@link #writeTo(Path)}. */
    public static PcapWriter inMemory(final int linkType) {
        return new PcapWriter(new ByteArrayOutputStream(1 << 16), linkType, 65535);
    }

    /** One frame of the writer's link type, captured at {@code timestampNs}. */
    public void write(final long timestampNs, final DirectBuffer buffer, final int offset, final int length) {
        final int caplen = Math.min(length, snapLen);
        putRecordHeader(timestampNs, caplen, length);
        record.putBytes(16, buffer, offset, caplen);
        write(record.byteArray(), 16 + caplen);
    }

    /** A raw IPv4 packet (linktype 101) carrying {@code payload}, with a synthesised 20-byte IPv4 header. */
    public void writeIpv4(final long timestampNs, final int srcIp, final int dstIp, final int protocol,
        final DirectBuffer payload, final int offset, final int length) {
        final int total = 20 + length;
        final int caplen = Math.min(total, snapLen);
        putRecordHeader(timestampNs, caplen, total);
        final int ip = 16;
        record.putByte(ip, (byte) 0x45);
        record.putByte(ip + 1, (byte) 0);
        record.putShort(ip + 2, (short) total, ByteOrder.BIG_ENDIAN);
        record.putShort(ip + 4, (short) records, ByteOrder.BIG_ENDIAN);
        record.putShort(ip + 6, (short) 0x4000, ByteOrder.BIG_ENDIAN);
        record.putByte(ip + 8, (byte) 64);
        record.putByte(ip + 9, (byte) protocol);
        record.putShort(ip + 10, (short) 0);
        record.putInt(ip + 12, srcIp, ByteOrder.BIG_ENDIAN);
        record.putInt(ip + 16, dstIp, ByteOrder.BIG_ENDIAN);
        record.putShort(ip + 10, (short) Checksum.compute(record, ip, 20), ByteOrder.BIG_ENDIAN);
        record.putBytes(ip + 20, payload, offset, Math.min(length, caplen - 20));
        write(record.byteArray(), 16 + caplen);
    }

    private void putRecordHeader(final long timestampNs, final int caplen, final int length) {
        record.putInt(0, (int) (timestampNs / 1_000_000_000L), ByteOrder.LITTLE_ENDIAN);
        record.putInt(4, (int) (timestampNs % 1_000_000_000L), ByteOrder.LITTLE_ENDIAN);
        record.putInt(8, caplen, ByteOrder.LITTLE_ENDIAN);
        record.putInt(12, length, ByteOrder.LITTLE_ENDIAN);
        records++;
    }

    private void write(final byte[] bytes, final int length) {
        try {
            out.write(bytes, 0, length);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int records() {
        return records;
    }

    /** Writes an in-memory capture to a file (creating parent directories). */
    public void writeTo(final Path file) {
        if (memory == null) {
            throw new IllegalStateException("not an in-memory writer");
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, memory.toByteArray());
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
