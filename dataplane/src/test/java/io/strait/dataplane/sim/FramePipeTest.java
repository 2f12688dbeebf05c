package io.strait.dataplane.sim;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FramePipeTest {
    private static final int FRAMES = 20_000;

    /** Sends FRAMES frames a to b, each numbered in its first 4 bytes; returns the numbers in arrival order. */
    private static int[] sendAll(FramePipe pipe) {
        final long[] bufs = new long[1];
        final long[] addrs = new long[1];
        final int[] lens = new int[1];
        final int[] flags = new int[1];
        final int[] got = new int[FRAMES];
        int n = 0;
        for (int i = 0; i < FRAMES; i++) {
            assertTrue(pipe.a.allocate(bufs, addrs, 1));
            new UnsafeBuffer(addrs[0], 64).putInt(0, i);
            lens[0] = 64;
            assertEquals(1, pipe.a.transmit(bufs, addrs, lens, 1));
            if (i % 2 == 1) { // the receiver lags a frame, so a frame can overtake the one before it
                n = drain(pipe, got, n, bufs, addrs, lens, flags);
            }
        }
        n = drain(pipe, got, n, bufs, addrs, lens, flags);
        return java.util.Arrays.copyOf(got, n);
    }

    private static int drain(FramePipe pipe, int[] got, int n, long[] bufs, long[] addrs, int[] lens, int[] flags) {
        while (pipe.b.receive(bufs, addrs, lens, flags, 1) == 1) {
            got[n++] = new UnsafeBuffer(addrs[0], 64).getInt(0);
            pipe.b.free(bufs, 1);
        }
        return n;
    }

    @Test
    void cleanPipeDeliversEveryFrameInOrder() {
        final FramePipe pipe = new FramePipe(64, 1, 2);
        final int[] got = sendAll(pipe);
        assertEquals(FRAMES, got.length);
        for (int i = 0; i < FRAMES; i++) {
            assertEquals(i, got[i]);
        }
        assertEquals(0, pipe.outstanding());
    }

    @Test
    void impairedPipeLosesAboutItsRateAndGivesLostBuffersBack() {
        final FramePipe pipe = new FramePipe(64, 1, 2);
        pipe.impair(0.05, 0, 42);
        final int[] got = sendAll(pipe);
        assertEquals(FRAMES, got.length + pipe.dropped());
        assertTrue(pipe.dropped() > FRAMES * 0.04 && pipe.dropped() < FRAMES * 0.06, "dropped " + pipe.dropped());
        for (int i = 1; i < got.length; i++) {
            assertTrue(got[i] > got[i - 1], "loss alone keeps the order");
        }
        assertEquals(0, pipe.outstanding(), "a lost frame's buffer is back in the pool");
    }

    @Test
    void reorderingPipeDeliversEveryFrameSomeOutOfOrder() {
        final FramePipe pipe = new FramePipe(64, 1, 2);
        pipe.impair(0, 0.1, 7);
        final int[] got = sendAll(pipe);
        assertEquals(FRAMES, got.length);
        int late = 0;
        for (int i = 1; i < got.length; i++) {
            late += got[i] < got[i - 1] ? 1 : 0;
        }
        assertEquals(pipe.reordered(), late);
        assertTrue(late > FRAMES * 0.02, "reordered " + late);
        assertEquals(FRAMES * (FRAMES - 1L) / 2, java.util.Arrays.stream(got).asLongStream().sum(), "each frame once");
        pipe.impair(0, 0, 0);
        final int[] clean = sendAll(pipe);
        assertEquals(FRAMES, clean.length, "impair(0, 0) ends it");
    }

    @Test
    void rejectsRatesOutsideZeroToOne() {
        final FramePipe pipe = new FramePipe(4, 1, 2);
        assertThrows(IllegalArgumentException.class, () -> pipe.impair(1.0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> pipe.impair(0, -0.1, 1));
        assertThrows(IllegalArgumentException.class, () -> pipe.impair(Double.NaN, 0, 1));
    }
}
