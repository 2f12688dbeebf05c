package io.strait.tcp;

/**
 * The connections with work for the next {@link TcpEngine#poll}: output to send, callbacks to make. A ring of
 * slots, each TCB at most once (its {@code dirty} flag). Single-threaded.
 */
final class WorkQueue {
    private final int[] q;
    private int head;
    private int count;

    WorkQueue(final int capacity) {
        q = new int[capacity];
    }

    void add(final Tcb t) {
        if (!t.dirty) {
            t.dirty = true;
            int tail = head + count;
            if (tail >= q.length) {
                tail -= q.length;
            }
            q[tail] = t.slot;
            count++;
        }
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** The next slot (its TCB keeps {@code dirty} set until the caller clears it). */
    int take() {
        final int s = q[head];
        head = head + 1 == q.length ? 0 : head + 1;
        count--;
        return s;
    }
}
