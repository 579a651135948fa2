/* --compare=A,B: one script on two stacks, and where their runs part. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "diag.h"

#define COMPARE_FIELDS 6

/* One step of a run's record (diagram_write_record's line). */
struct step {
	char *line; /* owns the fields */
	const char *f[COMPARE_FIELDS]; /* kind, state, time, text, exp, act */
};

struct record {
	const char *stack;
	int status;
	struct step *steps;
	size_t count;
};

static void record_free(struct record *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->steps[i].line);
	free(r->steps);
}

static int read_record(FILE *f, struct record *r)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	rewind(f);
	while ((n = getline(&line, &cap, f)) > 0) {
		struct step *s;
		char *p = line;
		struct step *grown;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		grown = realloc(r->steps, (r->count + 1) * sizeof(*grown));
		if (!grown)
			break;
		r->steps = grown;
		s = &r->steps[r->count++];
		s->line = line;
		for (int i = 0; i < COMPARE_FIELDS; i++) {
			char *tab = p ? strchr(p, '\t') : NULL;

			s->f[i] = p ? p : "";
			if (tab)
				*tab = '\0';
			p = tab ? tab + 1 : NULL;
		}
		line = NULL;
		cap = 0;
	}
	free(line);
	return ferror(f) ? -1 : 0;
}

static int run_on(const char *path, const char *stack,
		  const struct check_params *p, struct record *r)
{
	struct check_params q = *p;
	struct cli_option *opts =
		calloc(p->option_count + 1, sizeof(*opts));
	FILE *f = tmpfile();
	int rc = 0;

	r->stack = stack;
	if (!opts || !f) {
		fprintf(stderr, "tcpcheck: --compare: %s\n",
			strerror(errno ? errno : ENOMEM));
		free(opts);
		if (f)
			fclose(f);
		return -1;
	}
	memcpy(opts, p->options, p->option_count * sizeof(*opts));
	opts[p->option_count].name = "stack";
	opts[p->option_count].value = stack;
	q.options = opts;
	q.option_count = p->option_count + 1;
	q.record = f;
	q.diagram_text = false;
	q.diagram_off = true;
	printf("== %s on %s\n", path, stack);
	fflush(stdout);
	r->status = check_script(path, &q);
	printf("== %s on %s: %s\n", path, stack,
	       r->status == EXIT_PASS   ? "pass"
	       : r->status == EXIT_FAIL ? "fail (above)"
				       : "error (above)");
	fflush(stdout);
	if (read_record(f, r))
		rc = -1;
	fclose(f);
	free(opts);
	return rc;
}

static const char *arrow(const char *kind)
{
	return !strcmp(kind, "out") ? "-->" : !strcmp(kind, "in") ? "<--" : "   ";
}

static void print_step(const struct record *r, size_t i, int width)
{
	const struct step *s;

	if (i >= r->count) {
		printf("  %-*s  (no step %zu: the run %s)\n", width, r->stack,
		       i + 1, r->status == EXIT_PASS ? "ended" : "stopped");
		return;
	}
	s = &r->steps[i];
	if (s->f[4][0]) {
		printf("  %-*s  %3zu. %10s s  %-12s failed: expected %s\n",
		       width, r->stack, i + 1, s->f[2], s->f[1], s->f[4]);
		printf("  %-*s  %*s actual   %s\n", width, "", 32, "",
		       s->f[5]);
		return;
	}
	printf("  %-*s  %3zu. %10s s  %-12s %s %s\n", width, r->stack, i + 1,
	       s->f[2], s->f[1], arrow(s->f[0]), s->f[3]);
}

/* Steps agree when they are the same kind of step with the same text and
 * leave the stack in the same state; times are each stack's own. */
static bool same_step(const struct step *a, const struct step *b)
{
	return !strcmp(a->f[0], b->f[0]) && !strcmp(a->f[1], b->f[1]) &&
	       !strcmp(a->f[3], b->f[3]) && !strcmp(a->f[4], b->f[4]) &&
	       !strcmp(a->f[5], b->f[5]);
}

int check_compare(const char *path, const char *stacks,
		  const struct check_params *p)
{
	const char *comma = strchr(stacks, ',');
	char *a = comma ? strndup(stacks, (size_t)(comma - stacks)) : NULL;
	const char *b = comma ? comma + 1 : NULL;
	struct record ra = {0}, rb = {0};
	size_t i, n;
	int width, status;

	if (!a || !*a || !*b || strchr(b, ',')) {
		fprintf(stderr,
			"tcpcheck: --compare wants two stacks, A,B (kernel "
			"or a plugin), got '%s'\n",
			stacks);
		free(a);
		return EXIT_USAGE;
	}
	if (run_on(path, a, p, &ra) || run_on(path, b, p, &rb)) {
		status = EXIT_INTERNAL;
		goto out;
	}
	/* A run that did not get to run the script has nothing to set
	 * beside the other's. */
	for (int k = 0; k < 2; k++) {
		const struct record *r = k ? &rb : &ra;

		if (r->status != EXIT_PASS && r->status != EXIT_FAIL) {
			printf("%s: cannot compare %s and %s: the run on %s "
			       "ended with exit status %d (above)\n",
			       path, a, b, r->stack, r->status);
			status = r->status;
			goto out;
		}
	}
	width = (int)(strlen(a) > strlen(b) ? strlen(a) : strlen(b));
	n = ra.count > rb.count ? ra.count : rb.count;
	for (i = 0; i < n; i++)
		if (i >= ra.count || i >= rb.count ||
		    !same_step(&ra.steps[i], &rb.steps[i]))
			break;
	if (i == n && ra.status == rb.status) {
		printf("%s: %s and %s agree on all %zu steps (segments sent, "
		       "states after each step)\n",
		       path, a, b, n);
		status = EXIT_PASS;
		goto out;
	}
	printf("%s: %s and %s first differ at step %zu:\n", path, a, b,
	       i + 1);
	if (i > 0) {
		print_step(&ra, i - 1, width);
		printf("  %-*s  (step %zu: the same on both)\n", width, "", i);
	}
	print_step(&ra, i, width);
	print_step(&rb, i, width);
	status = EXIT_FAIL;
out:
	fflush(stdout);
	record_free(&ra);
	record_free(&rb);
	free(a);
	return status;
}
