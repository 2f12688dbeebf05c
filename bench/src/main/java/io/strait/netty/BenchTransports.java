package io.strait.netty;

import io.netty.channel.IoHandlerFactory;
import io.strait.apps.api.StraitCore;
import org.agrona.concurrent.Agent;

/**
 * Benchmarks only, not part of the API: Strait's {@link StraitIoHandler}s over cores the benchmark built itself
 * ({@code BenchCores}), so the channels run their real read and write paths over an in-memory port. It sits in the
 * transport's package for {@link StraitTransport}'s package-private constructor.
 */
public final class BenchTransports {
    private BenchTransports() {
    }

    /** Handlers for {@code cores}, the i-th event loop running {@code cycles[i]}'s duty cycle as its I/O. */
    public static IoHandlerFactory factory(StraitCore[] cores, Agent[] cycles) {
        return new StraitTransport(cores, cycles);
    }
}
