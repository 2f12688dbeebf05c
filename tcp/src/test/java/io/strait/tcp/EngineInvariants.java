package io.strait.tcp;

/** Test support for the simulations in other packages: the first broken engine invariant ({@link Invariants}). */
public final class EngineInvariants {
    private EngineInvariants() {
    }

    /** @return a description of the first violation in any live TCB of {@code engine}, or null */
    public static String violation(final TcpEngine engine) {
        return engine.invariantViolation();
    }
}
