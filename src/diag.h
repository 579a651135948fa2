/* Error records: a location in a script, a message, and the expected and
 * actual events; the only way errors travel between tcpcheck's parts. */
#ifndef TCPCHECK_DIAG_H
#define TCPCHECK_DIAG_H

#include <stdarg.h>
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

struct diag {
	enum exit_status status; /* EXIT_PASS while no error was recorded */
	struct src_loc loc;
	char message[DIAG_TEXT_MAX];
	char expected[DIAG_TEXT_MAX]; /* optional: the scripted event */
	char actual[DIAG_TEXT_MAX];   /* optional: what happened */
	/* Whether the last diag_set was the one kept: expected/actual lines
	 * go with it only then. */
	int detail_open;
	/* Set when the failure is tcpcheck's own (it acted late): the run
	 * says nothing about the stack and may be repeated. */
	int tool_late;
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

void diag_clear(struct diag *d);

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
 * source is the whole script text (may be NULL: no source line). */
void diag_print(FILE *out, const struct diag *d, const char *file,
		const char *source);

/* The same for a script made of several files: the location names its
 * file, and each include line that led there follows as a note,
 * innermost first:
 *   file:line:col: note: included from here
 *    source line
 *    ^~~~~~~ */
void diag_print_files(FILE *out, const struct diag *d,
		      const struct src_file *files, size_t count);

#endif
