/* The scheduler: one loop that sleeps until each event's time with
 * clock_nanosleep(TIMER_ABSTIME), drives it, and judges what happened
 * (DESIGN.md decision 3: never spin). */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "conn.h"
#include "keeper.h"
#include "netns.h"
#include "plugin.h"
#include "run_internal.h"
#include "scratch.h"
#include "sniff.h"
#include "sniff_dump.h"
#include "sockstate.h"
#include "ticks.h"

#define NSEC 1000000000LL

/* The niceness of a run (see run_script), and of a batch run's set-up
 * and tear-down, which go on beside other runs. */
#define RUN_NICE (-10)
#define BACKGROUND_NICE 10

/* A plugin stack with virtual time owns the clock of its run (one run a
 * process). */
static const struct plugin *virtual_clock;

int64_t run_now(void)
{
	struct timespec ts;

	if (virtual_clock)
		return plugin_now(virtual_clock);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

int64_t run_ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NSEC + ts->tv_nsec;
}

/* The scripted time of an event as the script says it, for messages that
 * must not depend on when things really happened. */
void run_describe_time(const struct tl_event *te, char *buf, size_t len)
{
	const char *plus = te->time_kind == TIME_RELATIVE ? "+" : "";

	if (te->time_kind == TIME_ANY)
		snprintf(buf, len, "at any time");
	else if (te->window)
		snprintf(buf, len, "between %s%.6f and %s%.6f s", plus,
			 te->start_usecs / 1e6, plus, te->end_usecs / 1e6);
	else if (te->blocking)
		snprintf(buf, len, "returning at %s%.6f s", plus,
			 te->end_usecs / 1e6);
	else
		snprintf(buf, len, "at %s%.6f s", plus, te->start_usecs / 1e6);
	/* An absolute time of a file included at a relative time. */
	if (te->time_kind == TIME_ABSOLUTE && te->ev->timing.anchor)
		snprintf(buf + strlen(buf), len - strlen(buf),
			 " after its include");
}

/* Script seconds for messages: relative to the script's start. */
double run_secs(const struct run *r, int64_t abs_ns)
{
	return (double)(abs_ns - r->t0) / 1e9;
}

void run_sleep_until(int64_t abs_ns)
{
	struct timespec ts = {abs_ns / NSEC, abs_ns % NSEC};

	if (virtual_clock)
		return; /* nothing happens but what the run does */
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/* When the event is due, as absolute CLOCK_MONOTONIC nanoseconds, and the
 * tolerance around it (SCRIPT-LANGUAGE.md 2). */
static void schedule(struct run *r, const struct tl_event *te,
		     struct slot *s)
{
	const struct config *c = r->in->config;
	const struct event_timing *t = &te->ev->timing;
	int64_t base, delta, tol, pct;

	if (te->kind == TL_OUTBOUND) {
		/* The stack reacts to what really happened: when tcpcheck
		 * really injected or called, or the kernel's timestamp. */
		base = r->prev_actual;
	} else {
		/* tcpcheck's own next action counts from where the previous
		 * one was due, so its wake-up latency never adds up over a
		 * script (consecutive inbound packets keep their spacing, as in
		 * packetdrill); after what the stack did, from when it did. */
		base = r->prev_anchor;
	}
	/* The first event of a file included at +d: the file's absolute
	 * times count from d after where a relative time would. */
	if (t->sets_anchor)
		r->anchors[t->sets_anchor] = base + t->anchor_usecs * 1000;
	if (te->time_kind == TIME_ABSOLUTE)
		base = t->anchor ? r->anchors[t->anchor] : r->t0;
	s->any = te->time_kind == TIME_ANY;
	s->start = s->any ? base : base + te->start_usecs * 1000;
	s->end = s->any ? base : base + te->end_usecs * 1000;
	/* The gap as scripted, so that a tolerance never depends on how
	 * late the previous event happened. */
	if (te->time_kind == TIME_RELATIVE)
		delta = te->start_usecs * 1000;
	else
		delta = s->start - r->prev_sched;
	tol = c->tolerance_usecs * 1000;
	pct = (int64_t)(c->tolerance_percent / 100.0 * (double)delta);
	s->tol = pct > tol ? pct : tol;
	/* A blocking call's return is judged by the gap to its end. */
	pct = (int64_t)(c->tolerance_percent / 100.0 *
			(double)(delta + s->end - s->start));
	s->end_tol = pct > s->tol ? pct : s->tol;
}

/* The tool itself must be on time for what it does (inject, call, run a
 * command): a late start is a failed run, as in packetdrill. */
static int check_own_lateness(struct run *r, const struct tl_event *te,
			      const struct slot *s, int64_t when,
			      struct diag *d)
{
	/* --stats counts what tcpcheck does itself: packets, calls and
	 * commands, measured where their lateness is judged. */
	if (r->in->config->stats && !s->any && te->kind != TL_STATE &&
	    te->kind != TL_STATES)
		stats_add(&r->sched_error, when - s->start);
	if (s->any || when <= s->start + s->tol)
		return 0;
	run_log(r, when, "  (late: due at %.6f s)", run_secs(r, s->start));
	diag_set(d, EXIT_FAIL, &te->ev->loc,
		 "timing error: tcpcheck ran this event more than its "
		 "tolerance (%.6f s) after it was due, in %d runs; the "
		 "machine is too busy",
		 (double)s->tol / 1e9, RUN_ATTEMPTS);
	d->tool_late = 1;
	return -1;
}

/* Poll fds until one is ready or until abs_ns, on the run's timerfd:
 * poll's own timeout gets a slack of 0.1 % of the wait (100 us on a
 * 100 ms wait, 1 ms on a second), a timerfd none. A long wait ends
 * PREWAKE_NS early, and the caller, finding itself early, waits the
 * rest: a CPU idle for long sleeps deeply (on a virtual machine the
 * host must wake it, about 100 us here), while one just woken is still
 * in the idle governor's polling window, and a wake-up from there takes
 * half that time. fds has room for one more. */
#define PREWAKE_NS 300000LL

int run_poll_until(struct run *r, struct pollfd *fds, int n, int64_t abs_ns)
{
	int64_t at = abs_ns - run_now() > 2 * PREWAKE_NS ? abs_ns - PREWAKE_NS
							 : abs_ns;
	struct itimerspec its = {
		.it_value = {at / NSEC, at % NSEC},
	};
	uint64_t expirations;
	int ready;

	if (timerfd_settime(r->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return -1;
	fds[n].fd = r->timer_fd;
	fds[n].events = POLLIN;
	ready = poll(fds, (nfds_t)n + 1, -1);
	if (ready > 0 && fds[n].revents)
		(void)!read(r->timer_fd, &expirations, sizeof(expirations));
	return ready;
}

/* A plugin stack: its timers run up to abs_ns, each at its own time
 * (virtual time) or as real time passes; calls asleep in it are tried
 * again after each step, and the state trace sampled. */
static int plugin_wait_until(struct run *r, int64_t abs_ns, struct diag *d)
{
	for (;;) {
		int64_t now = run_now(), next;

		if (run_pending_poll(r, now < abs_ns ? now : abs_ns, d) ||
		    run_trace_poll(r, d))
			return -1;
		if (now >= abs_ns)
			return 0;
		next = run_pending_deadline(r, abs_ns);
		if (plugin_virtual(r->stack) &&
		    plugin_next_timer(r->stack) >= 0 &&
		    plugin_next_timer(r->stack) < next)
			next = plugin_next_timer(r->stack);
		if (!plugin_virtual(r->stack) && r->pending_count &&
		    next > now + 1000000)
			next = now + 1000000; /* calls asleep: look often */
		plugin_advance(r->stack, next, false);
	}
}

/* Sleep until abs_ns while keeping the tun queue drained and finished
 * blocking calls judged; returns -1 when one of those failed. */
int run_wait_until(struct run *r, int64_t abs_ns, struct diag *d)
{
	if (r->stack)
		return plugin_wait_until(r, abs_ns, d);
	for (;;) {
		int64_t now = run_now();
		struct pollfd fds[RUN_PENDING_MAX + 2];
		int n = 0;

		/* Woken late, past what is due next: a call that may return
		 * after it (the injected segment it waits for, say) is not
		 * judged until that has happened; the lateness is tcpcheck's,
		 * and check_own_lateness says so. */
		if (run_pending_poll(r, now < abs_ns ? now : abs_ns, d))
			return -1;
		if (now >= abs_ns)
			return 0;
		n = run_pending_fds(r, fds);
		fds[n].fd = r->ns.tun_fd;
		fds[n].events = POLLIN;
		n++;
		if (run_poll_until(r, fds, n, run_pending_deadline(r, abs_ns)) <
		    0)
			return diag_set(d, EXIT_INTERNAL, NULL,
					"cannot wait: %s", strerror(errno));
		if (fds[n - 1].revents)
			sniff_drain_tun(r->ns.tun_fd);
	}
}

static int do_inbound(struct run *r, const struct tl_event *te,
		      const struct slot *s, struct diag *d)
{
	const struct packet_spec *spec = &te->ev->u.packet;
	uint8_t buf[PACKET_BYTES_MAX];
	size_t len;
	int64_t now;
	int rc = spec->proto == PROTO_ICMP
		     ? conn_build_icmp(&r->conn, spec, &te->ev->loc, buf,
				       sizeof(buf), &len, d)
		     : conn_build_inbound(&r->conn, spec, &te->ev->loc, buf,
					  sizeof(buf), &len, d);

	if (rc)
		return -1;
	if (run_wait_until(r, s->start, d))
		return -1;
	now = run_now();
	if (check_own_lateness(r, te, s, now, d))
		return -1;
	if (r->stack) {
		if (plugin_inject(r->stack, buf, len, d)) {
			d->loc = te->ev->loc;
			return -1;
		}
	} else if (netns_tun_write(&r->ns, buf, len,
			    spec->proto == PROTO_ICMP
				    ? 0
				    : (unsigned int)r->in->config->mss) < 0)
		return diag_set(d, EXIT_INTERNAL, &te->ev->loc,
				"cannot write to tun0: %s", strerror(errno));
	r->prev_actual = now;
	r->prev_anchor = s->start;
	run_log_packet(r, now, te->ev);
	run_log(r, now, "  (%.0f us after its time)", (now - s->start) / 1e3);
	return 0;
}

static int do_command(struct run *r, const struct tl_event *te,
		      const struct slot *s, struct diag *d)
{
	int64_t now;

	if (run_wait_until(r, s->start, d))
		return -1;
	now = run_now();
	if (check_own_lateness(r, te, s, now, d))
		return -1;
	if (r->stack) {
		/* Commands configure and read the kernel (sysctl, /proc/net),
		 * which is not under test: on the host they would change the
		 * user's machine and read its traffic. */
		run_log(r, now, "`%s` (not run: the stack is %s, not the "
			"kernel)", te->ev->u.command, plugin_name(r->stack));
		r->prev_actual = now;
		r->prev_anchor = s->start;
		return 0;
	}
	run_log(r, now, "`%s`", te->ev->u.command);
	if (run_command(r, te->ev->u.command, &te->ev->loc, d))
		return -1;
	r->prev_actual = run_now();
	r->prev_anchor = r->prev_actual; /* after the command's own time */
	return 0;
}

/* %{ }%: the snapshot is taken now; python runs after the last event. */
static int do_code(struct run *r, const struct tl_event *te,
		   const struct slot *s, struct diag *d)
{
	int fd;

	if (run_wait_until(r, s->start, d))
		return -1;
	if (check_own_lateness(r, te, s, run_now(), d))
		return -1;
	if (r->stack)
		return diag_set(d, EXIT_USAGE, &te->ev->loc,
				"%%{ }%% code reads the kernel's TCP_INFO; the "
				"stack under test is %s",
				plugin_name(r->stack));
	if (r->code_fd < 0)
		return diag_set(d, EXIT_USAGE, &te->ev->loc,
				"no socket for the code to read: no socket() "
				"or accept() has returned one yet");
	fd = fdmap_live(r->env.fds, r->code_fd);
	if (fd < 0)
		return diag_set(d, EXIT_FAIL, &te->ev->loc,
				"the code reads fd %d, which the script has "
				"closed", r->code_fd);
	if (!r->code && !(r->code = code_log_new(r->in->script->file)))
		return diag_set(d, EXIT_INTERNAL, &te->ev->loc,
				"out of memory");
	if (code_snapshot(r->code, fd, r->code_fd, te->ev, d))
		return -1;
	run_log(r, run_now(), "%%{ }%% (fd %d read for the code)",
		r->code_fd);
	r->prev_actual = run_now();
	r->prev_anchor = s->start;
	return 0;
}

static int run_event(struct run *r, const struct tl_event *te,
		     struct slot *s, struct diag *d)
{
	schedule(r, te, s);
	/* Virtual time is exact: a segment the stack sent before this
	 * event that no outbound line took is one too many. */
	if (r->stack && plugin_virtual(r->stack) && te->kind != TL_OUTBOUND) {
		if (run_wait_until(r, s->start, d) ||
		    run_unexpected(r, te, s->start, d))
			return -1;
	}
	switch (te->kind) {
	case TL_INBOUND:
		return do_inbound(r, te, s, d);
	case TL_OUTBOUND:
		return run_outbound(r, te, s, d);
	case TL_SYSCALL:
		if (run_wait_until(r, s->start, d))
			return -1;
		if (check_own_lateness(r, te, s, run_now(), d))
			return -1;
		return run_syscall(r, te, s, d);
	case TL_STATE:
		if (run_wait_until(r, s->start, d))
			return -1;
		if (check_own_lateness(r, te, s, run_now(), d))
			return -1;
		return run_state(r, te, s, d);
	case TL_STATES:
		if (run_wait_until(r, s->start, d))
			return -1;
		if (check_own_lateness(r, te, s, run_now(), d))
			return -1;
		return run_states(r, te, s, d);
	case TL_COMMAND:
		return do_command(r, te, s, d);
	case TL_CODE:
		return do_code(r, te, s, d);
	}
	return diag_set(d, EXIT_INTERNAL, &te->ev->loc, "bad event");
}

/* How late the run may wake for time 0 before time 0 moves on (by a
 * tick or more: often would cost every short run that much), and how
 * often it may move. */
#define START_SLACK_NS 2000000LL
#define START_TRIES 5

/* Events run on the keeper's CPU, as the watch (keeper.c) finds it, so
 * the kernel timers they arm fire on the tick they are due; set-up,
 * commands and teardown run anywhere. Threads made for blocking calls
 * start where the main thread is. */
static void follow_keeper(struct run *r)
{
	int cpu = keeper_cpu();
	cpu_set_t only;

	if (cpu < 0 || cpu == r->pinned_cpu || !CPU_ISSET(cpu, &r->usable))
		return;
	CPU_ZERO(&only);
	CPU_SET(cpu, &only);
	if (sched_setaffinity(0, sizeof(only), &only) == 0)
		r->pinned_cpu = cpu;
}

static void unpin(struct run *r)
{
	if (CPU_COUNT(&r->usable))
		(void)sched_setaffinity(0, sizeof(r->usable), &r->usable);
	r->pinned_cpu = -1;
}

/* Set-up and teardown (long stretches in the kernel that the kernel here
 * does not preempt) stay off the keeper's CPU, out of the way of the
 * runs doing their events there. */
static void avoid_keeper(struct run *r)
{
	int cpu = keeper_cpu();
	cpu_set_t others = r->usable;

	if (cpu < 0 || !CPU_ISSET(cpu, &others))
		return;
	CPU_CLR(cpu, &others);
	if (CPU_COUNT(&others) > 0)
		(void)sched_setaffinity(0, sizeof(others), &others);
}

/* Script time 0 on the kernel's clock. */
static int start_kernel_clock(struct run *r, struct diag *d)
{
	/* Script time 0 is 250 us after a tick's timers ran: kernel timers
	 * (delayed ACKs, RTOs) fire on ticks, and a fixed place in the tick
	 * keeps events on millisecond boundaries at the same distance from
	 * them in every run, as packetdrill does. 1 ms to settle first. */
	follow_keeper(r);
	r->t0 = ticks_align(run_now() + 1000000, 250000);
	/* Nothing has happened yet: a wake-up for time 0 that a busy
	 * machine made late moves time 0 on instead of failing the run. */
	for (int i = 0; i < START_TRIES; i++) {
		if (run_wait_until(r, r->t0, d))
			return -1;
		if (run_now() - r->t0 <= START_SLACK_NS)
			break;
		r->t0 = ticks_align(run_now() + 1000000, 250000);
	}
	if (r->in->config->verbose) {
		printf("# kernel tick %.3f ms, timers run %.3f ms into it; "
		       "time 0 is 0.250 ms after that\n",
		       ticks_period() / 1e6, ticks_handler_lag() / 1e6);
		if (r->private_tmp)
			printf("# /tmp is the host's, but what this run writes "
			       "there stays with it\n");
		if (r->pinned_cpu >= 0)
			printf("# events on CPU %d, which keeps the kernel's "
			       "time\n", r->pinned_cpu);
		else
			printf("# events on any CPU (which one keeps the "
			       "kernel's time is not known yet)\n");
	}
	return 0;
}

static int run_timeline(struct run *r, struct diag *d)
{
	const struct timeline *tl = r->in->timeline;

	if (!r->stack) {
		if (start_kernel_clock(r, d))
			return -1;
	} else {
		/* A plugin's clock: time 0 is now, whatever it reads. */
		r->t0 = run_now();
		if (r->in->config->verbose)
			printf("# stack %s, %s\n", plugin_name(r->stack),
			       plugin_virtual(r->stack)
				       ? "in virtual time"
				       : "in real time (its own clock)");
	}
	if (r->in->config->verbose)
		run_trace_describe(r);
	r->env.t0 = r->t0;
	r->env.tolerance_ns = r->in->config->tolerance_usecs * 1000;
	r->prev_sched = r->t0;
	r->prev_actual = r->t0;
	r->prev_anchor = r->t0;
	for (size_t i = 0; i < tl->count; i++) {
		const struct tl_event *te = &tl->events[i];
		struct slot s;

		if (!r->stack)
			follow_keeper(r);
		if (run_event(r, te, &s, d)) {
			run_diagram_fail(r, te, d);
			return -1;
		}
		run_diagram_step(r, te);
		r->prev = te;
		r->prev_sched = s.start;
		/* In the gap before the next event: a time-wait socket is
		 * looked for while it is sure to be there (statetrace.c). */
		if (run_trace_poll(r, d))
			return -1;
	}
	/* Blocking calls still out must still return on time. */
	while (run_pending_count(r) > 0) {
		int64_t until = run_pending_deadline(r, INT64_MAX);

		if (run_wait_until(r, until, d)) {
			run_diagram_fail(r, NULL, d);
			return -1;
		}
	}
	return 0;
}

/* The time bases of included files are known as the run reaches them. */
static int run_events(struct run *r, struct diag *d)
{
	int rc;

	r->anchors = calloc((size_t)r->in->script->anchor_count + 1,
			    sizeof(*r->anchors));
	if (!r->anchors)
		return diag_set(d, EXIT_INTERNAL, NULL, "out of memory");
	rc = run_timeline(r, d);
	free(r->anchors);
	r->anchors = NULL;
	return rc;
}

static bool has_commands(const struct run_input *in)
{
	const struct timeline *tl = in->timeline;

	if (in->script->init_command || in->script->cleanup_command)
		return true;
	for (size_t i = 0; i < tl->count; i++)
		if (tl->events[i].kind == TL_COMMAND)
			return true;
	return false;
}

/* What system calls need: the script's addresses and an empty fd map. */
static int set_up_calls(struct run *r, struct diag *d)
{
	const struct config *c = r->in->config;

	r->env.family = c->socket_family;
	r->env.local = c->local;
	r->env.local_len = c->addr_len;
	r->env.remote_len = c->addr_len;
	r->env.fds = fdmap_new();
	if (!r->env.fds)
		return diag_set(d, EXIT_INTERNAL, NULL, "out of memory");
	return 0;
}

/* The script's address as the wire has it (IPv4 for ipv4-mapped-ipv6). */
static void wire_addr(int family, const char *text, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (!text[0])
		return;
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, text, &in->sin_addr) == 1)
			in->sin_family = AF_INET;
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1)
			in6->sin6_family = AF_INET6;
	}
}

/* A plugin stack: no namespace, no tun0, no privilege; its own clock. */
static int set_up_plugin(struct run *r, struct diag *d)
{
	const struct config *c = r->in->config;
	struct tcpcheck_stack_config sc = {
		.family = c->wire_family,
		.prefix_len = (unsigned int)c->prefix_len,
		.mtu = (unsigned int)c->mtu,
		/* Fixed: the same script gives the same run, byte for byte. */
		.seed = 1,
		.options = c->stack_options[0] ? c->stack_options : NULL,
	};
	char path[4096];

	if (r->in->pcap)
		return diag_set(d, EXIT_USAGE, NULL,
				"--pcap records tun0, which a run on a stack "
				"plugin does not have");
	conn_init(&r->conn, c);
	r->env.remote = c->remote;
	wire_addr(c->wire_family, c->local_ip, &sc.local);
	wire_addr(c->wire_family, c->remote_ip, &sc.remote);
	if (c->ip_version != IP_V6 && c->gateway_ip[0] &&
	    strcmp(c->gateway_ip, c->local_ip))
		wire_addr(c->wire_family, c->gateway_ip, &sc.gateway);
	if (plugin_find(c->stack, path, sizeof(path), d) ||
	    plugin_load(path, &r->stack, d) ||
	    plugin_open(r->stack, &sc, c->verbose, d))
		return -1;
	if (plugin_virtual(r->stack))
		virtual_clock = r->stack;
	if (run_trace_open(r, d))
		return -1;
	r->env.stack = r->stack;
	return set_up_calls(r, d);
}

static void tear_down_plugin(struct run *r)
{
	run_pending_cancel(r);
	run_trace_close(r);
	/* The stack's fds are no fds of this process: the stack goes, and
	 * they with it. */
	fdmap_free(r->env.fds);
	r->env.fds = NULL;
	virtual_clock = NULL;
	plugin_free(r->stack);
	r->stack = NULL;
}

static int set_up(struct run *r, struct diag *d)
{
	const struct config *c = r->in->config;
	struct netns_config nc;

	if (c->stack[0])
		return set_up_plugin(r, d);

	netns_config_default(&nc, c->wire_family);
	inet_pton(c->wire_family, c->local_ip, &nc.local);
	inet_pton(c->wire_family, c->remote_ip, &nc.remote);
	if (c->ip_version != IP_V6 && c->gateway_ip[0] &&
	    strcmp(c->gateway_ip, c->local_ip))
		inet_pton(c->wire_family, c->gateway_ip, &nc.gateway);
	if (c->ip_version != IP_V6)
		nc.prefix_len = c->prefix_len;
	nc.mtu = (unsigned int)c->mtu;
	nc.vnet_hdr = c->mss > 0;
	conn_init(&r->conn, c);
	r->env.remote = c->remote;
	if (run_trace_open(r, d))
		return -1;
	r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (r->timer_fd < 0)
		return diag_set(d, EXIT_INTERNAL, NULL, "timerfd_create: %s",
				strerror(errno));
	if (netns_enter(&nc, &r->ns, d))
		return -1;
	/* From the moment tun0 exists: every packet of the run. */
	if (r->in->pcap &&
	    sniff_dump_start(&r->pcap, NETNS_TUN_NAME, r->in->pcap_fd, d))
		return -1;
	/* Only commands write files (open is not run yet), and the mounts
	 * cost some 0.3 ms; without them /tmp is simply the host's. */
	if (has_commands(r->in))
		r->private_tmp = scratch_private_tmp() == 0;
	/* Segmentation offload on, as packetdrill has it: the stack sends
	 * (and the capture sees) TSO super-segments, which scripts expect
	 * ("> P. 1:10001(10000)"); scripts that want wire-sized segments
	 * switch it off themselves with ethtool. */
	if (netns_tun_set_offload(&r->ns, TUN_F_CSUM | TUN_F_TSO4 |
					   TUN_F_TSO6 | TUN_F_TSO_ECN, d))
		return -1;
	if (sniff_open(&r->sniff, NETNS_TUN_NAME, r->ns.tun_fd, 0, d))
		return -1;
	return set_up_calls(r, d);
}

/* Reset what is left so that the namespace dies without retransmissions
 * racing its teardown. */
static void tear_down(struct run *r)
{
	struct diag pd = {0};
	uint8_t buf[128];
	size_t len;

	if (r->in->config->stack[0]) {
		tear_down_plugin(r);
		return;
	}
	run_pending_cancel(r);
	/* Before the tear-down's own resets: they are no script's. */
	run_trace_close(r);
	if (r->ns.tun_fd >= 0) {
		int ended;

		/* A failed write changes nothing: the namespace goes away
		 * anyway. */
		if (conn_build_reset(&r->conn, buf, sizeof(buf), &len))
			(void)netns_tun_write(&r->ns, buf, len, 0);
		/* The script's other sockets, and those it closed: orphans
		 * would keep the namespace (and their retransmissions) for
		 * minutes. */
		ended = sockstate_destroy_all();
		if (r->in->config->verbose && ended >= 0) {
			printf("# tear-down: ended %d TCP socket%s\n", ended,
			       ended == 1 ? "" : "s");
			fflush(stdout);
		}
	}
	if (r->env.fds) {
		fdmap_close_all(r->env.fds);
		fdmap_free(r->env.fds);
	}
	if (r->sniff)
		sniff_close(r->sniff);
	/* After the tear-down's resets, which belong in the file too. The
	 * verdict is out: a file that misses packets can only be said. */
	if (sniff_dump_stop(r->pcap, &pd)) {
		fprintf(stderr, "tcpcheck: warning: %s\n", pd.message);
		fflush(stderr);
	}
	netns_close(&r->ns);
	if (r->timer_fd >= 0)
		close(r->timer_fd);
}

/* --realtime: the lowest SCHED_FIFO priority, opt-in only (DESIGN.md
 * decision 3). Set before the namespace: entering a user namespace would
 * drop the privilege. Worker threads inherit it; commands do not. */
static void go_realtime(void)
{
	struct sched_param sp = {
		.sched_priority = sched_get_priority_min(SCHED_FIFO),
	};

	if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
		fprintf(stderr,
			"tcpcheck: warning: --realtime: cannot use SCHED_FIFO "
			"(%s); running without it\n",
			strerror(errno));
}

static int64_t timeval_ns(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * NSEC + (int64_t)tv->tv_usec * 1000;
}

/* --stats: on stdout, the run's scheduling errors in event order, then
 * the summary line. CPU time is the whole run process (worker threads
 * included) and the commands it waited for. */
static void print_stats(struct run *r, int64_t started)
{
	struct rusage self, children;
	struct stats_usage u = {.wall_ns = run_now() - started};
	char line[256];

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	u.cpu_ns = timeval_ns(&self.ru_utime) + timeval_ns(&self.ru_stime) +
		   timeval_ns(&children.ru_utime) +
		   timeval_ns(&children.ru_stime);
	u.maxrss_kib = self.ru_maxrss;
	stats_print_samples(stdout, &r->sched_error);
	stats_format(&r->sched_error, &u, line, sizeof(line));
	printf("%s\n", line);
	fflush(stdout);
}

/* A batch run waits for its turn with its namespace ready. */
static int wait_gate(const struct run_gate *g, struct diag *d)
{
	unsigned char go;
	ssize_t n;

	while ((n = read(g->wait_fd, &go, 1)) < 0 && errno == EINTR)
		;
	if (n == 1)
		return 0;
	return diag_set(d, EXIT_INTERNAL, NULL,
			"the batch went away before this run's turn");
}

int run_script(const struct run_input *in, struct diag *d)
{
	struct run r = {
		.in = in, .ns = {.tun_fd = -1}, .timer_fd = -1, .pinned_cpu = -1,
		.code_fd = -1,
		.active_fd = -1};
	const struct script *s = in->script;
	struct diag cd = {0};
	int64_t started = run_now();
	bool can_renice;
	int rc = -1;

	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (sched_getaffinity(0, sizeof(r.usable), &r.usable))
		CPU_ZERO(&r.usable); /* then never pinned */
	/* A heavier share of the CPU (still the ordinary scheduler, never a
	 * real-time class) so a busy machine delays wake-ups less; without
	 * the privilege the run simply keeps its niceness. A batch run that
	 * may come back from a lighter share sets up with one, beside the
	 * runs going on. */
	can_renice = setpriority(PRIO_PROCESS, 0, RUN_NICE) == 0;
	if (!can_renice)
		errno = 0;
	if (in->config->realtime)
		go_realtime();
	if (in->gate && can_renice)
		setpriority(PRIO_PROCESS, 0, BACKGROUND_NICE);
	avoid_keeper(&r);
	if (set_up(&r, d))
		goto out;
	if (in->gate) {
		if (wait_gate(in->gate, d))
			goto out;
		started = run_now();
		if (can_renice)
			setpriority(PRIO_PROCESS, 0, RUN_NICE);
	}
	if (!s->init_command ||
	    !run_command(&r, s->init_command, &s->init_loc, d))
		rc = run_events(&r, d);
	unpin(&r);
	/* The snippets run once every event passed, as in packetdrill: a
	 * failing event is reported even if a snippet before it would have
	 * failed. */
	if (rc == 0 && code_run(r.code, d))
		rc = -1;
	/* Once set-up worked the cleanup command always runs, even after a
	 * failure; its own failure counts only when nothing failed before. */
	if (s->cleanup_command &&
	    run_command(&r, s->cleanup_command, &s->cleanup_loc, &cd) &&
	    rc == 0) {
		*d = cd;
		rc = -1;
	}
out:
	run_pending_cancel(&r);
	if (in->config->stats)
		print_stats(&r, started);
	stats_free(&r.sched_error);
	code_log_free(r.code);
	if (in->verdict)
		in->verdict(d, in->verdict_arg);
	if (in->gate && can_renice)
		setpriority(PRIO_PROCESS, 0, BACKGROUND_NICE);
	avoid_keeper(&r);
	tear_down(&r);
	return rc;
}
