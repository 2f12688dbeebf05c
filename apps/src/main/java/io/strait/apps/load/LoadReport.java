package io.strait.apps.load;

import org.HdrHistogram.Histogram;

import java.util.Locale;

/** The final report of {@code strait load}: totals and latency percentiles, as text or JSON. */
public final class LoadReport {
    public static final int REQUESTS = 0;
    public static final int ERRORS = 1;

    private final String app;
    private final String target;
    private final int connections;
    private final double rate;
    private final int size;
    private final Histogram latency = new Histogram(1, 120_000_000_000L, 3);
    private long requests;
    private long errors;
    private long connectFailures;
    private long bytesIn;
    private long bytesOut;
    private double seconds;

    public LoadReport(String app, String target, int connections, double rate, int size) {
        this.app = app;
        this.target = target;
        this.connections = connections;
        this.rate = rate;
        this.size = size;
    }

    /** Live sums of the generators' counters (any thread). */
    public static long sum(LoadGenerator[] generators, int which) {
        long total = 0;
        for (LoadGenerator g : generators) {
            if (g != null) {
                total += which == REQUESTS ? g.requests.get() : g.errors.get() + g.connectFailures.get();
            }
        }
        return total;
    }

    /**
     * True when the target refuses outright (any thread, live): at least {@code connections} active opens were
     * refused, so each connection's first attempt was, and none was ever accepted. Nothing listens there; counting
     * further refusals as errors would only hide that.
     */
    public static boolean refusedOutright(LoadGenerator[] generators, int connections) {
        long refused = 0;
        for (LoadGenerator g : generators) {
            refused += g == null ? 0 : g.refused.get();
        }
        long opened = 0; // read after the refusals: both only grow, so "none opened" holds for the refusals seen
        for (LoadGenerator g : generators) {
            opened += g == null ? 0 : g.opened.get();
        }
        return refusedOutright(refused, opened, connections);
    }

    static boolean refusedOutright(long refused, long opened, int connections) {
        return opened == 0 && refused >= Math.max(1, connections);
    }

    /** After the cores stopped. */
    public void collect(LoadGenerator[] generators, long elapsedNs) {
        for (LoadGenerator g : generators) {
            latency.add(g.histogram);
            requests += g.requests.get();
            errors += g.errors.get();
            connectFailures += g.connectFailures.get();
            bytesIn += g.bytesIn.get();
            bytesOut += g.bytesOut.get();
        }
        seconds = elapsedNs / 1e9;
    }

    public boolean failed() {
        return errors + connectFailures > 0 || requests == 0;
    }

    private double us(double percentile) {
        return latency.getValueAtPercentile(percentile) / 1000.0;
    }

    public String text() {
        return String.format(Locale.ROOT, """
            load: %s against %s, %d connections, %s, %.1f s
              requests      %d (%.0f req/s)
              bytes         in %d (%.1f MB/s), out %d (%.1f MB/s)
              errors        %d (connect failures %d)
              latency (us)  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f""",
            app, target, connections, rate > 0 ? String.format(Locale.ROOT, "open loop at %.0f req/s", rate)
                : "closed loop", seconds, requests, requests / seconds, bytesIn, bytesIn / seconds / 1e6, bytesOut,
            bytesOut / seconds / 1e6, errors, connectFailures, us(50), us(90), us(99), us(99.9),
            latency.getMaxValue() / 1000.0);
    }

    public String json() {
        return String.format(Locale.ROOT, "{\"app\":\"%s\",\"target\":\"%s\",\"connections\":%d,\"rate\":%.1f,"
                + "\"size\":%d,\"seconds\":%.3f,\"requests\":%d,\"requests_per_second\":%.1f,\"bytes_in\":%d,"
                + "\"bytes_out\":%d,\"bytes_in_per_second\":%.1f,\"errors\":%d,\"connect_failures\":%d,"
                + "\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p99_9\":%.1f,\"max\":%.1f}}",
            app, target, connections, rate, size, seconds, requests, requests / seconds, bytesIn, bytesOut,
            bytesIn / seconds, errors, connectFailures, us(50), us(90), us(99), us(99.9),
            latency.getMaxValue() / 1000.0);
    }
}
