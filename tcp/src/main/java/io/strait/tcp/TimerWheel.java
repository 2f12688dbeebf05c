package io.strait.tcp;

import java.util.Arrays;

/**
 * A hashed timer wheel with at most one timer per TCB slot, its timers kept in intrusive doubly linked lists (int
 * arrays indexed by slot: nothing allocated after construction, O(1) schedule and cancel).
 *
 * <p>Why not Agrona's {@code DeadlineTimerWheel}: its {@code poll} scans every slot of the current tick's array
 * whenever any timer exists, and that array only grows (to the most timers that ever shared one tick). The engine
 * polls on every duty cycle, so one connection's RTO timer cost ~55 ns per cycle (a third of a TCP echo's engine
 * time), and 100k connections would have cost a scan of hundreds of slots per cycle. Here every spoke keeps a lower
 * bound of its deadlines ({@link #spokeMin}): a poll with nothing due compares two longs and returns.
 *
 * <p>A spoke holds the timers whose deadline falls in its tick on any turn of the wheel; a spoke is scanned only
 * when its bound is due, and the scan sets the bound exactly again. A cancel leaves the bound as it was (still a
 * lower bound: at worst one early, empty scan). Deadlines in the past go to the current tick and fire at the next
 * poll; a timer fires at the first poll at or after its deadline, never before it.
 *
 * <p>Public for the benchmarks only ({@code TimerWheelBenchmark}); the engine's API does not expose it.
 */
public final class TimerWheel {
    static final long NONE = Long.MAX_VALUE;
    private static final int NIL = -1;

    private final int shift;
    private final int mask;
    private final int[] head;
    private final long[] spokeMin;
    private final int[] next;
    private final int[] prev;
    private final long[] deadline;
    private final int[] spokeOf;
    private long startNs;
    private long currentTick;
    private int count;

    /**
     * @param capacity timers at most (slots 0 .. capacity-1)
     * @param tickNs   tick length, a power of two
     * @param spokes   ticks per turn, a power of two
     */
    public TimerWheel(final int capacity, final long tickNs, final int spokes) {
        if (Long.bitCount(tickNs) != 1 || Integer.bitCount(spokes) != 1) {
            throw new IllegalArgumentException("tick and spokes must be powers of two: " + tickNs + ", " + spokes);
        }
        shift = Long.numberOfTrailingZeros(tickNs);
        mask = spokes - 1;
        head = new int[spokes];
        spokeMin = new long[spokes];
        next = new int[capacity];
        prev = new int[capacity];
        deadline = new long[capacity];
        spokeOf = new int[capacity];
        Arrays.fill(head, NIL);
        Arrays.fill(spokeMin, NONE);
        Arrays.fill(deadline, NONE);
    }

    /** Starts the wheel's clock: tick 0 begins at {@code nowNs}. Only while no timer is scheduled. */
    public void start(final long nowNs) {
        if (count != 0) {
            throw new IllegalStateException("timers scheduled");
        }
        startNs = nowNs;
        currentTick = 0;
    }

    public int count() {
        return count;
    }

    public boolean scheduled(final int slot) {
        return deadline[slot] != NONE;
    }

    /** The slot's scheduled deadline, NONE when not scheduled. */
    public long deadline(final int slot) {
        return deadline[slot];
    }

    /** Schedules the slot's timer; it must not be scheduled already. {@code deadlineNs} must not be NONE. */
    public void schedule(final int slot, final long deadlineNs) {
        if (deadline[slot] != NONE || deadlineNs == NONE) {
            throw new IllegalStateException("slot " + slot + " scheduled, or no deadline");
        }
        final int spoke = (int) (Math.max(currentTick, tickOf(deadlineNs)) & mask);
        deadline[slot] = deadlineNs;
        spokeOf[slot] = spoke;
        final int h = head[spoke];
        next[slot] = h;
        prev[slot] = NIL;
        if (h != NIL) {
            prev[h] = slot;
        }
        head[spoke] = slot;
        if (deadlineNs < spokeMin[spoke]) {
            spokeMin[spoke] = deadlineNs;
        }
        count++;
    }

    /** Cancels the slot's timer if scheduled. */
    public void cancel(final int slot) {
        final long d = deadline[slot];
        if (d == NONE) {
            return;
        }
        final int spoke = spokeOf[slot];
        unlink(slot, spoke);
        if (head[spoke] == NIL) {
            spokeMin[spoke] = NONE;
        }
    }

    /**
     * Expires the timers due at {@code nowNs}, at most {@code limit}, writing their slots to {@code fired} (they are
     * no longer scheduled). The ticks up to {@code nowNs} are walked once each; a poll that stops at the limit
     * resumes where it stopped.
     *
     * @return how many fired
     */
    public int poll(final long nowNs, final int[] fired, final int limit) {
        int n = 0;
        final long nowTick = tickOf(nowNs);
        int walked = 0;
        while (count > 0) {
            final int spoke = (int) (currentTick & mask);
            if (spokeMin[spoke] <= nowNs) {
                n = expire(spoke, nowNs, fired, n, limit);
                if (n >= limit) {
                    return n;
                }
            }
            if (currentTick >= nowTick) {
                return n;
            }
            currentTick++;
            if (++walked > mask) {
                break; // every spoke seen with nothing due: what is left is due after nowNs, ticks can be skipped
            }
        }
        if (nowTick > currentTick) {
            currentTick = nowTick; // no timer's tick lies in between (each is due after nowNs, or none is left)
        }
        return n;
    }

    /** A lower bound of every scheduled deadline (exact after polls, lower after cancels); NONE when empty. */
    public long earliestBound() {
        if (count == 0) {
            return NONE;
        }
        long min = NONE;
        for (final long m : spokeMin) {
            if (m < min) {
                min = m;
            }
        }
        return min;
    }

    /** The end of the tick the wheel is in: deadlines before it are due at the next poll that reaches them. */
    public long currentTickTime() {
        return startNs + ((currentTick + 1) << shift);
    }

    private int expire(final int spoke, final long nowNs, final int[] fired, int n, final int limit) {
        long min = NONE;
        int s = head[spoke];
        while (s != NIL) {
            final int after = next[s];
            final long d = deadline[s];
            if (d <= nowNs && n < limit) {
                unlink(s, spoke);
                fired[n++] = s;
            } else if (d < min) {
                min = d;
            }
            s = after;
        }
        spokeMin[spoke] = min;
        return n;
    }

    private void unlink(final int slot, final int spoke) {
        final int p = prev[slot];
        final int nx = next[slot];
        if (p != NIL) {
            next[p] = nx;
        } else {
            head[spoke] = nx;
        }
        if (nx != NIL) {
            prev[nx] = p;
        }
        deadline[slot] = NONE;
        count--;
    }

    /** Ticks since start; deadlines before the start count as tick 0. */
    private long tickOf(final long ns) {
        final long since = ns - startNs;
        return since <= 0 ? 0 : since >>> shift;
    }
}
