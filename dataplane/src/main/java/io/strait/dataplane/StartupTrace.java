package io.strait.dataplane;

/**
 * Where start-up time goes, phase by phase, printed on stderr when {@code -Dstrait.trace.startup=true}
 * ({@code STRAIT_TRACE_STARTUP=1} for setup/strait): the JVM's own start (from its start time) and each phase of
 * opening the port.
 */
final class StartupTrace {
    private static final boolean ON = Boolean.getBoolean("strait.trace.startup")
        || "1".equals(System.getenv("STRAIT_TRACE_STARTUP"));
    private final StringBuilder phases = new StringBuilder();
    private long lastNs = System.nanoTime();

    StartupTrace() {
        if (ON) {
            final long sinceJvmStartMs = System.currentTimeMillis()
                - java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
            phases.append("JVM start to Dataplane.open ").append(sinceJvmStartMs).append(" ms");
        }
    }

    void mark(String phase) {
        if (ON) {
            final long now = System.nanoTime();
            phases.append(", ").append(phase).append(' ').append((now - lastNs) / 1_000_000).append(" ms");
            lastNs = now;
        }
    }

    void print() {
        if (ON) {
            System.err.println("strait: start-up: " + phases);
        }
    }
}
