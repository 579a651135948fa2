/* The scheduler's shared state, split across run*.c by concern. */
#ifndef TCPCHECK_RUN_INTERNAL_H
#define TCPCHECK_RUN_INTERNAL_H

#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>

#include "code.h"
#include "conn.h"
#include "netns.h"
#include "run.h"
#include "sockstate.h"
#include "stats.h"
#include "syscalls/syscalls.h"

#define RUN_PENDING_MAX 8
/* Connections whose state checks a run remembers (run_states.c). */
#define RUN_VIEWS_MAX 16

struct statetrace;
struct plugin;

/* When one event is due: absolute CLOCK_MONOTONIC nanoseconds. */
struct slot {
	int64_t start, end; /* equal unless a window or a blocking call */
	int64_t tol;
	int64_t end_tol; /* a blocking call's return: from the gap to end */
	bool any; /* '*': no time check */
};

/* Where the last state check of one connection left its state trace:
 * tcp_states lists the changes after it. */
struct state_view {
	bool used;
	uint16_t local_port, remote_port; /* local 0: not known yet */
	int fd;      /* the script fd that last asked about it, or -1 */
	size_t next; /* the first change not seen by a check */
	bool has_last;
	enum tcp_state_id last; /* the state the last check found */
};

/* A call that went to sleep in the kernel and is judged when it returns. */
struct pending {
	struct worker *worker; /* the kernel's calls */
	struct call_outcome *vcall; /* a plugin stack's: tried again */
	int64_t wake_by; /* a plugin's poll: its timeout; -1: none */
	const struct tl_event *te;
	int64_t due;      /* when it should return */
	int64_t deadline; /* due + tolerance: failing it after */
	int64_t tol;
	bool blocking; /* written a...b; else it should not have slept */
	bool past_deadline; /* came back after its deadline had passed */
};

struct run {
	const struct run_input *in;
	struct plugin *stack; /* --stack: the plugin; NULL: the kernel */
	struct netns ns;
	struct sniff *sniff;
	struct sniff_dump *pcap; /* --pcap; NULL: none */
	int timer_fd; /* run_poll_until's clock */
	struct syscall_env env;
	struct conn conn;
	int64_t t0;          /* script time 0 */
	int64_t prev_sched;  /* when the previous event was due */
	int64_t prev_actual; /* when it happened: outbound events count from it */
	int64_t prev_anchor; /* what tcpcheck's own next action counts from */
	/* Where each included file's absolute times count from
	 * (event_timing.anchor); [0] unused. */
	int64_t *anchors;
	const struct tl_event *prev;
	struct pending pending[RUN_PENDING_MAX];
	int pending_count;
	struct stats sched_error; /* --stats: when acted - when due, ns */
	cpu_set_t usable; /* the run's CPUs, for set-up and commands */
	int pinned_cpu;   /* events run on this CPU (the keeper's); -1: any */
	bool private_tmp; /* /tmp writes stay with the run (scratch.c) */
	struct code_log *code; /* %{ }% snapshots (made at the first), run last */
	int code_fd; /* script fd of the socket under test (socket, accept) */
	int active_fd; /* script fd of the socket that opened the connection */
	uint32_t flowlabel_script, flowlabel_live; /* 0: none met yet */
	/* --diagram (run_diagram.c): the last outbound segment as the
	 * diagram shows it, and whether the connection has been seen. */
	char diagram_seg[256];
	char diagram_detail[512]; /* the same with every field */
	const struct tl_event *diagram_seg_te;
	int64_t diagram_seg_ts;
	bool diagram_connected;
	struct statetrace *trace; /* NULL: no state trace wanted */
	size_t trace_logged;      /* changes -v has printed */
	struct state_view views[RUN_VIEWS_MAX];
	unsigned view_next; /* the view to reuse when all are taken */
};

int64_t run_now(void);
int64_t run_ts_ns(const struct timespec *ts);
double run_secs(const struct run *r, int64_t abs_ns);
void run_describe_time(const struct tl_event *te, char *buf, size_t len);
void run_sleep_until(int64_t abs_ns);
int run_poll_until(struct run *r, struct pollfd *fds, int n, int64_t abs_ns);
int run_wait_until(struct run *r, int64_t abs_ns, struct diag *d);

/* run_packets.c */
int run_outbound(struct run *r, const struct tl_event *te,
		 const struct slot *s, struct diag *d);

/* run_diagram.c: no-ops without a diagram to feed. */
void run_diagram_segment(struct run *r, const struct tl_event *te,
			 const struct live_segment *l, int64_t ts);
void run_diagram_step(struct run *r, const struct tl_event *te);
void run_diagram_fail(struct run *r, const struct tl_event *te,
		      const struct diag *d);

/* run_calls.c */
int run_syscall(struct run *r, const struct tl_event *te,
		const struct slot *s, struct diag *d);
int run_pending_poll(struct run *r, int64_t now, struct diag *d);
int run_pending_fds(const struct run *r, struct pollfd *fds);
int64_t run_pending_deadline(const struct run *r, int64_t limit);
int run_pending_count(const struct run *r);
void run_pending_cancel(struct run *r);

/* The state of a connection, from the kernel or the plugin stack
 * (run_misc.c). */
int run_state_of_fd(struct run *r, int fd, enum tcp_state_id *st,
		    struct diag *d);
int run_state_of_tuple(struct run *r, const struct sockaddr *local,
		       const struct sockaddr *remote, enum tcp_state_id *st,
		       struct diag *d);

/* run_packets.c: a plugin stack's segments no outbound line took, sent
 * before due: dropped if not the script's connection, else a failure. */
int run_unexpected(struct run *r, const struct tl_event *te, int64_t due,
		   struct diag *d);

/* run_misc.c */
int run_state(struct run *r, const struct tl_event *te, const struct slot *s,
	      struct diag *d);
int run_command(struct run *r, const char *command,
		const struct src_loc *loc, struct diag *d);
void run_log(const struct run *r, int64_t when, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void run_log_packet(const struct run *r, int64_t when, const struct event *ev);

/* run_states.c */
int run_trace_open(struct run *r, struct diag *d);
void run_trace_describe(const struct run *r);
/* Read the trace (sample, without the tracepoint) and print what is new
 * with -v; after each event. */
int run_trace_poll(struct run *r, struct diag *d);
void run_trace_close(struct run *r);
/* Around a tcp_state check: the trace read up to now (call before
 * reading the state), then what the check found. */
size_t run_trace_mark(struct run *r, const struct tl_event *te,
		      struct diag *d);
void run_trace_checked(struct run *r, const struct tl_event *te,
		       size_t mark, enum tcp_state_id st);
int run_states(struct run *r, const struct tl_event *te,
	       const struct slot *s, struct diag *d);

#endif
