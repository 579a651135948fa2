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

/* A segment's text as the fields of one kind each, in the order a script
 * line writes them: IP fields, flags, seq:end(len), ack, win, urg,
 * options. */
enum seg_field { SF_IP, SF_FLAGS, SF_SEQ, SF_ACK, SF_WIN, SF_URG, SF_OPTS,
		 SF_COUNT };

struct seg_fields {
	char text[SF_COUNT][DIAG_TEXT_MAX];
};

/* Split text into s; false if it has a word no field takes (then it is
 * printed as it is). */
static bool seg_split(const char *text, struct seg_fields *s)
{
	const char *p = text;
	int next = SF_IP;

	memset(s, 0, sizeof(*s));
	while (*p) {
		const char *end;
		int k;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p == '<' || *p == '[' || (*p == '(' && next == SF_IP)) {
			char close = *p == '<' ? '>' : *p == '[' ? ']' : ')';

			end = strchr(p, close);
			end = end ? end + 1 : p + strlen(p);
			k = *p == '<' ? SF_OPTS : SF_IP;
		} else if (!strncmp(p, "ack ", 4) || !strncmp(p, "win ", 4) ||
			   !strncmp(p, "urg ", 4)) {
			end = strchr(p + 4, ' ');
			end = end ? end : p + strlen(p);
			k = *p == 'a' ? SF_ACK : *p == 'w' ? SF_WIN : SF_URG;
		} else {
			end = strchr(p, ' ');
			end = end ? end : p + strlen(p);
			k = next <= SF_FLAGS ? SF_FLAGS : SF_SEQ;
		}
		if (k < next || s->text[k][0] ||
		    (size_t)(end - p) >= sizeof(s->text[k]))
			return false;
		memcpy(s->text[k], p, (size_t)(end - p));
		next = k + 1;
		p = end;
	}
	return true;
}

/* The option lists item by item when they have as many items, so that
 * one option that differs is marked alone; else as one field. */
static void pair_options(struct diag *d, const char *a, const char *b)
{
	char ca[DIAG_TEXT_MAX], cb[DIAG_TEXT_MAX];
	char *sa, *sb, *ia, *ib;
	size_t na = 1, nb = 1;

	for (const char *q = a; *q; q++)
		na += *q == ',';
	for (const char *q = b; *q; q++)
		nb += *q == ',';
	if (!*a || !*b || na != nb) {
		diag_pair_add(d, a, b, strcmp(a, b) != 0, false);
		return;
	}
	snprintf(ca, sizeof(ca), "%s", a);
	snprintf(cb, sizeof(cb), "%s", b);
	ia = strtok_r(ca, ",", &sa);
	ib = strtok_r(cb, ",", &sb);
	while (ia && ib) {
		char fa[DIAG_TEXT_MAX], fb[DIAG_TEXT_MAX];
		char *na2 = strtok_r(NULL, ",", &sa);
		char *nb2 = strtok_r(NULL, ",", &sb);
		bool last = !na2 || !nb2;

		snprintf(fa, sizeof(fa), "%s%s", ia, last ? "" : ",");
		snprintf(fb, sizeof(fb), "%s%s", ib, last ? "" : ",");
		diag_pair_add(d, fa, fb, strcmp(ia, ib) != 0, !last);
		ia = na2;
		ib = nb2;
	}
}

/* Two segments that differ, under each other field by field, with the
 * differing fields marked; false when either does not split. */
static bool align_segments(const char *a, const char *b, char *out_a,
			   char *out_b, char *marks, size_t len)
{
	static struct seg_fields sa, sb;
	struct diag d = {0};

	if (!seg_split(a, &sa) || !seg_split(b, &sb))
		return false;
	diag_set(&d, EXIT_FAIL, NULL, "--compare");
	diag_pair_begin(&d);
	for (int k = 0; k < SF_COUNT; k++) {
		if (!sa.text[k][0] && !sb.text[k][0])
			continue;
		if (k == SF_OPTS)
			pair_options(&d, sa.text[k], sb.text[k]);
		else
			diag_pair_add(&d, sa.text[k], sb.text[k],
				      strcmp(sa.text[k], sb.text[k]) != 0,
				      false);
	}
	if (d.columns <= 0)
		return false;
	diag_pair_align(&d, out_a, out_b, marks, len);
	return true;
}

/* Steps agree when they are the same kind of step with the same text and
 * leave the stack in the same state; times are each stack's own. */
static bool same_step(const struct step *a, const struct step *b)
{
	return !strcmp(a->f[0], b->f[0]) && !strcmp(a->f[1], b->f[1]) &&
	       !strcmp(a->f[3], b->f[3]) && !strcmp(a->f[4], b->f[4]) &&
	       !strcmp(a->f[5], b->f[5]);
}

/* Step i where both runs sent (or were sent) a segment and the two
 * differ: the segments aligned and the fields that differ marked. */
static bool print_segments(const struct record *ra, const struct record *rb,
			   size_t i, int width)
{
	static char ta[2 * DIAG_TEXT_MAX], tb[2 * DIAG_TEXT_MAX],
		marks[2 * DIAG_TEXT_MAX];
	const struct step *a, *b;
	char pa[128], pb[128];
	int la, lb, w;

	if (i >= ra->count || i >= rb->count)
		return false;
	a = &ra->steps[i];
	b = &rb->steps[i];
	if (a->f[4][0] || b->f[4][0] || strcmp(a->f[0], b->f[0]) ||
	    !strcmp(arrow(a->f[0]), "   ") ||
	    !align_segments(a->f[3], b->f[3], ta, tb, marks, sizeof(ta)))
		return false;
	la = snprintf(pa, sizeof(pa), "  %-*s  %3zu. %10s s  %-12s %s ",
		      width, ra->stack, i + 1, a->f[2], a->f[1],
		      arrow(a->f[0]));
	lb = snprintf(pb, sizeof(pb), "  %-*s  %3zu. %10s s  %-12s %s ",
		      width, rb->stack, i + 1, b->f[2], b->f[1],
		      arrow(b->f[0]));
	w = la > lb ? la : lb;
	printf("%-*s%s\n%-*s%s\n", w, pa, ta, w, pb, tb);
	if (marks[0])
		printf("%*s%s\n", w, "", marks);
	return true;
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
	if (!print_segments(&ra, &rb, i, width)) {
		print_step(&ra, i, width);
		print_step(&rb, i, width);
	}
	status = EXIT_FAIL;
out:
	fflush(stdout);
	record_free(&ra);
	record_free(&rb);
	free(a);
	return status;
}
