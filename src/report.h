/* Output formats for the results of many runs: one line per run, a
 * closing summary, TAP 13 and JUnit XML. Formats only: verdicts come in
 * the results. */
#ifndef TCPCHECK_REPORT_H
#define TCPCHECK_REPORT_H

#include <stddef.h>
#include <stdio.h>

/* One script run in one IP variant, as the batch runner finished it. */
struct run_result {
	const char *path;    /* as given or found, e.g. "testdata/x.pkt" */
	const char *variant; /* "ipv4", "ipv6", "ipv4-mapped-ipv6" */
	int status;          /* enum exit_status; EXIT_FAIL for a timeout */
	double seconds;      /* wall time of the run */
	const char *diagnostic; /* what it printed on stderr ("" if nothing) */
	const char *log;        /* what it printed on stdout (-v log, stats) */
	int timed_out;          /* killed after --timeout */
};

/* "testdata/x.pkt (ipv4)": the name a run has in every format. */
int report_run_name(const struct run_result *r, char *buf, size_t len);

/* The closing line, exactly "N passed, N failed, N skipped" (errors,
 * timeouts and internal errors count as failed). */
void report_summary(FILE *out, const struct run_result *r, size_t n);

/* TAP 13: the plan first, then one line per run as it finishes (number
 * = order of finishing), a YAML block with the diagnostic for failures,
 * "# SKIP reason" for skips. */
void report_tap_plan(FILE *out, size_t total);
void report_tap_result(FILE *out, size_t number, const struct run_result *r);

/* JUnit XML, the dialect Jenkins, GitLab and GitHub read: one <testsuite>
 * named "tcpcheck", one <testcase> per run named "<path> (<variant>)",
 * classname the script's directory, <failure message="first line">full
 * diagnostic</failure> for failures, <error> for script and internal
 * errors, <skipped message=...> for skips, <system-out> with the log.
 * Returns 0, or -1 with errno when the file cannot be written. */
int report_junit_write(const char *file, const struct run_result *r,
		       size_t n, double total_seconds);

#endif
