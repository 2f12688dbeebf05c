package io.strait.apps.api;

import io.strait.dataplane.NetAgent;
import io.strait.tcp.TcpEngine;

/**
 * Benchmarks only, not part of the API: a {@link StraitCore} over a {@link NetAgent} the benchmark built over an
 * in-memory port (no {@code Dataplane}, no DPDK), wired as {@code Strait.Builder.start} wires each core. It sits in
 * the API's package for the core's package-private constructor.
 */
public final class BenchCores {
    private BenchCores() {
    }

    /** Core {@code index} over {@code engine}, fed by {@code agent} (whose duty cycle the caller runs). */
    public static StraitCore over(int index, TcpEngine engine, NetAgent agent) {
        final StraitCore core = new StraitCore(index, engine, agent);
        agent.transport(core.transport());
        return core;
    }
}
