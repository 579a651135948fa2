/* %{ }% code events (SCRIPT-LANGUAGE.md 5): at the event's time, a
 * snapshot of the socket under test (TCP_INFO, TCP_CC_INFO, SO_MEMINFO);
 * after the script's last event, every snippet in order in one python3
 * process, each with its own snapshot's values defined. */
#ifndef TCPCHECK_CODE_H
#define TCPCHECK_CODE_H

#include <stddef.h>

#include "diag.h"
#include "script.h"

struct code_log;

/* NULL when out of memory. */
struct code_log *code_log_new(const char *script_path);
void code_log_free(struct code_log *log);
size_t code_log_count(const struct code_log *log);

/* Read the socket behind live fd now and keep it with the event's snippet.
 * script_fd names it in diagnostics. */
int code_snapshot(struct code_log *log, int fd, int script_fd,
		  const struct event *ev, struct diag *d);

/* Run the snippets in order; the first to raise fails the run at its
 * event (EXIT_FAIL), naming python's line and exception. Without python3
 * the run is skipped (EXIT_SKIP). What the snippets print goes to
 * stdout. */
int code_run(struct code_log *log, struct diag *d);

/* The program code_run hands to python3, NUL-terminated, for tests;
 * NULL when out of memory. The caller frees it. */
char *code_program(struct code_log *log);

#endif
