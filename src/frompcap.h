/* --from-pcap: a draft script for one TCP connection of a capture, seen
 * from the stack under test. */
#ifndef TCPCHECK_FROMPCAP_H
#define TCPCHECK_FROMPCAP_H

#include <stdio.h>

#include "diag.h"

struct frompcap_options {
	const char *file;       /* the capture (pcap or pcapng) */
	const char *stack_side; /* "ADDR:PORT", "[ADDR6]:PORT"; NULL: guess */
	unsigned connection;    /* 1-based, in order of first segment; 0: none */
	const char *out;        /* the draft's file; NULL: stdout */
};

/* Read the capture, pick the connection and its stack side, and write the
 * draft. Warnings (packets skipped) and, when the capture holds several
 * connections and none was picked, their list go to err. Returns 0, or -1
 * with d set (EXIT_USAGE for everything the user can fix: a file that is
 * not a capture, no TCP in it, a connection or stack side that does not
 * exist; EXIT_INTERNAL when the draft cannot be written). */
int frompcap_run(const struct frompcap_options *o, FILE *err, struct diag *d);

#endif
