/* Error records and their rendering with a caret under the script text. */
#include "diag.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void list_add(struct diag_list *l, enum exit_status status,
		     const struct src_loc *loc, const char *fmt, va_list ap)
{
	struct diag_record *r;
	char text[DIAG_TEXT_MAX];

	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct diag_record *items =
			realloc(l->items, cap * sizeof(*items));

		if (!items) {
			l->lost++;
			return;
		}
		l->items = items;
		l->cap = cap;
	}
	r = &l->items[l->count];
	vsnprintf(text, sizeof(text), fmt, ap);
	r->message = strdup(text);
	if (!r->message) {
		l->lost++;
		return;
	}
	r->status = status;
	if (loc)
		r->loc = *loc;
	else
		memset(&r->loc, 0, sizeof(r->loc));
	l->count++;
}

int diag_vset(struct diag *d, enum exit_status status,
	      const struct src_loc *loc, const char *fmt, va_list ap)
{
	if (d->all) {
		va_list copy;

		va_copy(copy, ap);
		list_add(d->all, status, loc, fmt, copy);
		va_end(copy);
	}
	if (d->status != EXIT_PASS) {
		d->detail_open = 0;
		return -1;
	}
	d->status = status;
	d->detail_open = 1;
	if (loc)
		d->loc = *loc;
	else
		memset(&d->loc, 0, sizeof(d->loc));
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	d->expected[0] = '\0';
	d->actual[0] = '\0';
	d->trace[0] = '\0';
	d->columns = 0;
	return -1;
}

int diag_set(struct diag *d, enum exit_status status,
	     const struct src_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vset(d, status, loc, fmt, ap);
	va_end(ap);
	return -1;
}

void diag_expected(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->detail_open)
		return;
	va_start(ap, fmt);
	vsnprintf(d->expected, sizeof(d->expected), fmt, ap);
	va_end(ap);
	d->columns = 0;
}

void diag_actual(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->detail_open)
		return;
	va_start(ap, fmt);
	vsnprintf(d->actual, sizeof(d->actual), fmt, ap);
	va_end(ap);
	d->columns = 0;
}

void diag_trace(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->detail_open)
		return;
	va_start(ap, fmt);
	vsnprintf(d->trace, sizeof(d->trace), fmt, ap);
	va_end(ap);
}

void diag_pair_begin(struct diag *d)
{
	if (!d->detail_open)
		return;
	d->expected[0] = '\0';
	d->actual[0] = '\0';
	d->columns = 0;
}

/* Append one side's text of a field; its span, or -1 when the line is
 * full. A space goes before it unless nothing, or a glued field, does. */
static int pair_append(char *line, const char *text, bool glued,
		       uint16_t *at, uint16_t *len)
{
	size_t used = strlen(line), n = text ? strlen(text) : 0;
	size_t space = used && !glued ? 1 : 0;

	*at = (uint16_t)used;
	*len = 0;
	if (!n)
		return 0;
	if (used + space + n >= DIAG_TEXT_MAX)
		return -1;
	if (space)
		line[used++] = ' ';
	memcpy(line + used, text, n + 1);
	*at = (uint16_t)used;
	*len = (uint16_t)n;
	return 0;
}

/* Whether the last field with text on one side (exp: expected) was glued
 * to the next. */
static bool last_glued(const struct diag *d, bool exp)
{
	if (d->columns < 0)
		return false;
	for (int i = d->columns; i-- > 0;) {
		const struct diag_column *c = &d->column[i];

		if (exp ? c->exp_len : c->act_len)
			return c->glue;
	}
	return false;
}

void diag_pair_add(struct diag *d, const char *exp, const char *act,
		   bool mark, bool glue)
{
	struct diag_column c = {.mark = mark, .glue = glue};

	if (!d->detail_open)
		return;
	int e = pair_append(d->expected, exp, last_glued(d, true), &c.exp_at,
			    &c.exp_len);
	int a = pair_append(d->actual, act, last_glued(d, false), &c.act_at,
			    &c.act_len);

	/* Past the room for fields the lines still grow, unaligned. */
	if (e || a || d->columns < 0 || d->columns == DIAG_COLUMNS_MAX)
		d->columns = -1;
	else
		d->column[d->columns++] = c;
}

/* Append n bytes of text and pad to width on one aligned line. */
static size_t put_padded(char *out, size_t used, size_t len, const char *text,
			 size_t n, size_t width)
{
	for (size_t i = 0; i < width && used + 1 < len; i++)
		out[used++] = i < n ? text[i] : ' ';
	return used;
}

static size_t put_mark(char *out, size_t used, size_t len, bool mark,
		       size_t width)
{
	for (size_t i = 0; i < width && used + 1 < len; i++)
		out[used++] = !mark ? ' ' : i ? '~' : '^';
	return used;
}

static void trim(char *line, size_t used)
{
	while (used && line[used - 1] == ' ')
		used--;
	line[used] = '\0';
}

void diag_pair_align(const struct diag *d, char *exp, char *act, char *marks,
		     size_t len)
{
	size_t ue = 0, ua = 0, um = 0;
	bool any = false, glued = true;

	for (int i = 0; i < d->columns; i++) {
		const struct diag_column *c = &d->column[i];
		size_t w = c->exp_len > c->act_len ? c->exp_len : c->act_len;

		if (!w)
			continue;
		if (!glued) {
			ue = put_padded(exp, ue, len, "", 0, 1);
			ua = put_padded(act, ua, len, "", 0, 1);
			um = put_mark(marks, um, len, false, 1);
		}
		ue = put_padded(exp, ue, len, d->expected + c->exp_at,
				c->exp_len, w);
		ua = put_padded(act, ua, len, d->actual + c->act_at,
				c->act_len, w);
		um = put_mark(marks, um, len, c->mark, w);
		any |= c->mark;
		glued = c->glue;
	}
	trim(exp, ue);
	trim(act, ua);
	trim(marks, any ? um : 0);
}

void diag_clear(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

/* By file (the script, then the files it included, in the order they
 * were read), then by place. */
static int loc_compare(const struct src_loc *a, const struct src_loc *b)
{
	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->first_line != b->first_line)
		return a->first_line < b->first_line ? -1 : 1;
	if (a->first_col != b->first_col)
		return a->first_col < b->first_col ? -1 : 1;
	return 0;
}

static bool same_record(const struct diag_record *a,
			const struct diag_record *b)
{
	return loc_compare(&a->loc, &b->loc) == 0 &&
	       a->loc.last_line == b->loc.last_line &&
	       a->loc.last_col == b->loc.last_col &&
	       strcmp(a->message, b->message) == 0;
}

void diag_list_sort(struct diag_list *l)
{
	size_t kept = 0;

	/* Insertion sort: stable, and a script's problems are few and
	 * nearly in order already. */
	for (size_t i = 1; i < l->count; i++) {
		struct diag_record r = l->items[i];
		size_t j = i;

		for (; j > 0 && loc_compare(&l->items[j - 1].loc, &r.loc) > 0;
		     j--)
			l->items[j] = l->items[j - 1];
		l->items[j] = r;
	}
	for (size_t i = 0; i < l->count; i++) {
		bool repeat = false;

		for (size_t j = kept; j-- > 0 &&
				      !loc_compare(&l->items[j].loc,
						   &l->items[i].loc);)
			repeat = repeat || same_record(&l->items[j],
						       &l->items[i]);
		if (repeat)
			free(l->items[i].message);
		else
			l->items[kept++] = l->items[i];
	}
	l->count = kept;
}

void diag_list_free(struct diag_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i].message);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* Find line n (from 1) of text; returns its start and sets *len. */
static const char *source_line(const char *text, int n, size_t *len)
{
	const char *p = text;

	for (int i = 1; i < n; i++) {
		p = strchr(p, '\n');
		if (!p)
			return NULL;
		p++;
	}
	*len = strcspn(p, "\n");
	if (*len && p[*len - 1] == '\r') /* CRLF files */
		(*len)--;
	return p;
}

static void print_caret(FILE *out, const struct src_loc *l, const char *source)
{
	size_t len;
	const char *line = source_line(source, l->first_line, &len);
	int width;

	if (!line)
		return;
	fprintf(out, " %.*s\n ", (int)len, line);
	/* Tabs stay tabs so the caret lines up under them. */
	for (int i = 0; i < l->first_col - 1 && (size_t)i < len; i++)
		fputc(line[i] == '\t' ? '\t' : ' ', out);
	width = 1;
	if (l->last_line == l->first_line && l->last_col > l->first_col)
		width = l->last_col - l->first_col;
	fputc('^', out);
	for (int i = 1; i < width; i++)
		fputc('~', out);
	fputc('\n', out);
}

static void print_pair(FILE *out, const struct diag *d)
{
	char exp[2 * DIAG_TEXT_MAX], act[2 * DIAG_TEXT_MAX];
	char marks[2 * DIAG_TEXT_MAX];

	diag_pair_align(d, exp, act, marks, sizeof(exp));
	fprintf(out, "expected: %s\nactual:   %s\n", exp, act);
	if (marks[0])
		fprintf(out, "          %s\n", marks);
}

/* The trace, broken after its commas to stay within TRACE_WIDTH columns
 * on a terminal, each further line under the first. */
#define TRACE_WIDTH 79
#define TRACE_INDENT 10

static void print_trace(FILE *out, const char *trace)
{
	const char *p = trace;

	fputs("trace:    ", out);
	for (;;) {
		size_t room = TRACE_WIDTH - TRACE_INDENT, cut = 0;
		const char *q;

		if (strlen(p) <= room) {
			fprintf(out, "%s\n", p);
			return;
		}
		/* The last ", " between two changes that keeps the comma
		 * on this line. */
		for (q = p; (q = strstr(q, ", ")) && (size_t)(q - p) < room;
		     q++)
			if (q > p && (q[-1] == ')' ||
				      (q[-1] >= 'A' && q[-1] <= 'Z')))
				cut = (size_t)(q - p) + 1;
		if (!cut) { /* no place to break it: as it is */
			fprintf(out, "%s\n", p);
			return;
		}
		fprintf(out, "%.*s\n%*s", (int)cut, p, TRACE_INDENT, "");
		p += cut + 1;
	}
}

static void print_message(FILE *out, enum exit_status status,
			  const struct src_loc *loc, const char *message,
			  const char *file, const char *source)
{
	const char *kind = status == EXIT_INTERNAL ? "internal error"
			   : status == EXIT_SKIP   ? "skipped"
						   : "error";

	if (loc->first_line > 0)
		fprintf(out, "%s:%d:%d: %s: %s\n", file, loc->first_line,
			loc->first_col, kind, message);
	else
		fprintf(out, "%s: %s: %s\n", file, kind, message);
	if (loc->first_line > 0 && source)
		print_caret(out, loc, source);
}

void diag_print_record(FILE *out, const struct diag_record *r,
		       const char *file, const char *source)
{
	print_message(out, r->status, &r->loc, r->message, file, source);
}

void diag_print(FILE *out, const struct diag *d, const char *file,
		const char *source)
{
	print_message(out, d->status, &d->loc, d->message, file, source);
	if (d->columns > 0) {
		print_pair(out, d);
	} else {
		if (d->expected[0])
			fprintf(out, "expected: %s\n", d->expected);
		if (d->actual[0])
			fprintf(out, "actual:   %s\n", d->actual);
	}
	if (d->trace[0])
		print_trace(out, d->trace);
}

/* The include lines that led to file k, innermost first. */
static void print_included_from(FILE *out, int k,
				const struct src_file *files)
{
	/* Each file was included from one before it, so this ends. */
	while (k > 0) {
		const struct src_loc *from = &files[k].included_from;

		k = from->file;
		fprintf(out, "%s:%d:%d: note: included from here\n",
			files[k].name, from->first_line, from->first_col);
		print_caret(out, from, files[k].text);
	}
}

/* The file a location names, 0 (the script) when it names none of
 * ours. */
static int file_of(const struct src_loc *loc, size_t count)
{
	int k = loc->first_line > 0 ? loc->file : 0;

	return k < 0 || (size_t)k >= count ? 0 : k;
}

void diag_print_files(FILE *out, const struct diag *d,
		      const struct src_file *files, size_t count)
{
	int k = file_of(&d->loc, count);

	diag_print(out, d, files[k].name,
		   k == d->loc.file ? files[k].text : NULL);
	print_included_from(out, k, files);
}

void diag_print_record_files(FILE *out, const struct diag_record *r,
			     const struct src_file *files, size_t count)
{
	int k = file_of(&r->loc, count);

	diag_print_record(out, r, files[k].name,
			  k == r->loc.file ? files[k].text : NULL);
	print_included_from(out, k, files);
}
