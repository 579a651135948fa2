/* State assertions, shell commands and the -v event log. */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin.h"
#include "run_internal.h"
#include "sockstate.h"
#include "verify.h"

/* How often a windowed tcp_state samples the state. */
#define STATE_POLL_NS 1000000LL

void run_log(const struct run *r, int64_t when, const char *fmt, ...)
{
	va_list ap;

	if (!r->in->config->verbose)
		return;
	printf("%9.6f ", run_secs(r, when));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void run_log_packet(const struct run *r, int64_t when, const struct event *ev)
{
	char text[512];

	if (!r->in->config->verbose)
		return;
	if (ev->u.packet.proto == PROTO_ICMP) {
		const struct icmp_spec *ic = &ev->u.packet.u.icmp;

		run_log(r, when, "< icmp %s%s%s", ic->type, ic->code ? " " : "",
			ic->code ? ic->code : "");
		return;
	}
	verify_format_expected(&ev->u.packet, text, sizeof(text));
	run_log(r, when, "%s", text);
}

int run_state_of_fd(struct run *r, int fd, enum tcp_state_id *st,
		    struct diag *d)
{
	if (r->stack)
		return plugin_state_fd(r->stack, fd, st, d);
	return sockstate_of_fd(fd, st, d);
}

int run_state_of_tuple(struct run *r, const struct sockaddr *local,
		       const struct sockaddr *remote, enum tcp_state_id *st,
		       struct diag *d)
{
	if (r->stack)
		return plugin_state_tuple(r->stack, local, remote, st, d);
	return sockstate_of_tuple(r->in->config->socket_family, local, remote,
				  st, d);
}

static int read_state(struct run *r, const struct tl_event *te,
		      enum tcp_state_id *st, struct diag *d)
{
	struct sockaddr_storage local, remote;

	if (te->state.has_fd) {
		int fd = fdmap_live(r->env.fds, te->state.fd);

		if (fd < 0)
			return diag_set(d, EXIT_USAGE, &te->ev->loc,
					"unknown fd %d", te->state.fd);
		return run_state_of_fd(r, fd, st, d);
	}
	if (!conn_tuple(&r->conn, &local, &remote)) {
		*st = TCP_STATE_CLOSED;
		return 0;
	}
	return run_state_of_tuple(r, (struct sockaddr *)&local,
				  (struct sockaddr *)&remote, st, d);
}

int run_state(struct run *r, const struct tl_event *te, const struct slot *s,
	      struct diag *d)
{
	int64_t deadline = te->window ? s->end + s->tol : s->start;
	enum tcp_state_id st = TCP_STATE_CLOSED;
	size_t mark;

	for (;;) {
		/* Changes the trace holds after this are for tcp_states. */
		mark = run_trace_mark(r, te, d);
		if (diag_failed(d) || read_state(r, te, &st, d)) {
			if (d->loc.first_line == 0) /* sockstate has no lines */
				d->loc = te->ev->loc;
			return -1;
		}
		if (st == te->state.state || run_now() >= deadline)
			break;
		if (run_wait_until(r, run_now() + STATE_POLL_NS, d))
			return -1;
	}
	/* A window ends when the state held; a point check was on time. */
	r->prev_actual = run_now();
	r->prev_anchor = te->window ? r->prev_actual : s->start;
	if (te->state.has_fd)
		run_log(r, run_now(), "tcp_state(%d) = %s", te->state.fd,
			sockstate_name(st));
	else
		run_log(r, run_now(), "tcp_state() = %s", sockstate_name(st));
	if (st == te->state.state) {
		run_trace_checked(r, te, mark, st);
		return 0;
	}
	diag_set(d, EXIT_FAIL, &te->ev->u.syscall.result->loc,
		 "expected state %s, got %s",
		 sockstate_name(te->state.state), sockstate_name(st));
	if (te->state.has_fd) {
		diag_expected(d, "tcp_state(%d) = %s", te->state.fd,
			      sockstate_name(te->state.state));
		diag_actual(d, "tcp_state(%d) = %s", te->state.fd,
			    sockstate_name(st));
	} else {
		diag_expected(d, "tcp_state() = %s",
			      sockstate_name(te->state.state));
		diag_actual(d, "tcp_state() = %s", sockstate_name(st));
	}
	if (r->trace) {
		char trace[DIAG_TEXT_MAX];

		run_trace_text(r, te, trace, sizeof(trace));
		diag_trace(d, "%s", trace);
	}
	return -1;
}

/* Commands run in the namespace, from the script's directory, with
 * PACKETDRILL_PID naming the tool (scripts write /tmp/..._${PPID}.sh, and
 * the shell's parent is this process). */
int run_command(struct run *r, const char *command, const struct src_loc *loc,
		struct diag *d)
{
	char pid[32];
	pid_t child;
	int ws;

	fflush(stdout);
	fflush(stderr);
	child = fork();
	if (child < 0)
		return diag_set(d, EXIT_INTERNAL, loc, "fork: %s",
				strerror(errno));
	if (child == 0) {
		struct sched_param sp = {0};

		/* --realtime is for the run, never for a script's shell. */
		if (r->in->config->realtime)
			sched_setscheduler(0, SCHED_OTHER, &sp);
		/* Nor the keeper's CPU (run.c follow_keeper). */
		if (CPU_COUNT(&r->usable))
			sched_setaffinity(0, sizeof(r->usable), &r->usable);
		snprintf(pid, sizeof(pid), "%d", (int)getppid());
		setenv("PACKETDRILL_PID", pid, 1);
		if (r->in->script_dir && chdir(r->in->script_dir) < 0)
			_exit(126);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	while (waitpid(child, &ws, 0) < 0)
		if (errno != EINTR)
			return diag_set(d, EXIT_INTERNAL, loc, "waitpid: %s",
					strerror(errno));
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
		return 0;
	if (WIFEXITED(ws))
		return diag_set(d, EXIT_FAIL, loc,
				"command failed with exit status %d",
				WEXITSTATUS(ws));
	return diag_set(d, EXIT_FAIL, loc, "command killed by signal %d (%s)",
			WTERMSIG(ws), strsignal(WTERMSIG(ws)));
}
