/*
 * The machine's own interruptions, as a busy-polling thread sees them: a loop that reads the TSC back to back on
 * one CPU and counts every step longer than a threshold (the CPU was taken away: a host preemption of the vCPU, an
 * interrupt, a timer tick). Nothing else runs in the loop, so what it sees bounds from below the tail of any
 * busy-polling program on that CPU, C or Java: a ping-pong whose round trip is hit by one of these takes at least
 * as long as the stop.
 *
 *   strait-stops SECONDS          prints one line:
 *   stops seconds=S over_5us_per_s=.. over_10us_per_s=.. over_30us_per_s=.. over_100us_per_s=..
 *         mean_over_5us_us=.. max_us=.. lost_pct=..
 *
 * Pin it with taskset. The TSC is calibrated against CLOCK_MONOTONIC over the run itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 5.0;
    if (!(seconds > 0 && seconds <= 3600)) {
        fprintf(stderr, "usage: strait-stops SECONDS (0 < SECONDS <= 3600)\n");
        return 2;
    }
    /* A first estimate of the TSC rate over 50 ms, to know when to stop; the figures use the run's own rate. */
    double c0 = mono_s();
    uint64_t k0 = __rdtsc();
    while (mono_s() - c0 < 0.05) {
    }
    double hz_est = (double)(__rdtsc() - k0) / (mono_s() - c0);
    uint64_t thresholds[4]; /* 5, 10, 30, 100 us in TSC ticks (from the estimate; refined below) */
    const double us[4] = {5, 10, 30, 100};
    for (int i = 0; i < 4; i++) {
        thresholds[i] = (uint64_t)(us[i] * 1e-6 * hz_est);
    }
    uint64_t count[4] = {0, 0, 0, 0};
    uint64_t sum_over5 = 0, max_step = 0;
    double m_start = mono_s();
    uint64_t start = __rdtsc();
    uint64_t end = start + (uint64_t)(seconds * hz_est);
    uint64_t last = start;
    for (;;) {
        uint64_t t = __rdtsc();
        uint64_t d = t - last;
        last = t;
        if (d > thresholds[0]) {
            sum_over5 += d;
            for (int i = 0; i < 4; i++) {
                count[i] += d > thresholds[i];
            }
            if (d > max_step) {
                max_step = d;
            }
        }
        if (t >= end) {
            break;
        }
    }
    double elapsed = mono_s() - m_start;
    double hz = (double)(last - start) / elapsed;
    double per_us = hz * 1e-6;
    printf("stops seconds=%.2f over_5us_per_s=%.0f over_10us_per_s=%.0f over_30us_per_s=%.0f over_100us_per_s=%.0f "
           "mean_over_5us_us=%.1f max_us=%.1f lost_pct=%.2f\n",
           elapsed, count[0] / elapsed, count[1] / elapsed, count[2] / elapsed, count[3] / elapsed,
           count[0] ? (double)sum_over5 / (double)count[0] / per_us : 0.0, (double)max_step / per_us,
           100.0 * (double)sum_over5 / (double)(last - start));
    return 0;
}
