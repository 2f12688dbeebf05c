import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
import java.util.function.IntUnaryOperator;

/**
 * A busy loop that counts the gaps between its iterations over 20 s (after 5 s of warm-up), with one of the bodies
 * the idle-hiccup runs compared: `java Spin.java plain`, `ffm [critical]` (an FFM downcall to abs per iteration),
 * `pages N` (touches N pages round-robin). (Was Spin2, Spin3 and Spin4.)
 */
public class Spin {
    public static void main(String[] a) throws Throwable {
        final String mode = a.length > 0 ? a[0] : "plain";
        final IntUnaryOperator step;
        final String what;
        switch (mode) {
            case "ffm" -> {
                final boolean critical = a.length > 1 && a[1].equals("critical");
                final Linker linker = Linker.nativeLinker();
                final MemorySegment abs = linker.defaultLookup().find("abs").orElseThrow();
                final FunctionDescriptor fd = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
                final MethodHandle h = critical ? linker.downcallHandle(abs, fd, Linker.Option.critical(false))
                    : linker.downcallHandle(abs, fd);
                step = x -> {
                    try {
                        return x + (int) h.invokeExact(-1);
                    } catch (Throwable e) {
                        throw new IllegalStateException(e);
                    }
                };
                what = "java + FFM downcall (critical=" + critical + ") per iteration";
            }
            case "pages" -> {
                final int pages = Integer.parseInt(a[1]);
                final byte[] mem = new byte[Math.max(1, pages) * 4096];
                final int[] k = {0};
                step = x -> {
                    if (pages > 0) {
                        mem[k[0]] ^= 1;
                        k[0] += 4096;
                        if (k[0] >= mem.length) {
                            k[0] = 0;
                        }
                    }
                    Thread.onSpinWait();
                    return x;
                };
                what = "java loop touching " + pages + " pages round-robin";
            }
            default -> {
                step = x -> {
                    Thread.onSpinWait();
                    return x;
                };
                what = "java main on CPU 1, others on CPU 0";
            }
        }
        int x = 0;
        final long warm = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < warm) {
            x = step.applyAsInt(x);
        }
        long end = System.nanoTime() + 20_000_000_000L, last = System.nanoTime(), max = 0, o100 = 0, o1 = 0;
        for (;;) {
            long t = System.nanoTime(), gap = t - last;
            if (gap > 100_000) o100++;
            if (gap > 1_000_000) o1++;
            if (gap > max) max = gap;
            last = t;
            x = step.applyAsInt(x);
            if (t > end) break;
        }
        System.out.printf("%s, 20 s: gaps over 100 us %d, over 1 ms %d, longest %.3f ms (%d)%n", what, o100, o1,
            max / 1e6, x & 1);
    }
}
