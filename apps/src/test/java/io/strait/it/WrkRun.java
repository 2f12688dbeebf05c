package io.strait.it;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One wrk run's figures, parsed from its {@code --latency} report: completed requests, socket errors (connect, read,
 * write, timeout), non-2xx/3xx answers, and the 50th and 99th latency percentiles in microseconds.
 */
record WrkRun(long requests, long errors, long non2xx, double p50Us, double p99Us, String report) {
    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in ");
    private static final Pattern ERRORS = Pattern.compile(
        "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

    /** Runs wrk in the peer namespace under {@code prefix} (for example {@code taskset -c 0}). */
    static WrkRun run(String prefix, int connections, int seconds, String url) {
        final String cmd = prefix + " wrk -t1 -c" + connections + " -d" + seconds + "s --timeout 2s --latency " + url;
        final Cmd.Result r = Cmd.peer(seconds + 30, "sh", "-c", cmd);
        if (r.exit() != 0) {
            throw new AssertionError("wrk failed: " + r);
        }
        return parse(r.out());
    }

    static WrkRun parse(String out) {
        final Matcher req = REQUESTS.matcher(out);
        if (!req.find()) {
            throw new AssertionError("no request count in wrk's report:\n" + out);
        }
        long errors = 0;
        final Matcher err = ERRORS.matcher(out);
        if (err.find()) {
            for (int g = 1; g <= 4; g++) {
                errors += Long.parseLong(err.group(g));
            }
        }
        final Matcher bad = NON_2XX.matcher(out);
        final long non2xx = bad.find() ? Long.parseLong(bad.group(1)) : 0;
        return new WrkRun(Long.parseLong(req.group(1)), errors, non2xx, percentile(out, "50%"),
            percentile(out, "99%"), out);
    }

    private static double percentile(String out, String label) {
        final Matcher m = Pattern.compile("^\\s+" + label + "\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE)
            .matcher(out);
        if (!m.find()) {
            throw new AssertionError("no " + label + " latency in wrk's report:\n" + out);
        }
        final double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "us" -> v;
            case "ms" -> v * 1e3;
            default -> v * 1e6;
        };
    }

    /** Requests answered 2xx/3xx over requests attempted (answered plus failed), in percent. */
    double successPercent() {
        final long attempted = requests + errors;
        return attempted == 0 ? 0 : 100.0 * (requests - non2xx) / attempted;
    }
}
