/* Scheduling-error samples: collected cheaply during a run (an append to
 * a growable array), sorted once at the end for the percentiles. */
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>

#define STATS_FIRST_CAP 64

int stats_add(struct stats *s, int64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : STATS_FIRST_CAP;
		int64_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ns;
	s->sorted = 0;
	return 0;
}

static int compare_samples(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t stats_percentile(struct stats *s, double p)
{
	size_t rank;

	if (s->n == 0)
		return 0;
	if (!s->sorted) {
		qsort(s->v, s->n, sizeof(s->v[0]), compare_samples);
		s->sorted = 1;
	}
	if (p <= 0)
		return s->v[0];
	if (p >= 100)
		return s->v[s->n - 1];
	/* Nearest rank: ceil(p / 100 * n), counted from 1. The small
	 * epsilon keeps 50 % of 10 at rank 5 despite rounding. */
	rank = (size_t)(p / 100.0 * (double)s->n - 1e-9) + 1;
	if (rank > s->n)
		rank = s->n;
	return s->v[rank - 1];
}

int stats_format(struct stats *s, const struct stats_usage *u, char *buf,
		 size_t len)
{
	return snprintf(buf, len,
			"stats: events %zu, sched error p50 %.1f us, "
			"p99 %.1f us, max %.1f us, cpu %.1f ms, wall %.1f ms, "
			"maxrss %ld KiB",
			s->n, (double)stats_percentile(s, 50) / 1e3,
			(double)stats_percentile(s, 99) / 1e3,
			(double)stats_percentile(s, 100) / 1e3,
			(double)u->cpu_ns / 1e6, (double)u->wall_ns / 1e6,
			u->maxrss_kib);
}

void stats_print_samples(FILE *f, const struct stats *s)
{
	fputs("stats: sched errors us:", f);
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, " %.1f", (double)s->v[i] / 1e3);
	fputc('\n', f);
}

void stats_free(struct stats *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
