package io.strait.apps.api;

import org.agrona.DeadlineTimerWheel;
import org.agrona.collections.Long2ObjectHashMap;

import java.util.concurrent.TimeUnit;

/**
 * Timers an app sets on a core ({@link StraitCore#schedule}): an Agrona timer wheel of about 1 ms ticks, polled once
 * per cycle with the cycle's time, each timer a Runnable run on the core's thread. App-level, not per packet: a
 * timer costs a map entry.
 */
final class CoreTimers {
    /** 2^20 ns, about 1 ms: timers fire within a tick of their deadline. */
    private static final long TICK_NS = 1L << 20;
    private static final int EXPIRIES_PER_CYCLE = 256;

    private final Long2ObjectHashMap<Runnable> actions = new Long2ObjectHashMap<>();
    /** One handler for the core's life: a method reference per poll would be an allocation per cycle. */
    private final DeadlineTimerWheel.TimerHandler expiry = this::expire;
    private final ErrorSink errors;
    private DeadlineTimerWheel wheel;

    /** Where a timer's exception goes; the core carries on. */
    interface ErrorSink {
        void onError(RuntimeException e);
    }

    CoreTimers(ErrorSink errors) {
        this.errors = errors;
    }

    long schedule(long deadlineNs, long nowNs, Runnable action) {
        if (wheel == null) {
            wheel = new DeadlineTimerWheel(TimeUnit.NANOSECONDS, nowNs, TICK_NS, 1024);
        }
        final long id = wheel.scheduleTimer(Math.max(deadlineNs, nowNs));
        actions.put(id, action);
        return id;
    }

    boolean cancel(long id) {
        if (actions.remove(id) == null) {
            return false;
        }
        wheel.cancelTimer(id);
        return true;
    }

    int size() {
        return actions.size();
    }

    int poll(long nowNs) {
        if (wheel == null || actions.isEmpty()) {
            return 0;
        }
        return wheel.poll(nowNs, expiry, EXPIRIES_PER_CYCLE);
    }

    private boolean expire(TimeUnit unit, long nowNs, long id) {
        final Runnable action = actions.remove(id);
        if (action != null) {
            try {
                action.run();
            } catch (RuntimeException e) {
                errors.onError(e);
            }
        }
        return true;
    }
}
