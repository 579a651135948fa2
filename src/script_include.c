/* include("file", NAME=value): reading the files a script includes and
 * splicing their events in, their times moved to the include line's, so
 * that every later pass sees one list of ordinary events. */
#include "script.h"
#include "script_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Deeper than this is a mistake, not a design. */
#define INCLUDE_DEPTH_MAX 8

static const char option_error[] =
	"option lines are not allowed in an included file; put them in the "
	"including script";

/* --- construction, for the grammar ---------------------------------------- */

static void *zalloc(size_t size)
{
	return memset(script_xmalloc(size), 0, size);
}

struct script_params *script_params_new(void)
{
	return zalloc(sizeof(struct script_params));
}

struct script_params *script_params_add(struct script_params *list,
					char *name,
					const struct src_loc *name_loc,
					char *value,
					const struct src_loc *value_loc)
{
	struct script_param *p;

	list->items = script_xrealloc(list->items, (list->count + 1) *
							   sizeof(*list->items));
	p = &list->items[list->count++];
	p->name = name;
	p->value = value;
	p->name_loc = *name_loc;
	p->value_loc = *value_loc;
	return list;
}

static void params_clear(struct script_params *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].name);
		free(list->items[i].value);
	}
	free(list->items);
}

void script_params_free(struct script_params *list)
{
	if (!list)
		return;
	params_clear(list);
	free(list);
}

char *script_param_integer(int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return script_strdup(buf);
}

/* Quoted with the escapes the lexer undoes, so the same bytes come back. */
char *script_param_string(struct script_bytes *text)
{
	char *out = script_xmalloc(4 * text->len + 3);
	size_t n = 0;

	out[n++] = '"';
	for (size_t i = 0; i < text->len; i++) {
		unsigned char c = (unsigned char)text->data[i];

		if (c == '"' || c == '\\')
			n += (size_t)sprintf(out + n, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			n += (size_t)sprintf(out + n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	out[n++] = '"';
	out[n] = '\0';
	free(text->data);
	return out;
}

char *script_param_command(char *text)
{
	size_t n = strlen(text);
	char *out = script_xmalloc(n + 3);

	out[0] = '`';
	memcpy(out + 1, text, n);
	out[n + 1] = '`';
	out[n + 2] = '\0';
	free(text);
	return out;
}

struct script_include *script_include_new(const struct event_timing *timing,
					  struct script_bytes *path,
					  const struct src_loc *path_loc,
					  struct script_params *params,
					  const struct src_loc *keyword_loc,
					  const struct src_loc *loc)
{
	struct script_include *inc = zalloc(sizeof(*inc));

	inc->timing = *timing;
	inc->path = path->data;
	inc->path_loc = *path_loc;
	inc->keyword_loc = *keyword_loc;
	inc->loc = *loc;
	inc->params = *params;
	free(params);
	return inc;
}

void script_add_include(struct script *s, struct script_include *inc)
{
	inc->at = s->event_count;
	s->includes = script_xrealloc(s->includes, (s->include_count + 1) *
							   sizeof(*s->includes));
	s->includes[s->include_count++] = inc;
}

void script_include_free(struct script_include *inc)
{
	if (!inc)
		return;
	free(inc->path);
	params_clear(&inc->params);
	free(inc);
}

/* --- file names --------------------------------------------------------- */

/* dir/path, or path alone when it is absolute. */
static char *join_path(const char *including, const char *path)
{
	const char *slash = strrchr(including, '/');
	size_t dir_len = slash ? (size_t)(slash - including) : 1;
	char *out;

	if (path[0] == '/')
		return script_strdup(path);
	if (slash == including) /* "/x.pkt" */
		dir_len = 0;
	out = script_xmalloc(dir_len + strlen(path) + 2);
	sprintf(out, "%.*s/%s", (int)dir_len, slash ? including : ".", path);
	return out;
}

/* a/b/../c/./d as a/c/d, for diagnostics only: files are opened by the
 * name as joined, which is right even through symbolic links. */
static char *tidy_path(const char *path)
{
	char *out = script_xmalloc(strlen(path) + 2);
	size_t n = 0, kept = 0; /* kept: components that ".." may remove */
	const char *p = path;
	bool absolute = path[0] == '/';

	if (absolute)
		out[n++] = '/';
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.' && kept) {
			while (n > (absolute ? 1u : 0u) && out[n - 1] != '/')
				n--;
			if (n > (absolute ? 1u : 0u))
				n--;
			kept--;
		} else if (!(len == 2 && p[0] == '.' && p[1] == '.' &&
			     absolute)) {
			if (n > (absolute ? 1u : 0u))
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
			if (!(len == 2 && p[0] == '.' && p[1] == '.'))
				kept++;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	if (n == 0)
		out[n++] = '.';
	out[n] = '\0';
	return out;
}

/* --- one include ---------------------------------------------------------- */

/* What the expansion keeps per file of the script's table. */
struct file_info {
	char *open_path; /* where its includes are found from */
	dev_t dev;       /* what it is, to find cycles */
	ino_t ino;
	int depth;       /* 0: the script itself */
};

struct expander {
	struct script *top;
	struct file_info *info; /* parallel to top->files */
	struct diag *d;
};

/* "a includes b includes c": the chain from the script down to file k,
 * then name. */
static void chain_text(const struct expander *x, int k, const char *name,
		       char *buf, size_t len)
{
	int chain[INCLUDE_DEPTH_MAX + 2], n = 0;
	size_t at = 0;

	for (; n < INCLUDE_DEPTH_MAX + 1; k = x->top->files[k].included_from.file) {
		chain[n++] = k;
		if (k == 0)
			break;
	}
	buf[0] = '\0';
	while (n-- > 0 && at < len)
		at += (size_t)snprintf(buf + at, len - at, "%s includes ",
				       x->top->files[chain[n]].name);
	if (at < len)
		snprintf(buf + at, len - at, "%s", name);
}

/* A cycle: the file is one of those that led to the include line. */
static int check_cycle(const struct expander *x, int parent,
		       const struct stat *st, const struct script_include *inc,
		       const char *name)
{
	char chain[DIAG_TEXT_MAX];

	for (int k = parent;; k = x->top->files[k].included_from.file) {
		if (x->info[k].dev == st->st_dev &&
		    x->info[k].ino == st->st_ino) {
			chain_text(x, parent, name, chain, sizeof(chain));
			return diag_set(x->d, EXIT_USAGE, &inc->path_loc,
					"include cycle: %s", chain);
		}
		if (k == 0)
			return 0;
	}
}

/* Read the file an include line names and add it to the table; its
 * index, or -1. */
static int add_file(struct expander *x, int parent,
		    const struct script_include *inc)
{
	struct script *top = x->top;
	char *open_path = join_path(x->info[parent].open_path, inc->path);
	char *joined = join_path(top->files[parent].name, inc->path);
	char *name = tidy_path(joined);
	struct diag mine = {0};
	struct stat st;
	size_t len;
	char *text = NULL;
	int k = (int)top->file_count;

	free(joined);
	if (x->info[parent].depth >= INCLUDE_DEPTH_MAX) {
		diag_set(x->d, EXIT_USAGE, &inc->keyword_loc,
			 "includes nested more than %d deep",
			 INCLUDE_DEPTH_MAX);
		goto fail;
	}
	if (stat(open_path, &st) != 0) {
		diag_set(x->d, EXIT_USAGE, &inc->path_loc,
			 "cannot include %s: %s", name, strerror(errno));
		goto fail;
	}
	if (check_cycle(x, parent, &st, inc, name))
		goto fail;
	if (!S_ISREG(st.st_mode) ||
	    !(text = script_read_source(open_path, &len, &mine))) {
		diag_set(x->d, EXIT_USAGE, &inc->path_loc,
			 "cannot include %s: %s", name,
			 S_ISREG(st.st_mode) ? mine.message
					     : "not a regular file");
		goto fail;
	}
	top->files = script_xrealloc(top->files,
				     (top->file_count + 1) * sizeof(*top->files));
	x->info = script_xrealloc(x->info,
				  (top->file_count + 1) * sizeof(*x->info));
	top->files[k] = (struct src_file){
		.name = name,
		.text = text,
		.included_from = inc->keyword_loc,
	};
	x->info[k] = (struct file_info){
		.open_path = open_path,
		.dev = st.st_dev,
		.ino = st.st_ino,
		.depth = x->info[parent].depth + 1,
	};
	top->file_count++;
	return k;
fail:
	free(open_path);
	free(name);
	return -1;
}

/* --- parameters ----------------------------------------------------------- */

/* The NAME of --param=NAME or --param=NAME=default; its length, or 0. */
static size_t param_name_len(const char *value)
{
	size_t n = strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
				 "tuvwxyz0123456789_");

	if (n == 0 || (value[0] >= '0' && value[0] <= '9') ||
	    (value[n] != '\0' && value[n] != '='))
		return 0;
	return n;
}

static const struct script_option *declared(const struct script *g,
					    const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < g->option_count; i++) {
		const struct script_option *o = &g->options[i];

		if (param_name_len(o->value) == n &&
		    strncmp(o->value, name, n) == 0)
			return o;
	}
	return NULL;
}

static bool defined(const struct script_define *defs, size_t n,
		    const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(defs[i].name, name) == 0)
			return true;
	return false;
}

/* An included file has only --param lines in its header, each naming a
 * parameter once, and no init or cleanup command. */
static int check_header(const struct script *g, struct diag *d)
{
	for (size_t i = 0; i < g->option_count; i++) {
		const struct script_option *o = &g->options[i];
		size_t n;

		if (strcmp(o->name, "param") != 0)
			return diag_set(d, EXIT_USAGE, &o->loc, option_error);
		if (!o->value || !(n = param_name_len(o->value)))
			return diag_set(d, EXIT_USAGE, &o->loc,
					"--param wants NAME or NAME=default");
		for (size_t j = 0; j < i; j++)
			if (param_name_len(g->options[j].value) == n &&
			    strncmp(g->options[j].value, o->value, n) == 0)
				return diag_set(d, EXIT_USAGE, &o->loc,
						"parameter %.*s declared twice",
						(int)n, o->value);
	}
	if (g->init_command)
		return diag_set(d, EXIT_USAGE, &g->init_loc,
				"an init command is not allowed in an included "
				"file; put it in the including script");
	if (g->cleanup_command)
		return diag_set(d, EXIT_USAGE, &g->cleanup_loc,
				"a cleanup command is not allowed in an "
				"included file; put it in the including script");
	return 0;
}

/* Every parameter passed is declared, once. */
static int check_unknown(const struct script *g, const char *name,
			 const struct script_include *inc, struct diag *d)
{
	const struct script_params *ps = &inc->params;

	for (size_t i = 0; i < ps->count; i++) {
		if (!declared(g, ps->items[i].name))
			return diag_set(d, EXIT_USAGE, &ps->items[i].name_loc,
					"%s has no parameter %s", name,
					ps->items[i].name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ps->items[j].name, ps->items[i].name))
				return diag_set(d, EXIT_USAGE,
						&ps->items[i].name_loc,
						"parameter %s passed twice",
						ps->items[i].name);
	}
	return 0;
}

/* Every parameter declared without a default has a value, passed or
 * inherited. Checked even when the file's events do not parse: without
 * its value, a parameter is a word where a number should be. */
static int check_missing(const struct script *g, const char *name,
			 const struct script_include *inc,
			 const struct script_define *defs, size_t ndefs,
			 struct diag *d)
{
	const struct script_params *ps = &inc->params;

	for (size_t i = 0; i < g->option_count; i++) {
		const char *v = g->options[i].value;
		size_t n = v && !strcmp(g->options[i].name, "param")
				   ? param_name_len(v)
				   : 0;
		bool passed = false;
		char pname[DIAG_TEXT_MAX / 4];

		if (n == 0 || v[n] == '=')
			continue; /* not a parameter, or one with a default */
		snprintf(pname, sizeof(pname), "%.*s", (int)n, v);
		for (size_t j = 0; j < ps->count; j++)
			passed |= !strcmp(ps->items[j].name, pname);
		if (!passed && !defined(defs, ndefs, pname))
			return diag_set(d, EXIT_USAGE, &inc->loc,
					"missing parameter %s (%s declares it "
					"without a default)", pname, name);
	}
	return 0;
}

/* defs, then the include's parameters: what the file is read with. */
static struct script_define *with_params(const struct script_define *defs,
					 size_t ndefs,
					 const struct script_params *ps,
					 size_t *count)
{
	struct script_define *out =
		script_xmalloc((ndefs + ps->count) * sizeof(*out));

	if (ndefs)
		memcpy(out, defs, ndefs * sizeof(*out));
	for (size_t i = 0; i < ps->count; i++)
		out[ndefs + i] = (struct script_define){ps->items[i].name,
							ps->items[i].value};
	*count = ndefs + ps->count;
	return out;
}

/* ... and what the files it includes inherit: every parameter with the
 * value it has in the file, its default unless passed or inherited. The
 * names added from *count on are copies; the values point into g's
 * options, which outlive the use. */
static struct script_define *with_defaults(struct script_define *defs,
					   size_t *count,
					   const struct script *g)
{
	size_t n = *count;

	defs = script_xrealloc(defs, (n + g->option_count) * sizeof(*defs));
	for (size_t i = 0; i < g->option_count; i++) {
		const char *v = g->options[i].value;
		size_t len = param_name_len(v);
		char *name;

		if (v[len] != '=')
			continue;
		name = script_xmalloc(len + 1);
		memcpy(name, v, len);
		name[len] = '\0';
		if (defined(defs, n, name)) {
			free(name);
			continue;
		}
		defs[n++] = (struct script_define){name, v + len + 1};
	}
	*count = n;
	return defs;
}

/* --- times ---------------------------------------------------------------- */

static void shift_timing(struct event_timing *t, int64_t usecs)
{
	t->start.usecs += usecs;
	if (t->shape != TIMING_POINT)
		t->end.usecs += usecs;
}

/* The events of an included file go from its own time frame (0 is the
 * include line's time) to the including file's. At an absolute time T,
 * their absolute times move by T, and a relative first event becomes
 * absolute. At a relative time +d, the first event's relative time grows
 * by d and it sets a new base, T, that the file's absolute times count
 * from. A base the first event set inside the file is T plus its offset. */
static void move_times(struct script *top, const struct script_include *inc,
		       struct event **ev, size_t n)
{
	bool relative = inc->timing.start.kind == TIME_RELATIVE;
	int64_t at = inc->timing.start.usecs;
	int base = relative ? ++top->anchor_count : 0;
	int64_t shift = relative ? 0 : at;
	struct event_timing *first = &ev[0]->timing;
	int inner = first->sets_anchor;
	int64_t inner_usecs = first->anchor_usecs;

	for (size_t i = 0; i < n; i++) {
		struct event_timing *t = &ev[i]->timing;

		if (t->start.kind != TIME_ABSOLUTE)
			continue;
		if (t->anchor == 0) {
			t->anchor = base;
			shift_timing(t, shift);
		} else if (inner && t->anchor == inner) {
			t->anchor = base;
			shift_timing(t, shift + inner_usecs);
		}
	}
	first->sets_anchor = 0;
	first->anchor_usecs = 0;
	if (first->start.kind == TIME_RELATIVE) {
		shift_timing(first, at);
		if (!relative) {
			first->start.kind = TIME_ABSOLUTE;
			if (first->shape == TIMING_WINDOW)
				first->end.kind = TIME_ABSOLUTE;
		}
	}
	if (relative) {
		first->sets_anchor = base;
		first->anchor_usecs = at;
	}
}

/* --- splicing ------------------------------------------------------------- */

static int expand_file(struct expander *x, struct script *f, int file,
		       const struct script_define *defs, size_t ndefs);

/* A parse error goes where it is; one with no place in the file, to the
 * include line. */
static int parse_error(struct diag *d, const struct diag *parse,
		       const char *name, const struct script_include *inc)
{
	if (parse->loc.first_line)
		return diag_set(d, parse->status, &parse->loc, "%s",
				parse->message);
	return diag_set(d, parse->status, &inc->path_loc, "%s: %s", name,
			parse->message);
}

/* Parse file k as included by inc into g, with its own includes
 * spliced in. */
static int read_included(struct expander *x, const struct script_include *inc,
			 int k, const struct script_define *defs,
			 size_t ndefs, struct script *g)
{
	/* Strings, not pointers into the table: reading the file's own
	 * includes grows it. */
	const char *text = x->top->files[k].text;
	const char *name = x->top->files[k].name;
	size_t n, passed;
	struct script_define *mine = with_params(defs, ndefs, &inc->params, &n);
	struct diag parse = {0};
	int rc;

	passed = n;
	rc = script_grammar_parse(g, text, strlen(text), k, mine, n, &parse);
	if (check_missing(g, name, inc, defs, ndefs, x->d) ||
	    (rc && parse_error(x->d, &parse, name, inc)) ||
	    check_header(g, x->d) || check_unknown(g, name, inc, x->d)) {
		rc = -1;
		goto out;
	}
	mine = with_defaults(mine, &n, g);
	rc = expand_file(x, g, k, mine, n);
	if (rc == 0 && g->event_count == 0)
		rc = diag_set(x->d, EXIT_USAGE, &inc->path_loc,
			      "%s has no events", name);
out:
	for (size_t i = passed; i < n; i++)
		free((char *)mine[i].name);
	free(mine);
	return rc;
}

/* The events an include line stands for, in the including file's time
 * frame; the caller owns them. */
static int include_one(struct expander *x, const struct script_include *inc,
		       int parent, const struct script_define *defs,
		       size_t ndefs, struct event ***events, size_t *count)
{
	const struct event_timing *t = &inc->timing;
	struct script *g;
	int k;

	if (t->shape != TIMING_POINT || t->start.kind == TIME_ANY)
		return diag_set(x->d, EXIT_USAGE, &t->start.loc,
				"an include happens at one time, not in a "
				"window, at '*' or a...b");
	if ((k = add_file(x, parent, inc)) < 0)
		return -1;
	g = zalloc(sizeof(*g));
	if (read_included(x, inc, k, defs, ndefs, g)) {
		script_free(g);
		return -1;
	}
	move_times(x->top, inc, g->events, g->event_count);
	*events = g->events;
	*count = g->event_count;
	g->events = NULL;
	g->event_count = 0;
	script_free(g);
	return 0;
}

static void append(struct event ***list, size_t *count, struct event **add,
		   size_t n)
{
	if (!n) /* add may be NULL then, which memcpy must not see */
		return;
	*list = script_xrealloc(*list, (*count + n) * sizeof(**list));
	memcpy(*list + *count, add, n * sizeof(*add));
	*count += n;
}

/* f's events with each include line's in its place. */
static int expand_file(struct expander *x, struct script *f, int file,
		       const struct script_define *defs, size_t ndefs)
{
	struct event **out = NULL;
	size_t count = 0, next = 0;
	int rc = 0;

	for (size_t i = 0; i < f->include_count && rc == 0; i++) {
		const struct script_include *inc = f->includes[i];
		struct event **got = NULL;
		size_t n = 0;

		append(&out, &count, f->events + next, inc->at - next);
		next = inc->at;
		rc = include_one(x, inc, file, defs, ndefs, &got, &n);
		append(&out, &count, got, n);
		free(got);
	}
	/* Whatever happened, f owns every event again. */
	append(&out, &count, f->events + next, f->event_count - next);
	free(f->events);
	f->events = out;
	f->event_count = count;
	for (size_t i = 0; i < f->include_count; i++)
		script_include_free(f->includes[i]);
	free(f->includes);
	f->includes = NULL;
	f->include_count = 0;
	return rc;
}

/* The script's own header may not declare parameters: nothing passes it
 * any. A first line that is an include is the script's time 0. */
static int check_top(const struct script *s, struct diag *d)
{
	for (size_t i = 0; i < s->option_count; i++)
		if (!strcmp(s->options[i].name, "param"))
			return diag_set(d, EXIT_USAGE, &s->options[i].loc,
					"--param declares a parameter of an "
					"included file; this script is not "
					"included");
	if (s->include_count && s->includes[0]->at == 0) {
		const struct script_time *t = &s->includes[0]->timing.start;

		if (t->kind != TIME_ANY && t->usecs != 0)
			return diag_set(d, EXIT_USAGE, &t->loc,
					"the first event must be at time 0");
	}
	return 0;
}

int script_include_expand(struct script *s,
			  const struct script_define *defines,
			  size_t define_count, struct diag *d)
{
	struct expander x = {.top = s, .d = d};
	struct stat st;
	int rc;

	if (check_top(s, d))
		return -1;
	if (s->include_count == 0)
		return 0;
	x.info = zalloc(sizeof(*x.info));
	x.info[0].open_path = script_strdup(s->file);
	/* stdin, or a script that went away: no cycle can lead back. */
	if (strcmp(s->file, "-") != 0 && stat(s->file, &st) == 0) {
		x.info[0].dev = st.st_dev;
		x.info[0].ino = st.st_ino;
	}
	rc = expand_file(&x, s, 0, defines, define_count);
	for (size_t i = 0; i < s->file_count; i++)
		free(x.info[i].open_path);
	free(x.info);
	return rc;
}
