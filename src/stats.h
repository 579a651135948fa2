/* Samples of tcpcheck's own scheduling error and their percentiles, for
 * the one-line --stats summary of a run. */
#ifndef TCPCHECK_STATS_H
#define TCPCHECK_STATS_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* A growable array of nanosecond samples; zero-initialised is empty. */
struct stats {
	int64_t *v;
	size_t n, cap;
	int sorted;
};

/* Add a sample; returns -1 when out of memory, and the sample is simply
 * not counted: statistics never fail a run. */
int stats_add(struct stats *s, int64_t ns);

/* The p-th percentile (0 <= p <= 100) by nearest rank: the smallest
 * sample with at least p % of the samples at or below it; 0 when there
 * are none. Sorts the samples the first time. */
int64_t stats_percentile(struct stats *s, double p);

/* What the rest of a run cost, for the summary line. */
struct stats_usage {
	int64_t cpu_ns;  /* user + system, the run and its commands */
	int64_t wall_ns; /* from set-up to the end */
	long maxrss_kib; /* peak resident set of the run process */
};

/* The summary line, without a newline:
 * "stats: events N, sched error p50 X us, p99 Y us, max Z us,
 *  cpu U ms, wall W ms, maxrss R KiB". Returns what snprintf does. */
int stats_format(struct stats *s, const struct stats_usage *u, char *buf,
		 size_t len);

/* Every sample, in microseconds, on one line: "stats: sched errors us:
 * X Y ...", in the order they were added unless a percentile was taken
 * (which sorts them). For pooling runs (scripts/bench). */
void stats_print_samples(FILE *f, const struct stats *s);

void stats_free(struct stats *s);

#endif
