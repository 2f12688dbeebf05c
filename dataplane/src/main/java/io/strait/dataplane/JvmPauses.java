package io.strait.dataplane;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;

/**
 * The JVM's own stops, sampled once a second by a daemon thread (never a poll thread) and published as counters
 * beside each core's hiccup figures ({@link CycleRecorder}): GC collections and their time, and, where the JVM
 * exposes them ({@code sun.management}, exported by Strait's JVM flags), safepoints and the time threads were held
 * at them. A stall of a poll thread in the same second as a safepoint or a GC is most likely that stop.
 */
final class JvmPauses implements AutoCloseable {
    private final AtomicCounter gcCount;
    private final AtomicCounter gcMs;
    private final AtomicCounter safepoints;
    private final AtomicCounter safepointMs;
    private final Object runtime;
    private final Method safepointCount;
    private final Method safepointTime;
    private final Thread thread;
    private volatile boolean running = true;

    JvmPauses(CountersManager m) {
        gcCount = m.newCounter("jvm.gc_collections");
        gcMs = m.newCounter("jvm.gc_ms");
        safepoints = m.newCounter("jvm.safepoints");
        safepointMs = m.newCounter("jvm.safepoint_ms");
        Object rt = null;
        Method count = null;
        Method time = null;
        try {
            final Class<?> helper = Class.forName("sun.management.ManagementFactoryHelper");
            rt = helper.getMethod("getHotspotRuntimeMBean").invoke(null);
            count = rt.getClass().getMethod("getSafepointCount");
            time = rt.getClass().getMethod("getTotalSafepointTime");
            count.setAccessible(true);
            time.setAccessible(true);
            count.invoke(rt);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            rt = null; // not exported to us: GC figures only
        }
        runtime = rt;
        safepointCount = count;
        safepointTime = time;
        thread = new Thread(this::run, "strait-jvm-pauses");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            sample();
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    void sample() {
        long n = 0;
        long ms = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
            ms += Math.max(0, gc.getCollectionTime());
        }
        gcCount.setRelease(n);
        gcMs.setRelease(ms);
        if (runtime != null) {
            try {
                safepoints.setRelease((Long) safepointCount.invoke(runtime));
                safepointMs.setRelease((Long) safepointTime.invoke(runtime));
            } catch (ReflectiveOperationException | RuntimeException e) {
                // leave the last values
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        sample();
    }
}
