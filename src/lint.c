/* --check: a script's problems, all of them, without running it. The
 * parser and the semantic pass report into a list (diag's all-errors
 * mode); on top, what only a run would find: fds used before a call made
 * them. Nothing is run, so no privilege is needed. */
#include "lint.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "script.h"
#include "syscalls/syscalls.h"
#include "timeline.h"

/* Script fds are tracked below this number; others are taken on trust. */
#define LINT_FD_MAX 1024

/* Where the syntax errors (the records before the semantic pass's) leave
 * the events: skip[i], one lies inside event i, which parsed only in part
 * (a grammar action refused a value); gap[i], text before event i was
 * lost (parsing resumed at it or after the event before), so its fds and
 * time may depend on what was there. */
struct lint_marks {
	bool *skip;
	bool *gap;
	bool lost_before_first;
};

static bool same_place(const struct src_loc *a, const struct src_loc *b)
{
	return a->file == b->file && a->first_line == b->first_line && a->first_col == b->first_col;
}

static bool is_resume(const struct script *s, const struct src_loc *loc)
{
	for (size_t k = 0; k < s->resume_count; k++)
		if (same_place(&s->resumes[k], loc))
			return true;
	return false;
}

/* The event a place falls in (event_count: none); *before: the place is
 * after the event before that one, not in it. Syntax errors and resumes
 * are in the script itself: the events an include brought in do not
 * count. */
static size_t event_at(const struct script *s, const struct src_loc *at,
		       bool *before)
{
	int prev_end = 0;

	*before = false;
	for (size_t i = 0; i < s->event_count; i++) {
		const struct src_loc *ev = &s->events[i]->loc;

		if (ev->file != at->file)
			continue;
		*before = at->first_line > prev_end &&
			  (at->first_line < ev->first_line ||
			   same_place(at, ev));
		if (*before || at->first_line <= ev->last_line)
			return i;
		prev_end = ev->last_line;
	}
	return s->event_count;
}

static void mark_syntax(const struct script *s, const struct diag_list *l,
			size_t syntax, struct lint_marks *m)
{
	bool before;
	size_t i;

	for (size_t k = 0; k < s->resume_count; k++) {
		i = event_at(s, &s->resumes[k], &before);
		if (i < s->event_count)
			m->gap[i] = true;
		else if (!s->event_count)
			m->lost_before_first = true;
	}
	for (size_t r = 0; r < syntax; r++) {
		const struct src_loc *at = &l->items[r].loc;

		if (at->first_line <= 0 || is_resume(s, at))
			continue;
		i = event_at(s, at, &before);
		if (i < s->event_count && !before)
			m->skip[i] = true;
		/* Before the first event, or no event at all: the first
		 * one may be lost. */
		if (i == 0 && (before || !s->event_count))
			m->lost_before_first = true;
	}
	if (s->event_count && (m->gap[0] || m->skip[0]))
		m->lost_before_first = true;
}

/* Settings as a run makes them: the script's lines, then the command
 * line's; every bad one is reported, and the checks go on with the rest. */
static void configure(const struct script *s, const struct check_params *p,
		      struct config *c, struct diag *d)
{
	config_init(c);
	(void)config_apply_script(c, s, d);
	for (size_t i = 0; i < p->option_count; i++)
		(void)config_apply(c, p->options[i].name, p->options[i].value,
				   NULL, d);
	(void)config_finish(c, d);
}

/* The script's fds as a run would map them: how many live fds each number
 * stands for (a number opened twice shadows), and where it was closed. */
struct fd_table {
	int open[LINT_FD_MAX];
	int closed_line[LINT_FD_MAX];
	bool trust; /* lines were lost: any fd may exist */
};

static void use_fd(const struct fd_table *t, int fd,
		   const struct src_loc *loc, struct diag *d)
{
	if (t->trust || fd < 0 || fd >= LINT_FD_MAX || t->open[fd])
		return;
	if (t->closed_line[fd])
		diag_set(d, EXIT_USAGE, loc, "unknown fd %d: closed on line %d",
			 fd, t->closed_line[fd]);
	else
		diag_set(d, EXIT_USAGE, loc,
			 "unknown fd %d: no call before this line returned it",
			 fd);
}

static void make_fd(struct fd_table *t, int fd)
{
	if (fd >= 0 && fd < LINT_FD_MAX)
		t->open[fd]++;
}

/* tcp_state(fd) and tcp_states(fd) need the fd too (run_states.c). */
static bool is_state_call(const struct syscall_spec *sc)
{
	return !strcmp(sc->name, "tcp_state") ||
	       !strcmp(sc->name, "tcp_states");
}

static void track_call(struct fd_table *t, const struct event *ev,
		       bool check_uses, struct diag *d)
{
	const struct syscall_spec *sc = &ev->u.syscall;
	struct syscall_fd_effects fx;

	if (is_state_call(sc)) {
		const struct expr *a = sc->args.count ? sc->args.items[0]
						      : NULL;

		if (check_uses && a && a->kind == EXPR_INT && a->u.num >= 0 &&
		    a->u.num < LINT_FD_MAX)
			use_fd(t, (int)a->u.num, &a->loc, d);
		return;
	}
	syscall_fd_effects(sc, &fx);
	if (!fx.known) {
		/* A misspelt socket() or accept(): its result may be the fd
		 * the lines after use. */
		if (sc->result && sc->result->kind == EXPR_INT &&
		    sc->result->u.num >= 0 && sc->result->u.num < LINT_FD_MAX)
			make_fd(t, (int)sc->result->u.num);
		return;
	}
	for (size_t i = 0; check_uses && i < fx.use_count; i++)
		use_fd(t, fx.use[i], &fx.use_loc[i], d);
	if (fx.closed >= 0 && fx.closed < LINT_FD_MAX &&
	    t->open[fx.closed]) {
		t->open[fx.closed]--;
		t->closed_line[fx.closed] = ev->loc.first_line;
	}
	for (size_t i = 0; i < fx.made_count; i++)
		make_fd(t, fx.made[i]);
}

/* In script order: an fd a call uses must have been made by a call
 * before it and not closed since. After lost lines, anything goes. */
static void check_fds(const struct script *s, const struct lint_marks *m,
		      struct diag *d)
{
	struct fd_table *t = calloc(1, sizeof(*t));

	if (!t) {
		diag_set(d, EXIT_INTERNAL, NULL, "out of memory");
		return;
	}
	/* The fds a failed include's events would have made are unknown. */
	t->trust = s->includes_lost;
	for (size_t i = 0; i < s->event_count; i++) {
		const struct event *ev = s->events[i];

		if (m->gap[i])
			t->trust = true;
		if (ev->kind == EVENT_SYSCALL)
			track_call(t, ev, !m->skip[i], d);
	}
	free(t);
}

static void check_parsed(const struct script *s, const struct check_params *p,
			 size_t syntax, struct diag *d)
{
	struct lint_marks m = {
		.skip = calloc(s->event_count + 1, sizeof(bool)),
		.gap = calloc(s->event_count + 1, sizeof(bool)),
	};
	struct config c;
	struct timeline tl;

	if (!m.skip || !m.gap) {
		diag_set(d, EXIT_INTERNAL, NULL, "out of memory");
		goto out;
	}
	mark_syntax(s, d->all, syntax, &m);
	configure(s, p, &c, d);
	(void)timeline_check_all(s, &c, m.skip, !m.lost_before_first, &tl, d);
	timeline_free(&tl);
	check_fds(s, &m, d);
out:
	free(m.skip);
	free(m.gap);
}

size_t lint_file(const char *path, const struct check_params *p)
{
	struct diag_list all = {0};
	struct diag d = {.all = &all};
	struct script *s = NULL;
	size_t len = 0, n;
	char *text = script_read_source(path, &len, &d);

	if (text) {
		s = script_parse_all(path, text, len, p->defines,
				     p->define_count, &d);
		free(text);
		check_parsed(s, p, all.count, &d);
	}
	diag_list_sort(&all);
	for (size_t i = 0; i < all.count; i++)
		if (s)
			diag_print_record_files(stderr, &all.items[i],
						s->files, s->file_count);
		else
			diag_print_record(stderr, &all.items[i], path, NULL);
	n = all.count + all.lost;
	if (all.lost)
		fprintf(stderr, "%s: internal error: out of memory: %zu more "
				"problems not shown\n", path, all.lost);
	if (n)
		fprintf(stderr, "%s: %zu problem%s\n", path, n,
			n == 1 ? "" : "s");
	else if (p->verbose)
		fprintf(stderr, "%s: no problems\n", path);
	diag_list_free(&all);
	script_free(s);
	return n;
}
