package io.strait.bench.dataplane;

import io.strait.tcp.wire.Checksum;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * The question: over off-heap packet memory, is an Agrona {@code UnsafeBuffer} re-pointed per packet or a
 * {@code MemorySegment} flyweight the faster way to parse? Each op parses a burst of 32 frames (Ethernet, IPv4 with
 * header checksum verification, TCP ports/sequence/ack/flags/window) the way the dataplane does.
 * <ul>
 *   <li>{@code unsafeBuffer}: one UnsafeBuffer, {@code wrap(address, length)} per frame (what NetAgent does);
 *   <li>{@code segmentPerPacket}: {@code MemorySegment.ofAddress(a).reinterpret(len)} per frame, big-endian layouts;
 *   <li>{@code segmentGlobal}: one segment over all memory, read at absolute addresses (no per-frame object).
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-exports",
    "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class FlyweightBenchmark {
    static final int BURST = 32;
    static final int STRIDE = 2048;
    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    final long[] addrs = new long[BURST];
    final int[] lens = new int[BURST];
    final UnsafeBuffer flyweight = new UnsafeBuffer(0, 0);
    UnsafeBuffer memory;

    @Setup
    public void setup() {
        memory = new UnsafeBuffer(BufferUtil.allocateDirectAligned(BURST * STRIDE, 64));
        final byte[] frame = Frames.tcpSegment(64);
        for (int i = 0; i < BURST; i++) {
            memory.putBytes(i * STRIDE, frame);
            addrs[i] = memory.addressOffset() + (long) i * STRIDE;
            lens[i] = frame.length;
        }
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long unsafeBuffer() {
        long acc = 0;
        for (int i = 0; i < BURST; i++) {
            final UnsafeBuffer b = flyweight;
            b.wrap(addrs[i], lens[i]);
            if ((b.getShort(12, ByteOrder.BIG_ENDIAN) & 0xFFFF) != 0x0800) {
                continue;
            }
            final int ihl = (b.getByte(14) & 0xF) * 4;
            final int total = b.getShort(16, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            if (b.getByte(23) != 6 || total > lens[i] - 14 || !Checksum.verify(b, 14, ihl)) {
                continue;
            }
            final int tcp = 14 + ihl;
            acc += b.getInt(26, ByteOrder.BIG_ENDIAN) ^ b.getInt(30, ByteOrder.BIG_ENDIAN);
            acc += b.getShort(tcp, ByteOrder.BIG_ENDIAN) + b.getShort(tcp + 2, ByteOrder.BIG_ENDIAN);
            acc += b.getInt(tcp + 4, ByteOrder.BIG_ENDIAN) + b.getInt(tcp + 8, ByteOrder.BIG_ENDIAN);
            acc += b.getByte(tcp + 13) + b.getShort(tcp + 14, ByteOrder.BIG_ENDIAN);
        }
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long segmentPerPacket() {
        long acc = 0;
        for (int i = 0; i < BURST; i++) {
            final MemorySegment s = MemorySegment.ofAddress(addrs[i]).reinterpret(lens[i]);
            if ((s.get(SHORT_BE, 12) & 0xFFFF) != 0x0800) {
                continue;
            }
            final int ihl = (s.get(ValueLayout.JAVA_BYTE, 14) & 0xF) * 4;
            final int total = s.get(SHORT_BE, 16) & 0xFFFF;
            if (s.get(ValueLayout.JAVA_BYTE, 23) != 6 || total > lens[i] - 14 || !verify(s, 14, ihl)) {
                continue;
            }
            final int tcp = 14 + ihl;
            acc += s.get(INT_BE, 26) ^ s.get(INT_BE, 30);
            acc += s.get(SHORT_BE, tcp) + s.get(SHORT_BE, tcp + 2);
            acc += s.get(INT_BE, tcp + 4) + s.get(INT_BE, tcp + 8);
            acc += s.get(ValueLayout.JAVA_BYTE, tcp + 13) + s.get(SHORT_BE, tcp + 14);
        }
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long segmentGlobal() {
        long acc = 0;
        for (int i = 0; i < BURST; i++) {
            final long a = addrs[i];
            if ((ALL.get(SHORT_BE, a + 12) & 0xFFFF) != 0x0800) {
                continue;
            }
            final int ihl = (ALL.get(ValueLayout.JAVA_BYTE, a + 14) & 0xF) * 4;
            final int total = ALL.get(SHORT_BE, a + 16) & 0xFFFF;
            if (ALL.get(ValueLayout.JAVA_BYTE, a + 23) != 6 || total > lens[i] - 14 || !verify(ALL, a + 14, ihl)) {
                continue;
            }
            final long tcp = a + 14 + ihl;
            acc += ALL.get(INT_BE, a + 26) ^ ALL.get(INT_BE, a + 30);
            acc += ALL.get(SHORT_BE, tcp) + ALL.get(SHORT_BE, tcp + 2);
            acc += ALL.get(INT_BE, tcp + 4) + ALL.get(INT_BE, tcp + 8);
            acc += ALL.get(ValueLayout.JAVA_BYTE, tcp + 13) + ALL.get(SHORT_BE, tcp + 14);
        }
        return acc;
    }

    /** RFC 1071 over a segment, eight bytes at a time, as {@link Checksum} does over a DirectBuffer. */
    static boolean verify(MemorySegment s, long offset, int length) {
        long sum = 0;
        int i = 0;
        for (; i + 8 <= length; i += 8) {
            final long v = s.get(LONG_BE, offset + i);
            sum += (v >>> 32) + (v & 0xFFFF_FFFFL);
        }
        for (; i + 2 <= length; i += 2) {
            sum += s.get(SHORT_BE, offset + i) & 0xFFFF;
        }
        if (i < length) {
            sum += (s.get(ValueLayout.JAVA_BYTE, offset + i) & 0xFF) << 8;
        }
        return Checksum.fold(sum) == 0xFFFF;
    }
}
