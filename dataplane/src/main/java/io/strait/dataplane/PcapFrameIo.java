package io.strait.dataplane;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@code serve --pcap FILE}: every frame a port receives, and every frame it takes for sending, appended to a classic
 * pcap file (nanosecond timestamps, LINKTYPE_ETHERNET) that Wireshark and tshark open. Decorates the port's
 * {@link FrameIo} on the core's thread.
 *
 * <p>No allocation per frame: frames are copied into one preallocated 4 MiB buffer, written to the file when it is
 * nearly full and at {@link #close()}. The clock is read once per burst. Capturing costs a copy per frame: it is a
 * debugging aid, not for benchmarks.
 */
public final class PcapFrameIo extends ForwardingFrameIo {
    /** pcap with nanosecond timestamps (the "modified" magic Wireshark reads). */
    static final int MAGIC_NS = 0xA1B23C4D;
    static final int LINKTYPE_ETHERNET = 1;
    static final int SNAPLEN = 65535;
    private static final int BUFFER_BYTES = 4 << 20;
    private static final int RECORD_HEADER = 16;

    private final FileChannel file;
    private final ByteBuffer bytes = BufferUtil.allocateDirectAligned(BUFFER_BYTES, 64).order(ByteOrder.LITTLE_ENDIAN);
    private final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
    private final UnsafeBuffer frame = new UnsafeBuffer(0, 0);
    private final long epochNs0 = System.currentTimeMillis() * 1_000_000L;
    private final long nanoTime0 = System.nanoTime();
    private int position;
    private long frames;

    public PcapFrameIo(FrameIo port, Path path) {
        super(port);
        try {
            this.file = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the capture " + path + ": " + e.getMessage());
        }
        // Global header (pcap file format: magic, version 2.4, zone, sigfigs, snaplen, link type).
        buffer.putInt(0, MAGIC_NS, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(4, (short) 2, ByteOrder.LITTLE_ENDIAN);
        buffer.putShort(6, (short) 4, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(8, 0, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(12, 0, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(16, SNAPLEN, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(20, LINKTYPE_ETHERNET, ByteOrder.LITTLE_ENDIAN);
        position = 24;
    }

    /** Frames captured so far. */
    public long frames() {
        return frames;
    }

    private void record(long addr, int length, long tsNs) {
        if (position + RECORD_HEADER + length > BUFFER_BYTES) {
            flush();
        }
        buffer.putInt(position, (int) (tsNs / 1_000_000_000L), ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(position + 4, (int) (tsNs % 1_000_000_000L), ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(position + 8, length, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(position + 12, length, ByteOrder.LITTLE_ENDIAN);
        frame.wrap(addr, length);
        buffer.putBytes(position + RECORD_HEADER, frame, 0, length);
        position += RECORD_HEADER + length;
        frames++;
    }

    private long nowEpochNs() {
        return epochNs0 + (System.nanoTime() - nanoTime0);
    }

    private void flush() {
        try {
            bytes.limit(position).position(0);
            while (bytes.hasRemaining()) {
                file.write(bytes);
            }
            bytes.clear();
            position = 0;
        } catch (IOException e) {
            position = 0; // the capture is a debugging aid: losing it must not stop the dataplane
        }
    }

    @Override
    public int receive(long[] bufs, long[] addrs, int[] lens, int[] flags, int max) {
        final int n = port.receive(bufs, addrs, lens, flags, max);
        if (n > 0) {
            final long ts = nowEpochNs();
            for (int i = 0; i < n; i++) {
                if (lens[i] > 0) {
                    record(addrs[i], lens[i], ts);
                }
            }
        }
        return n;
    }

    @Override
    public int transmit(long[] bufs, long[] addrs, int[] lens, int count) {
        final int sent = port.transmit(bufs, addrs, lens, count);
        if (sent > 0) {
            final long ts = nowEpochNs();
            for (int i = 0; i < sent; i++) {
                record(addrs[i], lens[i] & 0xFFFF, ts);
            }
        }
        return sent;
    }

    @Override
    public void close() {
        flush();
        try {
            file.close();
        } catch (IOException ignored) {
            // nothing more to save
        }
        port.close();
    }
}
