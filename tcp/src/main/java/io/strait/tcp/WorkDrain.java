package io.strait.tcp;

import static io.strait.tcp.TcpState.CLOSED;

/**
 * The connections touched since the last poll (the {@link WorkQueue}), each once: in-order data still in the
 * receive ring goes to the app (and a window update follows when the app freed room), then {@code onReadComplete}
 * once per burst, {@code onWritable} when the send buffer has room again, then the connection's pending output
 * (data, ACK, FIN, RST). A handler that throws aborts only its own connection ({@link TcbPool#handlerFailed}).
 */
final class WorkDrain {
    private final Tcb[] tcbs;
    private final WorkQueue work;
    private final Reassembly reassembly;
    private final TcbPool pool;
    private final Output output;

    WorkDrain(final Tcb[] tcbs, final WorkQueue work, final Reassembly reassembly, final TcbPool pool,
        final Output output) {
        this.tcbs = tcbs;
        this.work = work;
        this.reassembly = reassembly;
        this.pool = pool;
        this.output = output;
    }

    /** @return connections whose output ran */
    int run(final long nowNs, final SegmentSink out) {
            int done = 0;
            int budget = 2 * tcbs.length + 16;
            while (!work.isEmpty() && budget-- > 0) {
                final Tcb t = tcbs[work.take()];
                if (t.state == CLOSED) {
                    t.dirty = false;
                    continue;
                }
                final long h = t.handle();
                // t.dirty stays true while callbacks run, so their writes do not queue the TCB twice.
                if (t.rcvLen > 0 && t.appAttached && !t.orphan) {
                    if (!reassembly.deliverFromRing(t)) {
                        requeueIfReused(t, h);
                        continue;
                    }
                    reassembly.maybeWindowUpdate(t);
                }
                if (t.delivered) {
                    t.delivered = false;
                    if (t.appAttached) {
                        try {
                            t.handler.onReadComplete(h);
                        } catch (final Throwable e) {
                            pool.handlerFailed(t, h, e);
                        }
                        if (!TcbPool.alive(t, h)) {
                            requeueIfReused(t, h);
                            continue;
                        }
                    }
                }
                if (t.wantWritable && t.sndLen < t.sndBufBytes && t.appAttached) {
                    t.wantWritable = false;
                    try {
                        t.handler.onWritable(h);
                    } catch (final Throwable e) {
                        pool.handlerFailed(t, h, e);
                    }
                    if (!TcbPool.alive(t, h)) {
                        requeueIfReused(t, h);
                        continue;
                    }
                }
                t.dirty = false;
                output.output(t, nowNs, out);
                done++;
            }
        return done;
    }

    private void requeueIfReused(final Tcb t, final long h) {
        t.dirty = false;
        if (t.state != CLOSED && t.handle() != h) {
            work.add(t);
        }
    }
}
