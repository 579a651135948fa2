/* System call events: every call runs on a worker thread so that a call
 * that sleeps in the kernel never stops the timeline. */
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "plugin.h"
#include "run_internal.h"

/* How long a call may take to either return or fall asleep before the
 * scheduler gives up on it: long, because on a loaded machine a call can
 * wait that long for a CPU, and one still running is neither. */
#define ASLEEP_WAIT_USECS 2000000

/* sendto or sendmsg with MSG_FASTOPEN in its flags, however written
 * (the corpus has "0x20000000" too). */
static bool sends_fastopen(const struct prepared_call *pc)
{
	const char *name = syscall_name(pc);
	int at = !strcmp(name, "sendto") ? 3 : !strcmp(name, "sendmsg") ? 2 : -1;
	long flags;

	return at >= 0 && syscall_int_arg(pc, at, &flags) == 0 &&
	       (flags & MSG_FASTOPEN);
}

static void note_connection(struct run *r, const struct prepared_call *pc)
{
	int fd = syscall_fd_arg(pc);

	/* A send opens a connection only as TCP Fast Open does, and only
	 * on a socket that has not opened one yet. */
	if (!strcmp(syscall_name(pc), "connect") ||
	    (sends_fastopen(pc) && fd != r->active_fd)) {
		/* A connect() after the socket's own sendto(MSG_FASTOPEN)
		 * (EALREADY) may find its SYN already sent: SYNs from the
		 * socket count from when it first opened a connection. */
		int64_t since = fd >= 0 && fd == r->active_fd
					? r->conn.active_since
					: run_now();

		conn_active_open(&r->conn, since);
		r->active_fd = fd;
	}
}

/* %{ }% code reads the newest socket that socket() or accept() gave the
 * script, as packetdrill's does. */
static void note_socket_under_test(struct run *r,
				   const struct prepared_call *pc,
				   const struct call_outcome *out)
{
	const char *name = syscall_name(pc);
	int fd = syscall_script_fd(pc);

	if (out->ret >= 0 && fd >= 0 &&
	    (!strcmp(name, "socket") || !strcmp(name, "accept") ||
	     !strcmp(name, "accept4")))
		r->code_fd = fd;
	/* A new socket under a number the script used before. */
	if (fd == r->active_fd)
		r->active_fd = -1;
}

/* Calls that never sleep in the kernel run inline: handing a call to a
 * worker thread and back costs tens of microseconds, which at the start
 * of a script (socket, bind, listen at +0) add up against every later
 * event. */
static bool never_blocks(const struct prepared_call *pc)
{
	static const char *const quick[] = {
		"socket", "bind", "listen", "setsockopt", "getsockopt",
		"fcntl", "shutdown", "epoll_create", "epoll_ctl",
		"ioctl",
	};
	const char *name = syscall_name(pc);

	for (size_t i = 0; i < sizeof(quick) / sizeof(quick[0]); i++)
		if (!strcmp(name, quick[i]))
			return true;
	return false;
}

/* How long a call found awake past its deadline (woken, waiting for a
 * CPU or on its way back) is given to come back before it is judged still
 * blocked. */
#define AWAKE_WAIT_USECS 500000

static int judge_return(struct run *r, const struct pending *p,
			const struct call_outcome *out, struct diag *d)
{
	/* When the kernel let it go: less the time the thread then waited
	 * for a CPU on a busy machine. */
	int64_t end = run_ts_ns(&out->end) - out->cpu_wait_ns;
	const struct tl_event *te = p->te;
	char tol[160];

	if (syscall_check(te->call, out, &r->env, d))
		return -1;
	note_socket_under_test(r, te->call, out);
	run_log(r, end, "%s returned %ld%s", syscall_name(te->call), out->ret,
		out->ret == -1 ? "" : " (live value)");
	if (p->past_deadline && !p->blocking && end > p->deadline)
		return diag_set(d, EXIT_FAIL, &te->ev->loc,
				"%s blocked; a call that blocks is written "
				"with its return time, start...end",
				syscall_name(te->call));
	if (!p->blocking || (end >= p->due - p->tol && end <= p->deadline))
		return 0;
	run_describe_tolerance(r, p->tol, p->gap, RUN_SINCE_TO_RETURN, tol,
			       sizeof(tol));
	return diag_set(d, EXIT_FAIL, &te->ev->loc,
			"timing error: %s returned %.6f s %s: at %.6f s, "
			"expected at %.6f s (tolerance %s)",
			syscall_name(te->call),
			(double)(end < p->due ? p->due - end : end - p->due) /
				1e9,
			end < p->due ? "early" : "late", run_secs(r, end),
			run_secs(r, p->due), tol);
}

static int finish(struct run *r, int i, struct diag *d)
{
	struct pending p = r->pending[i];
	struct call_outcome out;

	int rc;

	memmove(&r->pending[i], &r->pending[i + 1],
		(size_t)(r->pending_count - i - 1) * sizeof(r->pending[0]));
	r->pending_count--;
	if (!p.vcall) {
		worker_collect(p.worker, &out);
		return judge_return(r, &p, &out, d);
	}
	syscall_release(p.vcall);
	rc = judge_return(r, &p, p.vcall, d);
	free(p.vcall);
	return rc;
}

int run_pending_poll(struct run *r, int64_t now, struct diag *d)
{
	for (int i = 0; i < r->pending_count; i++) {
		struct pending *p = &r->pending[i];

		if (p->vcall) {
			struct call_outcome *o = p->vcall;

			syscall_perform(p->te->call, o);
			if (o->asleep && p->wake_by >= 0 && now >= p->wake_by) {
				/* poll's timeout: nothing became ready */
				o->asleep = false;
				o->ret = 0;
				o->err = 0;
				o->performed = true;
			}
			if (!o->asleep)
				return finish(r, i, d) ? -1
						       : run_pending_poll(r, now, d);
			if (now <= p->deadline)
				continue;
		} else if (worker_done(p->worker)) {
			return finish(r, i, d) ? -1 : run_pending_poll(r, now, d);
		} else if (now <= p->deadline) {
			continue;
		} else if (worker_wait_asleep(p->worker, AWAKE_WAIT_USECS) ==
			   WORKER_DONE) {
			/* Past its time but no longer asleep in the kernel:
			 * it was woken and waits for a CPU; its own clock
			 * will tell when. */
			p->past_deadline = true;
			return finish(r, i, d) ? -1 : run_pending_poll(r, now, d);
		}
		if (p->blocking) {
			char when[96], tol[160];

			run_describe_time(p->te, when, sizeof(when));
			run_describe_tolerance(r, p->tol, p->gap,
					       RUN_SINCE_TO_RETURN, tol,
					       sizeof(tol));
			return diag_set(d, EXIT_FAIL, &p->te->ev->loc,
					"%s was still blocked %.6f s after "
					"its return time (expected %s, "
					"tolerance %s)",
					syscall_name(p->te->call),
					(double)p->tol / 1e9, when, tol);
		}
		return diag_set(d, EXIT_FAIL, &p->te->ev->loc,
				"%s blocked; a call that blocks is written "
				"with its return time, start...end",
				syscall_name(p->te->call));
	}
	return 0;
}

int run_pending_fds(const struct run *r, struct pollfd *fds)
{
	for (int i = 0; i < r->pending_count; i++) {
		fds[i].fd = r->pending[i].vcall ? -1
						: worker_fd(r->pending[i].worker);
		fds[i].events = POLLIN;
	}
	return r->pending_count;
}

int64_t run_pending_deadline(const struct run *r, int64_t limit)
{
	for (int i = 0; i < r->pending_count; i++)
		if (r->pending[i].deadline + 1 < limit)
			limit = r->pending[i].deadline + 1;
	return limit;
}

int run_pending_count(const struct run *r)
{
	return r->pending_count;
}

void run_pending_cancel(struct run *r)
{
	for (int i = 0; i < r->pending_count; i++) {
		struct call_outcome out;

		if (r->pending[i].vcall) {
			syscall_release(r->pending[i].vcall);
			free(r->pending[i].vcall);
			continue;
		}
		worker_cancel(r->pending[i].worker);
		worker_collect(r->pending[i].worker, &out);
	}
	r->pending_count = 0;
}

/* Calls due back by the time the next one starts come back first, as the
 * script orders them: "+0...0.010 poll([{fd=3, ...}], ...)" then, at
 * 0.010, "+0 close(3)". On a busy machine the kernel may have woken the
 * poll's thread without it having run yet; closing the fd under it would
 * make the poll report POLLNVAL (seen in the corpus's fast open client
 * scripts at -j 8). So wait for them, each until its own deadline, past
 * which run_pending_poll judges it as usual. */
static int settle_due(struct run *r, int64_t start, struct diag *d)
{
	for (;;) {
		int64_t now = run_now();
		const struct pending *due = NULL;
		struct pollfd pfd;
		int64_t left;

		if (run_pending_poll(r, now, d))
			return -1;
		for (int i = 0; i < r->pending_count; i++)
			if (r->pending[i].due <= start &&
			    (!due || r->pending[i].deadline < due->deadline))
				due = &r->pending[i];
		if (!due)
			return 0;
		pfd.fd = worker_fd(due->worker);
		pfd.events = POLLIN;
		left = due->deadline + 1 - now;
		(void)poll(&pfd, 1, left > 0 ? (int)(left / 1000000 + 1) : 0);
	}
}

/* On a plugin stack: inline, in its time; a call it says would sleep is
 * tried again after each step of the clock (run_pending_poll). */
static int plugin_syscall(struct run *r, const struct tl_event *te,
			  struct pending *p, const struct slot *s,
			  struct diag *d)
{
	const char *name = syscall_name(te->call);
	struct call_outcome *out;
	long timeout;

	if (plugin_lacks(r->stack, name))
		return diag_set(d, EXIT_USAGE, &te->ev->loc,
				"the stack %s has no %s", plugin_name(r->stack),
				name);
	if (run_pending_poll(r, run_now(), d))
		return -1;
	if (r->pending_count == RUN_PENDING_MAX)
		return diag_set(d, EXIT_USAGE, &te->ev->loc,
				"too many blocking calls at once (%d)",
				RUN_PENDING_MAX);
	out = calloc(1, sizeof(*out));
	if (!out)
		return diag_set(d, EXIT_INTERNAL, &te->ev->loc,
				"out of memory");
	note_connection(r, te->call);
	r->prev_actual = run_now();
	r->prev_anchor = s->start;
	run_log(r, run_now(), "%s", syscall_text(te->call));
	run_trace_acted(r, te, run_now());
	syscall_resolve(te->call, &r->env, out);
	syscall_perform(te->call, out);
	if (!out->asleep) {
		int rc;

		syscall_release(out);
		rc = judge_return(r, p, out, d);
		free(out);
		return rc;
	}
	p->vcall = out;
	p->due = te->blocking ? s->end : s->start;
	p->deadline = p->due + p->tol;
	p->wake_by = -1;
	if (!strcmp(name, "poll") && syscall_int_arg(te->call, 2, &timeout) == 0 &&
	    timeout > 0)
		p->wake_by = run_ts_ns(&out->start) + timeout * 1000000LL;
	r->pending[r->pending_count++] = *p;
	return 0;
}

int run_syscall(struct run *r, const struct tl_event *te,
		const struct slot *s, struct diag *d)
{
	struct pending p = {.te = te, .blocking = te->blocking,
			    .tol = te->blocking ? s->end_tol : s->tol,
			    .gap = te->blocking ? s->end_gap : s->gap};
	struct worker *w;
	enum worker_state st;

	if (r->stack)
		return plugin_syscall(r, te, &p, s, d);
	if (settle_due(r, s->start, d))
		return -1;
	if (r->pending_count == RUN_PENDING_MAX)
		return diag_set(d, EXIT_USAGE, &te->ev->loc,
				"too many blocking calls at once (%d)",
				RUN_PENDING_MAX);
	note_connection(r, te->call);
	r->prev_actual = run_now();
	r->prev_anchor = s->start;
	run_log(r, run_now(), "%s", syscall_text(te->call));
	run_trace_acted(r, te, run_now());
	if (never_blocks(te->call) && !te->blocking) {
		struct call_outcome out;

		syscall_exec(te->call, &r->env, &out);
		r->prev_actual = run_ts_ns(&out.start);
		return judge_return(r, &p, &out, d);
	}
	if (worker_start(te->call, &r->env, &w, d))
		return -1;
	p.worker = w;
	p.due = te->blocking ? s->end : s->start;
	p.deadline = p.due + p.tol;
	st = worker_wait_asleep(w, ASLEEP_WAIT_USECS);
	if (st == WORKER_DONE && !te->blocking) {
		struct call_outcome out;

		worker_collect(w, &out);
		/* The stack reacts to the call itself, which a busy machine
		 * may start well after the thread was asked to. */
		r->prev_actual = run_ts_ns(&out.start);
		return judge_return(r, &p, &out, d);
	}
	r->pending[r->pending_count++] = p;
	/* A blocking call that returned at once is judged (too early) by
	 * the next poll. */
	return 0;
}
