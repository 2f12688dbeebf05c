package io.strait.tcp;

/**
 * The engine's only source of randomness: ISN secret (RFC 6528), ephemeral port secret (RFC 6056) and SYN-cookie
 * secrets (RFC 4987). The engine never reads a random source itself, so a seeded source makes a run reproducible.
 * Called only on the engine's thread, rarely (at construction and at cookie secret rotation).
 */
@FunctionalInterface
public interface EntropySource {
    long nextLong();

    /** A deterministic source for tests and simulations (SplitMix64). */
    static EntropySource seeded(final long seed) {
        final long[] state = {seed};
        return () -> {
            long z = (state[0] += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        };
    }
}
