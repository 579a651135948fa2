/* Ladder diagrams: the steps of a run kept in order, and drawn as text in
 * the style of RFC 9293's figures (section 3.5). */
#include "diagram.h"

#include <stdlib.h>
#include <string.h>

#include "sockstate.h"

struct diagram {
	char *title;
	struct diagram_entry *entries;
	size_t count, cap;
	size_t lost;
	int failed; /* the last entry is the failed step: nothing follows */
};

struct diagram *diagram_new(const char *title)
{
	struct diagram *dg = calloc(1, sizeof(*dg));

	if (!dg)
		return NULL;
	dg->title = strdup(title ? title : "");
	if (!dg->title) {
		free(dg);
		return NULL;
	}
	return dg;
}

void diagram_free(struct diagram *dg)
{
	if (!dg)
		return;
	for (size_t i = 0; i < dg->count; i++) {
		free(dg->entries[i].text);
		free(dg->entries[i].detail);
		free(dg->entries[i].expected);
		free(dg->entries[i].actual);
	}
	free(dg->entries);
	free(dg->title);
	free(dg);
}

static struct diagram_entry *add(struct diagram *dg,
				 const struct diagram_step *s)
{
	struct diagram_entry *e;

	if (dg->failed)
		return NULL;
	if (dg->count == dg->cap) {
		size_t cap = dg->cap ? dg->cap * 2 : 32;
		struct diagram_entry *more =
			realloc(dg->entries, cap * sizeof(*more));

		if (!more)
			goto lost;
		dg->entries = more;
		dg->cap = cap;
	}
	e = &dg->entries[dg->count];
	memset(e, 0, sizeof(*e));
	e->secs = s->secs;
	e->kind = s->kind;
	e->state = s->state;
	e->text = strdup(s->text ? s->text : "");
	e->detail = s->detail ? strdup(s->detail) : NULL;
	if (!e->text || (s->detail && !e->detail)) {
		free(e->text);
		free(e->detail);
		goto lost;
	}
	dg->count++;
	return e;
lost:
	dg->lost++;
	return NULL;
}

int diagram_step(struct diagram *dg, const struct diagram_step *s)
{
	if (dg->failed)
		return 0;
	return add(dg, s) ? 0 : -1;
}

int diagram_fail(struct diagram *dg, const struct diagram_step *s,
		 const char *expected, const char *actual)
{
	struct diagram_entry *e = add(dg, s);

	if (!e)
		return -1;
	dg->failed = 1;
	e->expected = strdup(expected ? expected : "");
	e->actual = strdup(actual ? actual : "");
	if (e->expected && e->actual)
		return 0;
	free(e->expected);
	free(e->actual);
	e->expected = e->actual = NULL;
	return -1;
}

size_t diagram_count(const struct diagram *dg)
{
	return dg ? dg->count : 0;
}

const struct diagram_entry *diagram_entries(const struct diagram *dg,
					    size_t *count)
{
	*count = dg->count;
	return dg->entries;
}

const char *diagram_title(const struct diagram *dg)
{
	return dg->title;
}

size_t diagram_lost(const struct diagram *dg)
{
	return dg->lost;
}

const char *diagram_state_name(int state)
{
	const char *name = state >= 0 && state < TCP_STATE_COUNT
				   ? sockstate_name((enum tcp_state_id)state)
				   : NULL;

	return name ? name : "?";
}

/* Segments in diag text start "> " or "< " ("> [ect0] . 1:1(0)" too). */
const char *diagram_failed_text(const char *text, enum diagram_kind *kind)
{
	if ((text[0] == '>' || text[0] == '<') && text[1] == ' ') {
		*kind = text[0] == '>' ? DIAGRAM_OUT : DIAGRAM_IN;
		return text + 2;
	}
	if (*kind == DIAGRAM_OUT || *kind == DIAGRAM_IN)
		*kind = DIAGRAM_NOTE;
	return text;
}

/* --- text ----------------------------------------------------------------- */

/* The middle column is as wide as its longest text, within limits: past
 * the upper one a line simply runs on. */
#define TEXT_MIDDLE_MIN 30
#define TEXT_MIDDLE_MAX 72
#define TEXT_STATE_WIDTH 12

static size_t middle_width(const struct diagram *dg)
{
	size_t w = TEXT_MIDDLE_MIN;

	for (size_t i = 0; i < dg->count; i++) {
		const struct diagram_entry *e = &dg->entries[i];
		const char *texts[] = {e->text, e->expected, e->actual};

		for (size_t k = 0; k < 3; k++) {
			enum diagram_kind kind = e->kind;
			size_t len;

			if (!texts[k] || (k == 0 && e->expected))
				continue;
			len = strlen(k ? diagram_failed_text(texts[k], &kind)
				       : texts[k]);
			/* A failure's message runs on past the arrows. */
			if (k && kind == DIAGRAM_NOTE)
				continue;
			if (len > w)
				w = len;
		}
	}
	return w > TEXT_MIDDLE_MAX ? TEXT_MIDDLE_MAX : w;
}

/* One line: the prefix (number, time, state), then "--> text -->",
 * "<-- text <--" or a call's text alone, then a label in the peer's
 * column; no blanks at its end. */
static void print_line(FILE *out, const char *prefix, enum diagram_kind kind,
		       const char *text, size_t width, const char *label)
{
	const char *arrow = kind == DIAGRAM_OUT  ? "-->"
			    : kind == DIAGRAM_IN ? "<--"
						 : "   ";
	int pad = (int)width - (int)strlen(text);
	char line[1024];
	size_t len;

	snprintf(line, sizeof(line), "%s%s %s%*s %s  %s", prefix, arrow, text,
		 pad > 0 ? pad : 0, "", arrow, label ? label : "");
	len = strlen(line);
	while (len && line[len - 1] == ' ')
		line[--len] = '\0';
	fprintf(out, "%s\n", line);
}

/* What was expected on the step's own line, what happened under it. */
static void print_failed(FILE *out, const struct diagram_entry *e,
			 const char *prefix, int digits, size_t width)
{
	enum diagram_kind want_kind = e->kind, got_kind = e->kind;
	const char *want = diagram_failed_text(e->expected, &want_kind);
	const char *got = diagram_failed_text(e->actual, &got_kind);
	char under[64];

	/* Nothing happened where a segment was due: no arrow for it. */
	if (!strcmp(got, "nothing")) {
		got_kind = DIAGRAM_NOTE;
		got = "(nothing)";
	}
	print_line(out, prefix, want_kind, want, width, "expected");
	snprintf(under, sizeof(under), "%*s%-*s", digits + 2, "",
		 7 + 2 + TEXT_STATE_WIDTH + 2, "FAILED");
	print_line(out, under, got_kind, got, width, "actual");
}

void diagram_print_text(FILE *out, const struct diagram *dg)
{
	size_t width = middle_width(dg);
	int digits = dg->count >= 100 ? 3 : dg->count >= 10 ? 2 : 1;

	/* The heads over the state column and over the peer's arrows. */
	fprintf(out, "%s\n\n%*s  %-*s%s\n", dg->title, digits + 9, "time",
		TEXT_STATE_WIDTH + 2 + 4 + (int)width + 1, "stack under test",
		"tcpcheck (peer)");
	for (size_t i = 0; i < dg->count; i++) {
		const struct diagram_entry *e = &dg->entries[i];
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "%*zu. %7.3f  %-*s  ", digits,
			 i + 1, e->secs, TEXT_STATE_WIDTH,
			 diagram_state_name(e->state));
		if (e->expected)
			print_failed(out, e, prefix, digits, width);
		else
			print_line(out, prefix, e->kind, e->text, width, NULL);
	}
	if (dg->lost)
		fprintf(out, "(%zu more step%s lost: out of memory)\n",
			dg->lost, dg->lost == 1 ? "" : "s");
}

static void record_text(FILE *out, const char *text)
{
	for (const char *c = text ? text : ""; *c; c++)
		fputc(*c == '\t' || *c == '\n' ? ' ' : *c, out);
}

void diagram_write_record(FILE *out, const struct diagram *dg)
{
	static const char *const kinds[] = {"out", "in", "call", "note"};
	size_t n;
	const struct diagram_entry *e = diagram_entries(dg, &n);

	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s\t%s\t%.6f\t", kinds[e[i].kind],
			diagram_state_name(e[i].state), e[i].secs);
		record_text(out, e[i].detail ? e[i].detail : e[i].text);
		fputc('\t', out);
		record_text(out, e[i].expected);
		fputc('\t', out);
		record_text(out, e[i].actual);
		fputc('\n', out);
	}
	fflush(out);
}
