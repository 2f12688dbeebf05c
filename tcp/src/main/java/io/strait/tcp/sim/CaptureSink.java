package io.strait.tcp.sim;

import io.strait.tcp.SegmentSink;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;

/** A {@link SegmentSink} that records every committed segment as a {@link CapturedSegment} (scripted tests). */
public final class CaptureSink implements SegmentSink {
    private final VirtualClock clock;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[65536 + 64]);
    private final List<CapturedSegment> segments = new ArrayList<>();
    private int src;
    private int dst;
    private int length;
    private boolean full;

    public CaptureSink(final VirtualClock clock) {
        this.clock = clock;
    }

    /** Simulates a full TX ring: claims fail while set. */
    public void full(final boolean v) {
        full = v;
    }

    @Override
    public int claim(final int localIp, final int remoteIp, final int tcpLength) {
        if (full) {
            return -1;
        }
        src = localIp;
        dst = remoteIp;
        length = tcpLength;
        return 32; // a non-zero offset, as the dataplane leaves room for Ethernet + IPv4 in front
    }

    @Override
    public MutableDirectBuffer buffer() {
        return buffer;
    }

    @Override
    public void commit() {
        segments.add(CapturedSegment.of(clock.nowNs(), src, dst, buffer, 32, length));
    }

    /** Returns and forgets what was captured so far. */
    public List<CapturedSegment> drain() {
        final List<CapturedSegment> out = new ArrayList<>(segments);
        segments.clear();
        return out;
    }

    public int size() {
        return segments.size();
    }
}
