/* A stack under test loaded as a plugin (<tcpcheck/stack.h>): finding and
 * loading it, its clock, and the queue of what it sends. */
#ifndef TCPCHECK_PLUGIN_H
#define TCPCHECK_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "diag.h"
#include "sockstate.h"
#include "tcpcheck/stack.h"

struct plugin;
struct call_outcome;

/* --stack=NAME or PATH: a value with a '/' is a file; a name is looked up
 * as NAME.so in each directory of $TCPCHECK_STACK_PATH, then beside an
 * uninstalled tcpcheck (src/stacks/NAME/NAME.so), then in STACKDIR.
 * "kernel" is not a plugin (the caller knows). Writes the file found to
 * path. Returns 0, or -1 with d set (EXIT_USAGE: not found). */
int plugin_find(const char *spec, char *path, size_t len, struct diag *d);

/* dlopen the file and fill the table through its entry point; checks the
 * version and the required operations. EXIT_USAGE on any problem. */
int plugin_load(const char *path, struct plugin **out, struct diag *d);

/* Make the stack (ops->open). verbose: its log lines go to stdout. */
int plugin_open(struct plugin *p, const struct tcpcheck_stack_config *cfg,
		bool verbose, struct diag *d);

/* ops->close, dlclose, free. NULL is fine. */
void plugin_free(struct plugin *p);

const char *plugin_name(const struct plugin *p);
bool plugin_virtual(const struct plugin *p);

/* The stack's clock, ns: virtual time, or CLOCK_MONOTONIC. */
int64_t plugin_now(const struct plugin *p);
/* Virtual time: when the stack's next timer is due, or -1. */
int64_t plugin_next_timer(const struct plugin *p);
/* Move the clock forward to t (virtual time; running every timer due on
 * the way, each at its time), or let the stack catch up with real time.
 * Either way it returns with the clock at t or later, or at the first
 * time something was sent, when stop_on_output. */
void plugin_advance(struct plugin *p, int64_t t, bool stop_on_output);

int plugin_inject(struct plugin *p, const void *datagram, size_t len,
		  struct diag *d);

/* The oldest datagram the stack sent and nobody took yet: 1 and its
 * bytes (valid until the next call) and time, or 0. */
int plugin_next_output(struct plugin *p, const uint8_t **bytes,
		       size_t *len, int64_t *ts);
/* Datagrams waiting; the time of the oldest in *ts. */
size_t plugin_output_waiting(struct plugin *p, int64_t *ts);

/* tcp_state / tcp_state_tuple, in tcpcheck's enum. */
int plugin_state_fd(struct plugin *p, int fd, enum tcp_state_id *st,
		    struct diag *d);
int plugin_state_tuple(struct plugin *p, const struct sockaddr *local,
		       const struct sockaddr *remote, enum tcp_state_id *st,
		       struct diag *d);

/* Make a resolved system call on the stack (syscalls/exec.c calls it in
 * place of the kernel's): returns what the call returns, -1 with errno,
 * or TCPCHECK_STACK_ASLEEP. A call the stack has no operation for fails
 * with ENOSYS; plugin_lacks says whether that is why. */
long plugin_perform(struct plugin *p, const char *call,
		    struct call_outcome *o);
bool plugin_lacks(const struct plugin *p, const char *call);

#endif
