package io.strait.dataplane;

import java.io.PrintStream;

/**
 * One line per interval for a recurring condition (contained exceptions): the first occurrence of each interval is
 * printed with how many were left out since the last line; the rest are only counted. Not the hot path: printing
 * allocates. Single-threaded (one per core).
 */
final class RateLimitedLog {
    private final long intervalNs;
    private PrintStream out = System.err;
    private long nextNs = Long.MIN_VALUE;
    private long suppressed;

    RateLimitedLog(final long intervalNs) {
        this.intervalNs = intervalNs;
    }

    void to(final PrintStream stream) {
        this.out = stream;
    }

    /** Prints {@code prefix + " (N more since the last line): " + t} unless a line went out within the interval. */
    void report(final long nowNs, final String prefix, final Throwable t) {
        if (nextNs != Long.MIN_VALUE && nowNs - nextNs < 0) {
            suppressed++;
            return;
        }
        nextNs = nowNs + intervalNs;
        try {
            final StackTraceElement[] stack = t.getStackTrace();
            out.println(prefix + " (contained, core keeps serving; " + suppressed + " more since the last line): "
                + String.valueOf(t).replace('\n', ' ') + (stack.length > 0 ? " at " + stack[0] : ""));
        } catch (Throwable ignored) {
            // an exception whose toString throws: counted all the same
        }
        suppressed = 0;
    }
}
