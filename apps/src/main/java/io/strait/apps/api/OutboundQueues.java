package io.strait.apps.api;

import io.strait.tcp.TcpEngine;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayDeque;

/**
 * Per-connection outbound queues of one core ({@link Connection#send}): what the engine's send buffer cannot take
 * now waits here, copied, up to a byte limit per connection, and drains into the engine as it reports space, as
 * Netty's ChannelOutboundBuffer does. The fast path (the engine takes everything) copies nothing here; a copy is
 * made only for the part that has to wait.
 */
final class OutboundQueues {
    private final TcpEngine engine;
    private final ArrayDeque<byte[]>[] queues;
    private final int[] headOffset;
    private final long[] queued;
    private final long[] owner;
    private final boolean[] closeWhenDrained;
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
    private long limitBytes = 4L << 20;

    @SuppressWarnings("unchecked")
    OutboundQueues(TcpEngine engine, int slots) {
        this.engine = engine;
        this.queues = new ArrayDeque[slots];
        this.headOffset = new int[slots];
        this.queued = new long[slots];
        this.owner = new long[slots];
        this.closeWhenDrained = new boolean[slots];
        java.util.Arrays.fill(owner, -1L);
    }

    void limitBytes(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("the outbound limit must not be negative");
        }
        this.limitBytes = bytes;
    }

    long limitBytes() {
        return limitBytes;
    }

    long queued(long handle) {
        final int s = TcpEngine.slot(handle);
        return owner[s] == handle ? queued[s] : 0;
    }

    /** Writes what the engine takes, queues the rest up to the limit; returns the bytes accepted, -1 if closed. */
    int send(long handle, DirectBuffer src, int offset, int length) {
        final int s = TcpEngine.slot(handle);
        if (owner[s] != handle) {
            owner[s] = handle;
            queued[s] = 0;
            headOffset[s] = 0;
            closeWhenDrained[s] = false;
            if (queues[s] != null) {
                queues[s].clear();
            }
        }
        if (closeWhenDrained[s]) {
            return -1; // closed for writing by the app
        }
        int written = 0;
        if (queued[s] == 0) {
            written = engine.write(handle, src, offset, length);
            if (written < 0) {
                return -1;
            }
            if (written == length) {
                return length;
            }
        }
        final int rest = (int) Math.min(length - written, Math.max(0, limitBytes - queued[s]));
        if (rest > 0) {
            final byte[] copy = new byte[rest];
            src.getBytes(offset + written, copy);
            if (queues[s] == null) {
                queues[s] = new ArrayDeque<>();
            }
            queues[s].addLast(copy);
            queued[s] += rest;
        }
        return written + rest;
    }

    /** Moves queued bytes into the engine; true when nothing is left queued (the app may write again). */
    boolean drain(long handle) {
        final int s = TcpEngine.slot(handle);
        if (owner[s] != handle || queued[s] == 0) {
            return true;
        }
        final ArrayDeque<byte[]> q = queues[s];
        while (!q.isEmpty()) {
            final byte[] head = q.peekFirst();
            final int from = headOffset[s];
            view.wrap(head);
            final int n = engine.write(handle, view, from, head.length - from);
            if (n < 0) {
                clear(handle);
                return true;
            }
            queued[s] -= n;
            if (from + n < head.length) {
                headOffset[s] = from + n;
                return false; // the engine is full again: its next onWritable resumes
            }
            q.pollFirst();
            headOffset[s] = 0;
        }
        if (closeWhenDrained[s]) {
            closeWhenDrained[s] = false;
            engine.close(handle);
        }
        return true;
    }

    /** A graceful close: FIN after the queued bytes. @return true when it can close now (nothing queued) */
    boolean closeAfterDrain(long handle) {
        final int s = TcpEngine.slot(handle);
        if (owner[s] != handle || queued[s] == 0) {
            return true;
        }
        closeWhenDrained[s] = true;
        return false;
    }

    void clear(long handle) {
        final int s = TcpEngine.slot(handle);
        if (owner[s] == handle) {
            owner[s] = -1L;
            queued[s] = 0;
            headOffset[s] = 0;
            closeWhenDrained[s] = false;
            if (queues[s] != null) {
                queues[s].clear();
            }
        }
    }
}
