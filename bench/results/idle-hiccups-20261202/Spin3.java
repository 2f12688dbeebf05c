import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
public class Spin3 {
    public static void main(String[] a) throws Throwable {
        Linker linker = Linker.nativeLinker();
        boolean critical = a.length > 0 && a[0].equals("critical");
        MethodHandle h = critical
            ? linker.downcallHandle(linker.defaultLookup().find("abs").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), Linker.Option.critical(false))
            : linker.downcallHandle(linker.defaultLookup().find("abs").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        long warm = System.nanoTime() + 5_000_000_000L;
        int x = 0;
        while (System.nanoTime() < warm) { x += (int) h.invokeExact(-1); }
        long end = System.nanoTime() + 20_000_000_000L, last = System.nanoTime(), max = 0, o100 = 0, o1 = 0;
        for (;;) {
            long t = System.nanoTime(), gap = t - last;
            if (gap > 100_000) o100++;
            if (gap > 1_000_000) o1++;
            if (gap > max) max = gap;
            last = t;
            x += (int) h.invokeExact(-1);
            if (t > end) break;
        }
        System.out.printf("java + FFM downcall (critical=%b) per iteration, 20 s: gaps over 100 us %d, over 1 ms %d, longest %.3f ms (%d)%n", critical, o100, o1, max / 1e6, x & 1);
    }
}
