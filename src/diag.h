/* Error records: a location in a script, a message, and the expected and
 * actual events; the only way errors travel between tcpcheck's parts. */
#ifndef TCPCHECK_DIAG_H
#define TCPCHECK_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses, the automake test-driver convention (DESIGN.md, 5). */
enum exit_status {
	EXIT_PASS = 0,
	EXIT_FAIL = 1,     /* the stack did something the script did not say */
	EXIT_USAGE = 2,    /* bad command line, parse or semantic error */
	EXIT_SKIP = 77,    /* a requirement is missing (privileges, a feature) */
	EXIT_INTERNAL = 99 /* tcpcheck itself failed */
};

/* A span of script text; line and col count from 1, 0 means "no location".
 * file indexes the script's table of files (struct src_file): 0 is the
 * script itself, others are files it included. */
struct src_loc {
	int first_line;
	int first_col;
	int last_line;
	int last_col;
	int file;
};

/* One file of a script, for diagnostics: the name they give it, its text
 * for caret lines, and the include line that pulled it in (in a file
 * before it in the table; no location for the script itself). */
struct src_file {
	char *name;
	char *text;
	struct src_loc included_from;
};

#define DIAG_TEXT_MAX 1024
#define DIAG_COLUMNS_MAX 64

/* One field of an expected/actual pair of segments: a span of each line
 * (length 0: the field is missing on that side). */
struct diag_column {
	uint16_t exp_at, exp_len;
	uint16_t act_at, act_len;
	bool mark; /* the two differ where the script constrains them */
	bool glue; /* the next field follows without a space: list items */
};

/* All-errors mode (--check): every error recorded, not only the first. */
struct diag_record {
	enum exit_status status;
	struct src_loc loc;
	char *message;
};

struct diag_list {
	struct diag_record *items;
	size_t count, cap;
	size_t lost; /* records dropped for want of memory */
};

struct diag {
	enum exit_status status; /* EXIT_PASS while no error was recorded */
	struct src_loc loc;
	char message[DIAG_TEXT_MAX];
	char expected[DIAG_TEXT_MAX]; /* optional: the scripted event */
	char actual[DIAG_TEXT_MAX];   /* optional: what happened */
	char trace[DIAG_TEXT_MAX];    /* optional: the state trace so far */
	/* Expected and actual built field by field (diag_pair_add): printed
	 * aligned, with the differing fields marked. 0: printed as they
	 * are. */
	int columns;
	struct diag_column column[DIAG_COLUMNS_MAX];
	/* Whether the last diag_set was the one kept: expected/actual lines
	 * go with it only then. */
	int detail_open;
	/* Set when the failure is tcpcheck's own (it acted late): the run
	 * says nothing about the stack and may be repeated. */
	int tool_late;
	/* NULL: first-error mode. Else every diag_set is also appended
	 * here, while the fields above still keep the first. */
	struct diag_list *all;
};

/* Every function that can fail returns 0 on success and -1 after filling a
 * diag with this; the first error recorded wins, later ones are dropped so
 * that cleanup paths cannot overwrite the cause. */
int diag_set(struct diag *d, enum exit_status status,
	     const struct src_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int diag_vset(struct diag *d, enum exit_status status,
	      const struct src_loc *loc, const char *fmt, va_list ap);

/* Add the "expected"/"actual" lines to an error already set. */
void diag_expected(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void diag_actual(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The trace line of an error already set. */
void diag_trace(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Build the expected and actual lines of an error already set field by
 * field, so that diag_print can line them up: each call appends one
 * field to both (exp or act NULL or "": missing on that side), with a
 * space before it unless the field before was glued to it. */
void diag_pair_begin(struct diag *d);
void diag_pair_add(struct diag *d, const char *exp, const char *act,
		   bool mark, bool glue);

/* The aligned lines of a pair: every field padded to the wider of its two
 * sides (a field missing on one side leaves blanks), and in marks "^~~"
 * under each marked field ("" when none is); trailing blanks dropped.
 * Each buffer has len bytes; 2 * DIAG_TEXT_MAX always fits. */
void diag_pair_align(const struct diag *d, char *exp, char *act, char *marks,
		     size_t len);

void diag_clear(struct diag *d);

/* Sort by position (records without one first), keeping the order of
 * records at one place, and drop repeats of a record. */
void diag_list_sort(struct diag_list *l);
void diag_list_free(struct diag_list *l);

static inline int diag_failed(const struct diag *d)
{
	return d->status != EXIT_PASS;
}

/* Print as
 *   file:line:col: error: message
 *    source line
 *    ^~~~~
 *   expected: ...
 *   actual:   ...
 *             ^~~~~   (under the fields that differ, for a pair)
 *   trace:    ...
 * source is the whole script text (may be NULL: no source line). */
void diag_print(FILE *out, const struct diag *d, const char *file,
		const char *source);
/* One record of a list, the same way (it has no expected/actual). */
void diag_print_record(FILE *out, const struct diag_record *r,
		       const char *file, const char *source);

/* The same for a script made of several files: the location names its
 * file, and each include line that led there follows as a note,
 * innermost first:
 *   file:line:col: note: included from here
 *    source line
 *    ^~~~~~~ */
void diag_print_files(FILE *out, const struct diag *d,
		      const struct src_file *files, size_t count);
/* One record of a list, the same way. */
void diag_print_record_files(FILE *out, const struct diag_record *r,
			     const struct src_file *files, size_t count);

#endif
