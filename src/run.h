/* The scheduler: runs a validated timeline against the kernel in the
 * calling process's (fresh) network namespace. */
#ifndef TCPCHECK_RUN_H
#define TCPCHECK_RUN_H

#include <stdbool.h>

#include "config.h"
#include "diag.h"
#include "diagram.h"
#include "script.h"
#include "timeline.h"

/* A run in which tcpcheck itself acted late says nothing about the stack,
 * so it is made this many times at most (check.c). */
#define RUN_ATTEMPTS 3

/* A batch run's hand-over with its batch (batch.c): set up in the
 * background, the run waits for a byte on wait_fd before its time 0;
 * once its verdict is known it is reported and the batch may start the
 * next run while this one's namespace is still being torn down. */
struct run_gate {
	int wait_fd;
};

struct run_input {
	const struct script *script;
	const struct timeline *timeline;
	const struct config *config;
	const char *script_dir; /* commands run here, as the corpus expects */
	const struct run_gate *gate; /* NULL: start at once */
	/* --pcap: every packet of the run goes to the file open for writing
	 * on pcap_fd (sniff_dump.c), which stays the caller's. */
	bool pcap;
	int pcap_fd;
	/* Called once with the outcome, before the tear-down; may be NULL. */
	void (*verdict)(const struct diag *d, void *arg);
	void *verdict_arg;
	/* Each step goes here as it happens, and the failed one; NULL: no
	 * diagram (and no state readout after every event). */
	struct diagram *diagram;
};

/* Returns 0 when every event happened as scripted, else -1 with the first
 * failure in d. Call it in a child process: it enters a new network
 * namespace that the process cannot leave. */
int run_script(const struct run_input *in, struct diag *d);

#endif
