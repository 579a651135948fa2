/* Error records and their rendering with a caret under the script text. */
#include "diag.h"

#include <string.h>

int diag_vset(struct diag *d, enum exit_status status,
	      const struct src_loc *loc, const char *fmt, va_list ap)
{
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

void diag_print(FILE *out, const struct diag *d, const char *file,
		const char *source)
{
	const char *kind = d->status == EXIT_INTERNAL ? "internal error"
			   : d->status == EXIT_SKIP   ? "skipped"
						      : "error";

	if (d->loc.first_line > 0)
		fprintf(out, "%s:%d:%d: %s: %s\n", file, d->loc.first_line,
			d->loc.first_col, kind, d->message);
	else
		fprintf(out, "%s: %s: %s\n", file, kind, d->message);
	if (d->loc.first_line > 0 && source)
		print_caret(out, &d->loc, source);
	if (d->expected[0])
		fprintf(out, "expected: %s\n", d->expected);
	if (d->actual[0])
		fprintf(out, "actual:   %s\n", d->actual);
}

void diag_print_files(FILE *out, const struct diag *d,
		      const struct src_file *files, size_t count)
{
	int k = d->loc.first_line > 0 ? d->loc.file : 0;

	if (k < 0 || (size_t)k >= count) /* not one of ours: no caret line */
		k = 0;
	diag_print(out, d, files[k].name,
		   k == d->loc.file ? files[k].text : NULL);
	/* Each file was included from one before it, so this ends. */
	while (k > 0) {
		const struct src_loc *from = &files[k].included_from;

		k = from->file;
		fprintf(out, "%s:%d:%d: note: included from here\n",
			files[k].name, from->first_line, from->first_col);
		print_caret(out, from, files[k].text);
	}
}
