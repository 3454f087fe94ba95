/* SPDX-License-Identifier: MIT */
/*
 * The helpers of bench.h: CPU pinning, a nanosecond sleep and the double comparison used
 * for medians, once for every benchmark.
 */
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

void bench_pin(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

void bench_pause_ns(long ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };

	nanosleep(&ts, NULL);
}

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}
