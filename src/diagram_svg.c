/* Ladder diagrams as SVG: two lifelines, segments as arrows sloping down
 * with time, states as boxes on the stack's lifeline, the failed step in
 * red. Plain SVG 1.1 text, no library: any browser or rsvg-convert reads
 * it. */
#include "diagram.h"

#include <stdbool.h>
#include <string.h>

/* Monospace text throughout, so widths are counted in characters. */
#define FONT "DejaVu Sans Mono, Menlo, Consolas, monospace"
#define FONT_SIZE 12
#define CHAR_W 7.3 /* DejaVu Sans Mono at 12 px: 0.602 em, and a margin */

#define MARGIN 16.0
#define NUM_W (12 * CHAR_W + 24) /* step number and time */
#define STATE_W 96.0  /* ESTABLISHED in a box */
#define STATE_H 18.0
#define SPAN_MIN 380.0
#define SLOPE 16.0     /* how far an arrow drops between the lifelines */
#define ROW 30.0       /* a step without a state box */
#define ROW_STATE 24.0 /* what a state box adds */
#define HEAD 78.0      /* title and column heads */

#define INK "#222222"
#define FAINT "#888888"
#define RED "#c0392b"
#define STATE_FILL "#eef3fb"
#define STATE_EDGE "#4a6fa5"

struct layout {
	double stack_x, peer_x, width, height;
	double angle; /* of an arrow, degrees */
};

/* Text as XML character data: markup escaped, and anything that is not
 * printable ASCII (a script's strings may hold any byte) as '?', so the
 * document is always well-formed. */
static void put_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			fputs("&amp;", out);
		else if (c == '<')
			fputs("&lt;", out);
		else if (c == '>')
			fputs("&gt;", out);
		else if (c == '"')
			fputs("&quot;", out);
		else if (c < 0x20 || c > 0x7e)
			fputc('?', out);
		else
			fputc(c, out);
	}
}

static double text_w(const char *s)
{
	return (double)strlen(s) * CHAR_W;
}

static bool is_segment(enum diagram_kind k)
{
	return k == DIAGRAM_OUT || k == DIAGRAM_IN;
}

static bool state_changes(const struct diagram_entry *e, size_t i)
{
	return i == 0 || e[i].state != e[i - 1].state;
}

/* How tall step i is: a failed one has an expected and an actual row. */
static double row_height(const struct diagram_entry *e, size_t i)
{
	double h = e[i].expected ? 2 * ROW + 10 : ROW;

	return h + (state_changes(e, i) ? ROW_STATE : 0);
}

static void measure(const struct diagram *dg, struct layout *l)
{
	size_t n;
	const struct diagram_entry *e = diagram_entries(dg, &n);
	double calls = 0, segs = 0, slope;

	for (size_t i = 0; i < n; i++) {
		const char *texts[] = {e[i].text, e[i].expected, e[i].actual};

		for (size_t k = 0; k < 3; k++) {
			enum diagram_kind kind = e[i].kind;
			const char *t;
			double w;

			if (!texts[k] || (k == 0 && e[i].expected))
				continue;
			t = k ? diagram_failed_text(texts[k], &kind) : texts[k];
			/* "expected: " or "actual: " before a failed step's,
			 * which go between the lifelines. */
			w = text_w(t) + (k ? 10 * CHAR_W : 0);
			if ((k || is_segment(kind)) && w > segs)
				segs = w;
			if (!k && !is_segment(kind) && w > calls)
				calls = w;
		}
	}
	if (calls < STATE_W / 2)
		calls = STATE_W / 2;
	l->stack_x = MARGIN + NUM_W + calls + 24;
	l->peer_x = l->stack_x + (segs + 60 > SPAN_MIN ? segs + 60 : SPAN_MIN);
	l->width = l->peer_x + 110;
	l->height = HEAD + 40;
	for (size_t i = 0; i < n; i++)
		l->height += row_height(e, i);
	if (diagram_lost(dg))
		l->height += ROW;
	/* atan(t) for the small t here (under 0.05) without libm: the
	 * next term of the series is under 1e-7. */
	slope = SLOPE / (l->peer_x - l->stack_x);
	l->angle = (slope - slope * slope * slope / 3) * 180.0 /
		   3.14159265358979;
}

static void put_head(FILE *out, const struct diagram *dg,
		     const struct layout *l)
{
	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
		"width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		"font-family=\"%s\" font-size=\"%d\">\n",
		l->width, l->height, l->width, l->height, FONT, FONT_SIZE);
	fputs("<title>", out);
	put_text(out, diagram_title(dg));
	fputs(": ladder diagram</title>\n", out);
	/* Arrow heads: one per colour (markers do not take the line's). */
	fprintf(out,
		"<defs>\n"
		"<marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" "
		"refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" "
		"orient=\"auto\"><path d=\"M0,1 L10,5 L0,9 z\" "
		"fill=\"%s\"/></marker>\n"
		"<marker id=\"head-red\" viewBox=\"0 0 10 10\" refX=\"10\" "
		"refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" "
		"orient=\"auto\"><path d=\"M0,1 L10,5 L0,9 z\" "
		"fill=\"%s\"/></marker>\n"
		"</defs>\n",
		INK, RED);
	fputs("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n", out);
	fprintf(out, "<text x=\"%.0f\" y=\"24\" font-weight=\"bold\" "
		     "font-size=\"14\">",
		MARGIN);
	put_text(out, diagram_title(dg));
	fputs("</text>\n", out);
	fprintf(out,
		"<text x=\"%.1f\" y=\"56\" text-anchor=\"middle\" "
		"font-weight=\"bold\">stack under test</text>\n"
		"<text x=\"%.1f\" y=\"56\" text-anchor=\"middle\" "
		"font-weight=\"bold\">tcpcheck (peer)</text>\n"
		"<text x=\"%.1f\" y=\"56\" text-anchor=\"end\" "
		"fill=\"%s\">time (s)</text>\n",
		l->stack_x, l->peer_x, MARGIN + 11 * CHAR_W, FAINT);
	fprintf(out,
		"<g stroke=\"%s\" stroke-width=\"2\">"
		"<line x1=\"%.1f\" y1=\"64\" x2=\"%.1f\" y2=\"%.1f\"/>"
		"<line x1=\"%.1f\" y1=\"64\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n",
		FAINT, l->stack_x, l->stack_x, l->height - 20, l->peer_x,
		l->peer_x, l->height - 20);
}

/* An arrow from one lifeline to the other, starting at y and dropping
 * SLOPE, with its text along it; label ("expected: ") before the text. */
static void put_arrow(FILE *out, const struct layout *l, enum diagram_kind k,
		      double y, const char *label, const char *text,
		      const char *colour, bool dashed)
{
	double x1 = k == DIAGRAM_OUT ? l->stack_x : l->peer_x;
	double x2 = k == DIAGRAM_OUT ? l->peer_x : l->stack_x;
	double mx = (l->stack_x + l->peer_x) / 2, my = y + SLOPE / 2;
	bool red = strcmp(colour, RED) == 0;

	/* The head ends on the lifeline's edge, not under it. */
	x2 += k == DIAGRAM_OUT ? -2 : 2;
	fprintf(out,
		"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"%s\" stroke-width=\"1.5\"%s "
		"marker-end=\"url(#%s)\"/>\n",
		x1, y, x2, y + SLOPE, colour,
		dashed ? " stroke-dasharray=\"6,4\"" : "",
		red ? "head-red" : "head");
	fprintf(out,
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		"fill=\"%s\" transform=\"rotate(%.2f %.1f %.1f)\">",
		mx, my - 5, colour, l->angle * (k == DIAGRAM_OUT ? 1 : -1), mx,
		my);
	if (label)
		put_text(out, label);
	put_text(out, text);
	fputs("</text>\n", out);
}

/* A call (or a note) on the stack's lifeline: a dot, its text left of
 * it; a failed step's goes right of it, where there is room. */
static void put_call(FILE *out, const struct layout *l, double y,
		     const char *label, const char *text, const char *colour)
{
	fprintf(out,
		"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n"
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
		"fill=\"%s\">",
		l->stack_x, y, colour, l->stack_x + (label ? 12 : -10), y + 4,
		label ? "start" : "end", colour);
	if (label)
		put_text(out, label);
	put_text(out, text);
	fputs("</text>\n", out);
}

static void put_state(FILE *out, const struct layout *l, double y, int state,
		      bool failed)
{
	fprintf(out,
		"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" "
		"rx=\"4\" fill=\"%s\" stroke=\"%s\"/>\n"
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
		"fill=\"%s\">%s</text>\n",
		l->stack_x - STATE_W / 2, y, STATE_W, STATE_H, STATE_FILL,
		failed ? RED : STATE_EDGE, l->stack_x, y + 13,
		failed ? RED : INK, diagram_state_name(state));
}

/* One row's number and time, left of everything, each right-aligned. */
static void put_when(FILE *out, size_t number, double secs, double y,
		     const char *colour)
{
	fprintf(out,
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
		"fill=\"%s\">%zu.</text>"
		"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
		"fill=\"%s\">%.3f</text>\n",
		MARGIN + 3 * CHAR_W, y + 4, colour, number,
		MARGIN + 11 * CHAR_W, y + 4, colour, secs);
}

static void put_step(FILE *out, const struct layout *l,
		     const struct diagram_entry *e, size_t number, double y)
{
	put_when(out, number, e->secs, y + SLOPE / 2, FAINT);
	if (is_segment(e->kind))
		put_arrow(out, l, e->kind, y, NULL, e->text, INK, false);
	else
		put_call(out, l, y + SLOPE / 2, NULL, e->text, INK);
}

/* Expected (dashed) over actual (solid), both red. */
static void put_failed(FILE *out, const struct layout *l,
		       const struct diagram_entry *e, size_t number, double y)
{
	enum diagram_kind want_kind = e->kind, got_kind = e->kind;
	const char *want = diagram_failed_text(e->expected, &want_kind);
	const char *got = diagram_failed_text(e->actual, &got_kind);
	double y2 = y + ROW + 10;

	put_when(out, number, e->secs, y + SLOPE / 2, RED);
	fprintf(out,
		"<text x=\"%.0f\" y=\"%.1f\" fill=\"%s\" "
		"font-weight=\"bold\">FAILED</text>\n",
		MARGIN + 2 * CHAR_W, y2 + SLOPE / 2 + 4, RED);
	if (is_segment(want_kind))
		put_arrow(out, l, want_kind, y, "expected: ", want, RED, true);
	else
		put_call(out, l, y + SLOPE / 2, "expected: ", want, RED);
	if (!strcmp(got, "nothing")) {
		/* Nothing came where a segment was due: a cross where it
		 * would have started. */
		double x = want_kind == DIAGRAM_IN ? l->peer_x : l->stack_x;
		double cy = y2 + SLOPE / 2;

		fprintf(out,
			"<path d=\"M%.1f,%.1f l10,10 m0,-10 l-10,10\" "
			"stroke=\"%s\" stroke-width=\"2\"/>\n"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
			"fill=\"%s\">actual: nothing was sent</text>\n",
			x - 5, cy - 5, RED, (l->stack_x + l->peer_x) / 2,
			cy + 4, RED);
	} else if (is_segment(got_kind)) {
		put_arrow(out, l, got_kind, y2, "actual: ", got, RED, false);
	} else {
		put_call(out, l, y2 + SLOPE / 2, "actual: ", got, RED);
	}
}

int diagram_write_svg(FILE *out, const struct diagram *dg)
{
	size_t n;
	const struct diagram_entry *e = diagram_entries(dg, &n);
	struct layout l;
	double y = HEAD;

	measure(dg, &l);
	put_head(out, dg, &l);
	for (size_t i = 0; i < n; i++) {
		if (e[i].expected)
			put_failed(out, &l, &e[i], i + 1, y);
		else
			put_step(out, &l, &e[i], i + 1, y);
		y += row_height(e, i) - (state_changes(e, i) ? ROW_STATE : 0);
		if (state_changes(e, i)) {
			put_state(out, &l, y - 8, e[i].state,
				  e[i].expected != NULL);
			y += ROW_STATE;
		}
	}
	if (diagram_lost(dg))
		fprintf(out,
			"<text x=\"%.0f\" y=\"%.1f\" fill=\"%s\">(%zu more "
			"steps lost: out of memory)</text>\n",
			MARGIN, y + 10, RED, diagram_lost(dg));
	fputs("</svg>\n", out);
	if (fflush(out) || ferror(out))
		return -1;
	return 0;
}
