package io.strait.dataplane;

/**
 * {@code --impair SPEC} of CONTRACT.md: a comma list of {@code loss=P}, {@code dup=P}, {@code reorder=P},
 * {@code corrupt=P} (probabilities 0..1), {@code delay=MS}, {@code seed=N}.
 */
public record ImpairSpec(double loss, double dup, double reorder, double corrupt, long delayNs, long seed) {
    /** Parses SPEC; throws IllegalArgumentException with one clear line. */
    public static ImpairSpec parse(String spec) {
        double loss = 0;
        double dup = 0;
        double reorder = 0;
        double corrupt = 0;
        long delayNs = 0;
        long seed = 1;
        for (String part : spec.split(",")) {
            final int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--impair: '" + part + "' is not NAME=VALUE (loss, dup, reorder, "
                    + "corrupt, delay, seed)");
            }
            final String name = part.substring(0, eq).trim();
            final String value = part.substring(eq + 1).trim();
            try {
                switch (name) {
                    case "loss" -> loss = probability(name, value);
                    case "dup" -> dup = probability(name, value);
                    case "reorder" -> reorder = probability(name, value);
                    case "corrupt" -> corrupt = probability(name, value);
                    case "delay" -> {
                        final double ms = Double.parseDouble(value);
                        if (ms < 0 || ms > 10_000) {
                            throw new IllegalArgumentException("--impair: 'delay=" + value + "' must be 0..10000 ms");
                        }
                        delayNs = (long) (ms * 1_000_000);
                    }
                    case "seed" -> seed = Long.parseLong(value);
                    default -> throw new IllegalArgumentException("--impair: unknown '" + name
                        + "' (loss, dup, reorder, corrupt, delay, seed)");
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--impair: '" + part + "' has no valid number");
            }
        }
        return new ImpairSpec(loss, dup, reorder, corrupt, delayNs, seed);
    }

    private static double probability(String name, String value) {
        final double p = Double.parseDouble(value);
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("--impair: '" + name + "=" + value + "' must be 0..1");
        }
        return p;
    }
}
