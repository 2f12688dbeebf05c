public class Spin2 {
    public static void main(String[] a) throws Exception {
        long warm = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < warm) { Thread.onSpinWait(); }
        long end = System.nanoTime() + 20_000_000_000L, last = System.nanoTime(), max = 0, o100 = 0, o1 = 0;
        for (;;) {
            long t = System.nanoTime(), gap = t - last;
            if (gap > 100_000) o100++;
            if (gap > 1_000_000) o1++;
            if (gap > max) max = gap;
            last = t;
            Thread.onSpinWait();
            if (t > end) break;
        }
        System.out.printf("java main on CPU 1, others on CPU 0, 20 s: gaps over 100 us %d, over 1 ms %d, longest %.3f ms%n", o100, o1, max / 1e6);
    }
}
