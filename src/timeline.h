/* The semantic pass: turns the AST into a validated list of timed events
 * the scheduler can run without further checks. */
#ifndef TCPCHECK_TIMELINE_H
#define TCPCHECK_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "script.h"
#include "sockstate.h"

struct prepared_call;

/* The longest sequence a tcp_states() line may name. */
#define TL_STATES_MAX 16

enum tl_kind {
	TL_INBOUND,  /* inject a TCP segment */
	TL_OUTBOUND, /* expect a TCP segment from the stack */
	TL_SYSCALL,
	TL_STATE,    /* tcp_state([fd]) = NAME */
	TL_STATES,   /* tcp_states([fd]) = NAME NAME ... */
	TL_COMMAND,
	TL_CODE,     /* %{ }%: snapshot now, python after the last event */
};

struct tl_event {
	enum tl_kind kind;
	const struct event *ev; /* the AST: locations and packet specs */
	enum time_kind time_kind;
	int64_t start_usecs; /* absolute, or the offset of a relative time */
	int64_t end_usecs;   /* window or blocking end (same base) */
	bool window;         /* a~b: the event may happen in [a, b] */
	bool blocking;       /* a...b: a call that returns at b */
	struct prepared_call *call; /* TL_SYSCALL */
	struct {
		bool has_fd;
		int fd;
		enum tcp_state_id state; /* TL_STATE */
		/* TL_STATES: the new states, in order */
		size_t count;
		enum tcp_state_id seq[TL_STATES_MAX];
		struct src_loc seq_loc; /* from the first name to the last */
	} state; /* TL_STATE, TL_STATES */
};

struct timeline {
	size_t count;
	struct tl_event *events;
};

/* Validate every event of s and fill tl; the first problem becomes an
 * EXIT_USAGE diag at its location. */
int timeline_build(const struct script *s, const struct config *c,
		   struct timeline *tl, struct diag *d);
/* --check: the same pass over every event, each problem reported (d in
 * all-errors mode) instead of only the first; tl keeps every event, the
 * bad ones too. skip (NULL: none) leaves events out: a syntax error
 * inside them was reported already. whole: no line before the first
 * event was lost to a syntax error, so it must be at time 0 and a script
 * without events is an error. Returns -1 if any problem was found. */
int timeline_check_all(const struct script *s, const struct config *c,
		       const bool *skip, bool whole, struct timeline *tl,
		       struct diag *d);
void timeline_free(struct timeline *tl);

#endif
