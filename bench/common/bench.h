/* SPDX-License-Identifier: MIT */
/*
 * Helpers every benchmark of bench/ shares: pinning the calling thread to a CPU, sleeping
 * for a number of nanoseconds, and the comparison qsort needs to take medians of doubles.
 * Time itself comes from pvpci_now_ns() (include/pvpci/base.h).
 */
#ifndef PVPCI_BENCH_H
#define PVPCI_BENCH_H

/* Pins the calling thread to cpu (nothing on a one-CPU machine). */
void bench_pin(int cpu);
/* Sleeps ns nanoseconds. */
void bench_pause_ns(long ns);
/* qsort comparison of two doubles, ascending. */
int bench_cmp_double(const void *a, const void *b);

#endif
