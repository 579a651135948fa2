/* What the batch runner's files share: captured output, sibling files,
 * and the verdict of a finished run. */
#ifndef TCPCHECK_BATCH_INTERNAL_H
#define TCPCHECK_BATCH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "batch.h"

/* A run's stdout or stderr beyond this is dropped: a -v log can be long,
 * and hundreds of runs are kept until the end for JUnit. */
#define BATCH_OUTPUT_MAX (16u << 20)

/* What a run printed on one of its streams. */
struct batch_text {
	char *data; /* NUL-terminated once anything was added */
	size_t len;
	size_t cap;
	bool truncated;
};

void batch_text_add(struct batch_text *t, const char *p, size_t n);
const char *batch_text_str(const struct batch_text *t);
/* Say so at the end if some of the text was dropped. */
void batch_text_close(struct batch_text *t);
/* The text as an owned string (the text is left empty); NULL without
 * memory. */
char *batch_text_take(struct batch_text *t);

/* x.pkt -> x.ext (malloc'd); NULL for a name without .pkt or without
 * memory. */
char *batch_sibling(const char *path, const char *ext);

/* The verdict of a run from how its child ended (timeout: the seconds of
 * --timeout when it was killed for it, else 0) and what it printed; the
 * diagnostic goes to diag. */
int batch_judge(const struct batch_job *j, int wait_status, unsigned timeout,
		const struct batch_text *out, const struct batch_text *err,
		FILE *diag);

#endif
