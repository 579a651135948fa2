/* Ladder diagrams of a run (RFC 9293 section 3.5 style): the steps the
 * scheduler records, drawn as text or as an SVG picture. */
#ifndef TCPCHECK_DIAGRAM_H
#define TCPCHECK_DIAGRAM_H

#include <stddef.h>
#include <stdio.h>

/* What a step is, and which way a segment went. */
enum diagram_kind {
	DIAGRAM_OUT,  /* a segment the stack sent: stack --> peer */
	DIAGRAM_IN,   /* a segment tcpcheck injected: stack <-- peer */
	DIAGRAM_CALL, /* a system call, in the stack's column */
	DIAGRAM_NOTE, /* anything else (a command, a state check) */
};

/* No state known for a step. */
#define DIAGRAM_STATE_UNKNOWN (-1)

/* One step, as the scheduler hands it over. The diagram copies the text,
 * so the caller's buffers may be reused at once. state is an enum
 * tcp_state_id (sockstate.h) or DIAGRAM_STATE_UNKNOWN: where it comes
 * from (a readout after the step, a trace of the kernel's changes) is
 * the caller's business. */
struct diagram_step {
	double secs; /* since the script's time 0 */
	enum diagram_kind kind;
	const char *text; /* a segment in script syntax without '<'/'>' */
	int state;        /* of the stack's connection after the step */
	/* A sent segment with every field (as -v prints it, without "> "),
	 * for diagram_write_record; NULL: text says it all. */
	const char *detail;
};

struct diagram;

/* title names the run (the script's path). NULL when out of memory. */
struct diagram *diagram_new(const char *title);
void diagram_free(struct diagram *dg);

/* Append a step; 0, or -1 when out of memory (the step is then left out
 * and the diagram says so at its end). */
int diagram_step(struct diagram *dg, const struct diagram_step *s);

/* The step that failed, with what the script expected and what happened
 * instead (script syntax; a segment may keep its leading "> " or "< ").
 * It ends the diagram: steps recorded after it are dropped. */
int diagram_fail(struct diagram *dg, const struct diagram_step *s,
		 const char *expected, const char *actual);

size_t diagram_count(const struct diagram *dg);

/* Two columns, the stack under test on the left, tcpcheck as its peer on
 * the right, one numbered line per step:
 *    3.  0.000  SYN_RECV     --> S. 0:0(0) ack 1                 -->
 * and for a failed step an "expected" and an "actual" line. */
void diagram_print_text(FILE *out, const struct diagram *dg);

/* The same as a standalone SVG 1.1 document (diagram_svg.c). Returns 0,
 * or -1 with errno when out cannot be written. */
int diagram_write_svg(FILE *out, const struct diagram *dg);

/* The steps for a program to read: one line each, tab-separated:
 * kind (out, in, call, note), state name, time, text (a sent segment's
 * detail where it has one), expected, actual (the last two empty but for
 * a failed step); tabs and newlines in the texts become spaces. */
void diagram_write_record(FILE *out, const struct diagram *dg);

/* --- for diagram_svg.c ---------------------------------------------------- */

struct diagram_entry {
	double secs;
	enum diagram_kind kind;
	int state;
	char *text;
	char *detail; /* NULL: none */
	/* A failed step: both set (text is then the actual one). */
	char *expected;
	char *actual;
};

const struct diagram_entry *diagram_entries(const struct diagram *dg,
					    size_t *count);
const char *diagram_title(const struct diagram *dg);
/* Steps lost to a lack of memory. */
size_t diagram_lost(const struct diagram *dg);
/* A state's name for the drawing: "ESTABLISHED", or "?" when unknown. */
const char *diagram_state_name(int state);
/* A failed step's expected or actual text: a segment when it starts with
 * "> " or "< " (*kind then says which way, and the text is returned
 * without it), else a note (a message, a call's text) on the stack's
 * side. *kind comes in as the step's own. */
const char *diagram_failed_text(const char *text, enum diagram_kind *kind);

#endif
