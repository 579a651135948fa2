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
}

void diag_actual(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->detail_open)
		return;
	va_start(ap, fmt);
	vsnprintf(d->actual, sizeof(d->actual), fmt, ap);
	va_end(ap);
}

void diag_clear(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

static int loc_compare(const struct src_loc *a, const struct src_loc *b)
{
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

static void print_caret(FILE *out, const struct src_loc *l,
			const char *source)
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
	if (d->expected[0])
		fprintf(out, "expected: %s\n", d->expected);
	if (d->actual[0])
		fprintf(out, "actual:   %s\n", d->actual);
}
