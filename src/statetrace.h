/* The state trace: every state change of a run's connections, with its
 * time, from the sock:inet_sock_set_state tracepoint, else by sampling
 * over sock_diag. */
#ifndef TCPCHECK_STATETRACE_H
#define TCPCHECK_STATETRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "diag.h"
#include "sockstate.h"

/* The tool's ports of a run that uses the tracepoint: a block of its own
 * among all tcpcheck runs on the machine, so that a filter on the
 * sockets' remote port keeps every other run's events out. Blocks start
 * above 49152, where runs without the trace put their tool's port. */
#define STATETRACE_PORT_BASE 50000
#define STATETRACE_PORT_BLOCK 64
#define STATETRACE_PORT_BLOCKS 240

/* One change, as RFC 9293 names the states (statetrace.c says how the
 * kernel's events map to them). */
struct statetrace_change {
	int64_t time;         /* CLOCK_MONOTONIC ns */
	uint16_t local_port;  /* the stack's; 0: none chosen yet */
	uint16_t remote_port; /* the tool's */
	enum tcp_state_id from, to;
	bool sampled; /* seen by sock_diag: time is when it was looked at */
};

struct statetrace_params {
	int socket_family; /* the script's sockets (AF_INET6 when mapped) */
	const struct sockaddr *local;  /* the stack's address; port unused */
	const struct sockaddr *remote; /* the tool's */
	bool force_sampling;  /* --state_trace=sampling */
	const char *sample_why; /* non-NULL: sample, for this reason */
	const char *fixed_port; /* non-NULL: the script fixed the tool's
				 * port (the option's name); no block */
	/* A stack that is not the kernel: sample it with this (as
	 * sockstate_of_tuple would), at the times now() gives, and name
	 * the source so. NULL: the kernel. */
	int (*sample)(void *arg, const struct sockaddr *local,
		      const struct sockaddr *remote, enum tcp_state_id *st,
		      struct diag *d);
	int64_t (*now)(void);
	void *sample_arg;
	const char *sample_source;
};

struct statetrace;

/* Start recording. The tracepoint where tracefs lets us, else sampling;
 * fails only for want of memory. Call before entering the run's network
 * namespace; read and sample from inside it. */
int statetrace_open(struct statetrace **out, const struct statetrace_params *p,
		    struct diag *d);

/* "tracepoint" or "sock_diag sampling (<why>)". */
const char *statetrace_source(const struct statetrace *t);

/* With the tracepoint: the run's first tool port (block of
 * STATETRACE_PORT_BLOCK); 0 when sampling. */
uint16_t statetrace_first_port(const struct statetrace *t);

/* Bring the trace up to date: read what the tracepoint recorded, or
 * sample the connection from local_port to remote_port (0 and 0: no
 * connection yet). */
int statetrace_poll(struct statetrace *t, uint16_t local_port,
		    uint16_t remote_port, struct diag *d);

/* The changes so far, oldest first; the list only grows. */
size_t statetrace_count(const struct statetrace *t);
const struct statetrace_change *statetrace_get(const struct statetrace *t,
					       size_t i);

/* Stop and remove what the trace made. NULL is fine. */
void statetrace_close(struct statetrace *t);

#endif
