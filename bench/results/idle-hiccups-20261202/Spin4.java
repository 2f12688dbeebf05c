public class Spin4 {
    public static void main(String[] a) throws Exception {
        int pages = Integer.parseInt(a[0]);
        byte[] mem = new byte[Math.max(1, pages) * 4096];
        long warm = System.nanoTime() + 5_000_000_000L;
        int k = 0, x = 0;
        while (System.nanoTime() < warm) { if (pages > 0) { mem[k] ^= 1; k += 4096; if (k >= mem.length) k = 0; } }
        long end = System.nanoTime() + 20_000_000_000L, last = System.nanoTime(), max = 0, o100 = 0, o1 = 0;
        for (;;) {
            long t = System.nanoTime(), gap = t - last;
            if (gap > 100_000) o100++;
            if (gap > 1_000_000) o1++;
            if (gap > max) max = gap;
            last = t;
            if (pages > 0) { mem[k] ^= 1; k += 4096; if (k >= mem.length) k = 0; }
            Thread.onSpinWait();
            if (t > end) break;
        }
        System.out.printf("java loop touching %d pages round-robin, 20 s: gaps over 100 us %d, over 1 ms %d, longest %.3f ms%n", pages, o100, o1, max / 1e6);
    }
}
