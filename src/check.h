/* One script from file to verdict: parse, configure, validate, and run it
 * in a child process inside its own network namespace. */
#ifndef TCPCHECK_CHECK_H
#define TCPCHECK_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "script.h"

/* An option given on the command line, re-applied after the script's own
 * option lines so that the command line wins. */
struct cli_option {
	const char *name;
	const char *value;
};

struct check_params {
	const struct cli_option *options;
	size_t option_count;
	const struct script_define *defines;
	size_t define_count;
	/* --pcap: the run's packets go to this file (NULL: none); it is
	 * made or emptied once the script is known to be valid, before it
	 * runs. */
	const char *pcap_file;
	bool parse_only;
	bool dump_ast;
	int verbose;
	/* Ladder diagrams: --diagram prints the text one (on stdout when
	 * the run passes, on stderr after the diagnostic when it fails),
	 * diagram_svg names the file for --diagram=svg FILE. Without either,
	 * a failed run's text diagram still follows its diagnostic when
	 * stderr is a terminal, unless --diagram=off. */
	bool diagram_text;
	bool diagram_off;
	const char *diagram_svg;
	/* --compare: the run's diagram steps are written to this file, one
	 * line each (compare.c reads them); NULL: not. */
	FILE *record;
	/* Batch runs (batch.c): the namespace is made while the batch waits
	 * for a free place; the run starts once a byte arrives on gate_fd,
	 * and its final exit status goes out as one byte on done_fd as soon
	 * as it is known, before the namespace is torn down. */
	bool gated;
	int gate_fd;
	int done_fd;
};

/* Returns the exit status for this script (enum exit_status). */
int check_script(const char *path, const struct check_params *p);

/* --compare=A,B (compare.c): run the script on stacks A and B ("kernel"
 * or a plugin) and print where their steps first differ: a segment sent,
 * a call's or a segment's place, the stack's state after a step. Returns
 * 0 when they agree, 1 when they differ, else the worse run status. */
int check_compare(const char *path, const char *stacks,
		  const struct check_params *p);

#endif
