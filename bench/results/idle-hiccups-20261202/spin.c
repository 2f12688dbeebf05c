// A C busy loop's own hiccups: reads CLOCK_MONOTONIC in a loop for N seconds on the CPU it is pinned to and counts
// gaps between consecutive reads over 100 us and over 1 ms, with the longest. What it sees, no JVM and no Strait
// can avoid: the kernel's and the hypervisor's interruptions of that CPU.
// gcc -O2 -o spin spin.c && taskset -c 1 ./spin 20
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    const long long seconds = argc > 1 ? atoll(argv[1]) : 20;
    const long long end = now() + seconds * 1000000000LL;
    long long last = now(), max = 0, over100us = 0, over1ms = 0, total1ms = 0;
    for (;;) {
        const long long t = now();
        const long long gap = t - last;
        if (gap > 100000) over100us++;
        if (gap > 1000000) { over1ms++; total1ms += gap; }
        if (gap > max) max = gap;
        last = t;
        if (t > end) break;
    }
    printf("%llds: gaps over 100 us %lld, over 1 ms %lld (%.1f ms in all), longest %.3f ms\n", seconds, over100us,
           over1ms, total1ms / 1e6, max / 1e6);
    return 0;
}
