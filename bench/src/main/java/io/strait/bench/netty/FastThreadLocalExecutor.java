package io.strait.bench.netty;

import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * JMH's benchmark threads as Netty's {@code FastThreadLocalThread}s ({@code -Djmh.executor=CUSTOM}), as a Netty event
 * loop's thread is: Netty 4.2 pools its {@code Recycler} objects (outbound-buffer entries, pooled buffer objects)
 * and the allocator's thread caches only on such threads, so on JMH's plain threads every write would allocate what
 * an event loop recycles.
 */
public final class FastThreadLocalExecutor extends ThreadPoolExecutor {
    /** The constructor JMH's CUSTOM executor calls. */
    public FastThreadLocalExecutor(int maxThreads, String prefix) {
        super(maxThreads, maxThreads, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(),
            new DefaultThreadFactory(prefix, true));
    }
}
