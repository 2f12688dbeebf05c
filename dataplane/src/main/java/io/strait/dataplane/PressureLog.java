package io.strait.dataplane;

import org.agrona.concurrent.status.CountersReader;

import java.io.PrintStream;

/**
 * One line on stderr per exhaustion condition, at most one per condition every {@link #INTERVAL_MS}: the TCB pool
 * full, the listen backlog full, a SYN flood answered with cookies, the mbuf pool empty, the port's RX ring overrun,
 * the TX queue full, the buffer budget spent (issue 10: "the stack keeps serving others and says why in counters and
 * in one log line per condition, rate-limited"). Each condition is a counter that only grows, summed over the cores
 * ({@code core<N>.<suffix>}) or read as is; a line reports how much it grew since the condition's last line and
 * what to change. Sampled by the gauges thread once a second, never by a poll thread.
 *
 * <p>As Linux's "Possible SYN flooding on port N. Sending cookies." and "TCP: out of memory -- consider tuning
 * tcp_mem": the operator learns of the condition from the log without watching counters.
 */
final class PressureLog {
    static final long INTERVAL_MS = 10_000;

    /** Counter suffix (after {@code core<N>.}, or the whole label), what it means, what to change. */
    static final String[][] CONDITIONS = {
        {"tcp.drop_no_tcb_slot", "TCB pool full: connections refused", "raise --max-connections"},
        {"tcp.drop_backlog_full", "listen backlog full: handshakes dropped", "the application accepts too slowly"},
        {"tcp.syn_cookies_sent", "SYN queue full (possible SYN flood): answered with SYN cookies",
            "no action needed if legitimate clients still connect"},
        {"drop.mbuf_exhausted", "mbuf pool empty: frames dropped", "raise --mem"},
        {"port.rx_nombuf", "port had no mbuf for received frames", "raise --mem"},
        {"port.rx_missed", "port RX ring overrun: frames dropped before the poll thread read them",
            "the core is saturated: add --cores"},
        {"port.kernel_rx_dropped", "the kernel dropped frames on their way to the port's interface",
            "bursts beyond its per-CPU backlog: raise net.core.netdev_max_backlog"},
        {"drop.tx_queue_full", "TX queue full: frames dropped", "the port is saturated"},
        {"tcp.buffers_budget_spent", "buffer budget spent: windows held at their initial size",
            "raise --buffer-budget-mb"},
        {"tcp.drop_rst_queue_full", "RST queue full: resets not sent", "a burst of invalid segments (scan or flood)"},
    };

    private final CountersReader counters;
    private final PrintStream out;
    private final long[] reported;
    private final long[] lastLineMs;
    private final long[] sums;

    PressureLog(final CountersReader counters, final PrintStream out) {
        this.counters = counters;
        this.out = out;
        reported = new long[CONDITIONS.length];
        lastLineMs = new long[CONDITIONS.length];
        sums = new long[CONDITIONS.length];
        total(sums);
        System.arraycopy(sums, 0, reported, 0, sums.length); // what happened before the first sample is not news
        java.util.Arrays.fill(lastLineMs, Long.MIN_VALUE / 2);
    }

    /** Reads every condition's counter and prints the conditions that grew and have been quiet long enough. */
    void sample(final long nowMs) {
        total(sums);
        for (int i = 0; i < CONDITIONS.length; i++) {
            final long grew = sums[i] - reported[i];
            if (grew > 0 && nowMs - lastLineMs[i] >= INTERVAL_MS) {
                out.println("strait: " + CONDITIONS[i][1] + ": " + grew + " (" + CONDITIONS[i][0] + " now "
                    + sums[i] + "); " + CONDITIONS[i][2]);
                reported[i] = sums[i];
                lastLineMs[i] = nowMs;
            } else if (grew < 0) {
                reported[i] = sums[i]; // a counter that went back (a gauge reset by the driver): start over
            }
        }
    }

    /** Each condition's value: its counters summed over the cores, read in one pass over the counters file. */
    private void total(final long[] into) {
        java.util.Arrays.fill(into, 0);
        counters.forEach((id, label) -> {
            for (int i = 0; i < CONDITIONS.length; i++) {
                if (matches(label, CONDITIONS[i][0])) {
                    into[i] += counters.getCounterValue(id);
                    return;
                }
            }
        });
    }

    /** {@code label} is {@code suffix} itself or {@code core<N>.suffix}. */
    static boolean matches(final String label, final String suffix) {
        if (label.equals(suffix)) {
            return true;
        }
        if (!label.startsWith("core") || !label.endsWith(suffix)) {
            return false;
        }
        final int dot = label.length() - suffix.length() - 1;
        if (dot <= 4 || label.charAt(dot) != '.') {
            return false;
        }
        for (int k = 4; k < dot; k++) {
            if (!Character.isDigit(label.charAt(k))) {
                return false;
            }
        }
        return true;
    }
}
