/* --check: every problem of a script that shows without running it. */
#ifndef TCPCHECK_LINT_H
#define TCPCHECK_LINT_H

#include <stddef.h>

#include "check.h"

/* Parse and check the script at path with p's defines and options (its
 * run settings: the IP version, ...), nothing run; print each problem to
 * stderr in the order of the text, then "path: N problems" when there
 * is one at least. Returns how many there are. */
size_t lint_file(const char *path, const struct check_params *p);

#endif
