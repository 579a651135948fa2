/* The run's state trace (statetrace.h) and the tcp_states assertion: the
 * states a connection entered since its previous state check. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"
#include "run_internal.h"
#include "statetrace.h"

/* How often a windowed tcp_states looks again. */
#define STATES_POLL_NS 1000000LL
/* The most changes a diagnostic lists. */
#define STATES_SHOWN_MAX 32

enum trace_want { TRACE_NONE, TRACE_SAMPLED, TRACE_FULL };

/* -v and tcp_states want every change; tcp_state only its diagnostic's
 * trace, which sampling after each event gives at a fraction of the
 * cost: on the kernel the tracepoint's instance takes some 70 ms to set
 * up and remove, and it moves the tool's port into a block. */
static enum trace_want wants_trace(const struct run *r)
{
	const struct timeline *tl = r->in->timeline;
	enum trace_want want = TRACE_NONE;

	if (r->in->config->verbose)
		return TRACE_FULL;
	for (size_t i = 0; i < tl->count; i++) {
		if (tl->events[i].kind == TL_STATES)
			return TRACE_FULL;
		if (tl->events[i].kind == TL_STATE)
			want = TRACE_SAMPLED;
	}
	return want;
}

/* Before the namespace and before the first event: a run that traces
 * puts the tool's ports where its filter looks. */
static int sample_stack(void *arg, const struct sockaddr *local,
			const struct sockaddr *remote, enum tcp_state_id *st,
			struct diag *d)
{
	return run_state_of_tuple(arg, local, remote, st, d);
}

int run_trace_open(struct run *r, struct diag *d)
{
	const struct config *c = r->in->config;
	struct statetrace_params p = {
	    .socket_family = c->socket_family,
	    .local = (const struct sockaddr *)&c->local,
	    .remote = (const struct sockaddr *)&c->remote,
	    .force_sampling = c->state_trace_sampling,
	    .fixed_port = c->connect_port_set ? "connect_port" : NULL,
	};
	enum trace_want want = wants_trace(r);
	uint16_t first;

	if (want == TRACE_NONE)
		return 0;
	if (want == TRACE_SAMPLED)
		p.sample_why = "tcp_state only";
	if (r->stack) {
		p.sample = sample_stack;
		p.sample_arg = r;
		p.now = run_now;
		p.sample_source = plugin_virtual(r->stack)
					  ? "the stack, sampled at every step "
					    "of virtual time"
					  : "the stack, sampled at each event";
	}
	if (statetrace_open(&r->trace, &p, d))
		return -1;
	first = statetrace_first_port(r->trace);
	if (first) {
		conn_use_tool_ports(&r->conn, first, STATETRACE_PORT_BLOCK);
		sockstate_addr_set_port(&r->env.remote, r->conn.connect_port);
	}
	return 0;
}

void run_trace_close(struct run *r)
{
	statetrace_close(r->trace);
	r->trace = NULL;
	free(r->acts);
	r->acts = NULL;
	r->act_count = r->act_cap = 0;
	free(r->change_locs);
	r->change_locs = NULL;
	r->change_locs_count = 0;
}

void run_trace_acted(struct run *r, const struct tl_event *te, int64_t when)
{
	if (!r->trace)
		return;
	if (r->act_count == r->act_cap) {
		size_t cap = r->act_cap ? 2 * r->act_cap : 64;
		struct run_act *n = realloc(r->acts, cap * sizeof(*n));

		if (!n)
			return; /* the trace shows fewer lines, no more */
		r->acts = n;
		r->act_cap = cap;
	}
	r->acts[r->act_count].time = when;
	r->acts[r->act_count++].loc = &te->ev->loc;
}

/* Each new change: the line of the last act before it, among the acts
 * done by the time it was read, so that acts at the same (virtual) time
 * after it was sampled are not taken for its cause. */
static void attribute_changes(struct run *r)
{
	size_t n = statetrace_count(r->trace);
	const struct src_loc **locs;

	if (n <= r->change_locs_count)
		return;
	locs = realloc(r->change_locs, n * sizeof(*locs));
	if (!locs)
		return;
	r->change_locs = locs;
	for (size_t i = r->change_locs_count; i < n; i++) {
		int64_t t = statetrace_get(r->trace, i)->time;
		size_t k = r->act_count;

		while (k > 0 && r->acts[k - 1].time > t)
			k--;
		locs[i] = k ? r->acts[k - 1].loc : NULL;
	}
	r->change_locs_count = n;
}

void run_trace_describe(const struct run *r)
{
	uint16_t first;

	if (!r->trace)
		return;
	first = statetrace_first_port(r->trace);
	if (first)
		printf("# state trace: %s, tool ports %u-%u\n",
		       statetrace_source(r->trace), first,
		       first + STATETRACE_PORT_BLOCK - 1);
	else
		printf("# state trace: %s\n", statetrace_source(r->trace));
}

/* The script's connection: the stack's port (0 until known) and the
 * tool's. */
static void conn_key(const struct run *r, uint16_t *lport, uint16_t *rport)
{
	*lport = r->conn.local_port_known ? r->conn.local_port : 0;
	*rport = r->conn.remote_port;
}

static void log_changes(struct run *r)
{
	for (; r->trace_logged < statetrace_count(r->trace);
	     r->trace_logged++) {
		const struct statetrace_change *c =
		    statetrace_get(r->trace, r->trace_logged);

		run_log(r, c->time, "state %u>%u %s -> %s%s", c->local_port,
			c->remote_port, sockstate_name(c->from),
			sockstate_name(c->to), c->sampled ? " (sampled)" : "");
	}
}

static int poll_key(struct run *r, uint16_t lport, uint16_t rport,
		    struct diag *d)
{
	if (statetrace_poll(r->trace, lport, rport, d))
		return -1;
	attribute_changes(r);
	log_changes(r);
	return 0;
}

int run_trace_poll(struct run *r, struct diag *d)
{
	uint16_t lport, rport;

	if (!r->trace)
		return 0;
	conn_key(r, &lport, &rport);
	return poll_key(r, lport, rport, d);
}

/* The view of (lport, rport): found, grown from the view taken while the
 * stack's port was unknown, or new (the oldest makes room). */
static struct state_view *find_view(struct run *r, uint16_t lport,
				    uint16_t rport)
{
	struct state_view *v, *blank = NULL;

	for (int i = 0; i < RUN_VIEWS_MAX; i++) {
		v = &r->views[i];
		if (v->used && v->local_port == lport &&
		    v->remote_port == rport)
			return v;
	}
	for (int i = 0; i < RUN_VIEWS_MAX && lport; i++) {
		v = &r->views[i];
		if (v->used && v->local_port == 0 && v->remote_port == rport) {
			v->local_port = lport;
			return v;
		}
	}
	for (int i = 0; i < RUN_VIEWS_MAX && !blank; i++)
		if (!r->views[i].used)
			blank = &r->views[i];
	if (!blank)
		blank = &r->views[r->view_next++ % RUN_VIEWS_MAX];
	memset(blank, 0, sizeof(*blank));
	blank->used = true;
	blank->local_port = lport;
	blank->remote_port = rport;
	blank->fd = -1;
	return blank;
}

/* The connection a state check is about: fd's while it has a peer, else
 * the one fd had when last checked, else the script's. */
static int check_key(struct run *r, const struct tl_event *te,
		     uint16_t *lport, uint16_t *rport, struct diag *d)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	conn_key(r, lport, rport);
	if (!te->state.has_fd)
		return 0;
	fd = fdmap_live(r->env.fds, te->state.fd);
	if (fd < 0)
		return diag_set(d, EXIT_USAGE, &te->ev->loc, "unknown fd %d",
				te->state.fd);
	/* A plugin's fd is no fd of this process. */
	if (!r->stack && getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		*rport = sockstate_addr_port(&ss);
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
			*lport = sockstate_addr_port(&ss);
		return 0;
	}
	for (int i = 0; i < RUN_VIEWS_MAX; i++)
		if (r->views[i].used && r->views[i].fd == te->state.fd) {
			*lport = r->views[i].local_port;
			*rport = r->views[i].remote_port;
		}
	return 0;
}

/* Changes of the view's connection from its mark on, without those to
 * the state it was already in. Returns how many there are (more than
 * max are counted, not stored). */
static size_t view_changes(const struct run *r, const struct state_view *v,
			   enum tcp_state_id *out, size_t max,
			   enum tcp_state_id *last, bool *has_last)
{
	size_t n = 0;

	*last = v->last;
	*has_last = v->has_last;
	for (size_t i = v->next; i < statetrace_count(r->trace); i++) {
		const struct statetrace_change *c = statetrace_get(r->trace, i);

		if (c->remote_port != v->remote_port ||
		    c->local_port != v->local_port)
			continue;
		if (*has_last && c->to == *last)
			continue;
		if (n < max)
			out[n] = c->to;
		n++;
		*last = c->to;
		*has_last = true;
	}
	return n;
}

static void mark_view(struct run *r, const struct tl_event *te,
		      struct state_view *v, size_t next,
		      enum tcp_state_id last)
{
	v->next = next;
	v->last = last;
	v->has_last = true;
	if (te->state.has_fd)
		v->fd = te->state.fd;
}

size_t run_trace_mark(struct run *r, const struct tl_event *te,
		      struct diag *d)
{
	uint16_t lport, rport;

	if (!r->trace || check_key(r, te, &lport, &rport, d) ||
	    poll_key(r, lport, rport, d))
		return 0;
	return statetrace_count(r->trace);
}

void run_trace_checked(struct run *r, const struct tl_event *te,
		       size_t mark, enum tcp_state_id st)
{
	uint16_t lport, rport;
	struct diag ignored = {0};

	if (!r->trace || check_key(r, te, &lport, &rport, &ignored))
		return;
	mark_view(r, te, find_view(r, lport, rport), mark, st);
}

/* " (line N)" in the script itself, " (FILE:N)" in a file it included,
 * FILE as the diagnostics name it. */
static size_t trace_where(const struct run *r, const struct src_loc *at,
			  char *buf, size_t len)
{
	const struct script *s = r->in->script;

	if (at->file > 0 && (size_t)at->file < s->file_count)
		return (size_t)snprintf(buf, len, " (%s:%d)",
					s->files[at->file].name,
					at->first_line);
	return (size_t)snprintf(buf, len, " (line %d)", at->first_line);
}

void run_trace_text(struct run *r, const struct tl_event *te, char *buf,
		    size_t len)
{
	uint16_t lport, rport;
	struct diag ignored = {0};
	bool has_last = false;
	enum tcp_state_id last = TCP_STATE_CLOSED;
	size_t used = 0, shown = 0;

	buf[0] = '\0';
	if (!r->trace || check_key(r, te, &lport, &rport, &ignored))
		return;
	for (size_t i = 0; i < statetrace_count(r->trace) && used < len; i++) {
		const struct statetrace_change *c = statetrace_get(r->trace, i);
		const struct src_loc *at =
			i < r->change_locs_count ? r->change_locs[i] : NULL;

		if (c->remote_port != rport || c->local_port != lport ||
		    (has_last && c->to == last))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 shown++ ? ", " : "",
					 sockstate_name(c->to));
		if (at && at->first_line > 0 && used < len)
			used += trace_where(r, at, buf + used, len - used);
		last = c->to;
		has_last = true;
	}
	if (used < len)
		snprintf(buf + used, len - used, "%s(state trace: %s)",
			 shown ? " " : "no state changes ",
			 statetrace_source(r->trace));
}

static void format_states(char *buf, size_t len, const enum tcp_state_id *s,
			  size_t n, size_t max)
{
	size_t used = 0;

	buf[0] = '\0';
	if (n == 0)
		snprintf(buf, len, "none");
	for (size_t i = 0; i < n && i < max && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i ? " " : "", sockstate_name(s[i]));
	if (n > max && used < len)
		snprintf(buf + used, len - used, " ...");
}

static int states_failed(struct run *r, const struct tl_event *te,
			 const enum tcp_state_id *got, size_t n,
			 struct diag *d)
{
	char want[512], have[512], fd[16] = "";

	format_states(want, sizeof(want), te->state.seq, te->state.count,
		      TL_STATES_MAX);
	format_states(have, sizeof(have), got, n, STATES_SHOWN_MAX);
	if (te->state.has_fd)
		snprintf(fd, sizeof(fd), "%d", te->state.fd);
	diag_set(d, EXIT_FAIL, &te->state.seq_loc,
		 "expected state changes %s, got %s", want, have);
	diag_expected(d, "tcp_states(%s) = %s", fd, want);
	diag_actual(d, "tcp_states(%s) = %s", fd, have);
	run_trace_text(r, te, have, sizeof(have));
	diag_trace(d, "%s", have);
	return -1;
}

int run_states(struct run *r, const struct tl_event *te, const struct slot *s,
	       struct diag *d)
{
	int64_t deadline = te->window ? s->end + s->tol : s->start;
	enum tcp_state_id got[STATES_SHOWN_MAX], last;
	struct state_view *v;
	uint16_t lport, rport;
	bool has_last, same;
	size_t n;

	if (!r->trace)
		return diag_set(d, EXIT_INTERNAL, &te->ev->loc,
				"no state trace");
	for (;;) {
		if (check_key(r, te, &lport, &rport, d) ||
		    poll_key(r, lport, rport, d))
			return -1;
		v = find_view(r, lport, rport);
		n = view_changes(r, v, got, STATES_SHOWN_MAX, &last,
				 &has_last);
		same = n == te->state.count &&
		       !memcmp(got, te->state.seq, n * sizeof(got[0]));
		if (same || run_now() >= deadline)
			break;
		if (run_wait_until(r, run_now() + STATES_POLL_NS, d))
			return -1;
	}
	r->prev_actual = run_now();
	r->prev_anchor = te->window ? r->prev_actual : s->start;
	if (r->in->config->verbose) {
		char have[512], fd[16] = "";

		format_states(have, sizeof(have), got, n, STATES_SHOWN_MAX);
		if (te->state.has_fd)
			snprintf(fd, sizeof(fd), "%d", te->state.fd);
		run_log(r, run_now(), "tcp_states(%s) = %s", fd, have);
	}
	if (!same)
		return states_failed(r, te, got, n, d);
	if (has_last)
		mark_view(r, te, v, statetrace_count(r->trace), last);
	else
		v->next = statetrace_count(r->trace);
	return 0;
}
