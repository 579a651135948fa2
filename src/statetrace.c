/* The state trace: every state change of a run's connections, with its
 * time, from the sock:inet_sock_set_state tracepoint, else by sampling
 * over sock_diag.
 *
 * The tracepoint has no network namespace, and every run has the same
 * addresses, so what keeps runs apart is the tool's port: a run that
 * traces takes a block of ports no other tcpcheck run on the machine
 * holds (tracefs.c claims it with the instance's name), puts the tool's
 * side of every connection there (conn.c), and has the kernel keep only
 * events whose remote port is in the block. Addresses are checked too,
 * against anything else on the machine that might use those ports.
 *
 * How the kernel's events become RFC 9293 states, as seen on 6.18:
 * - A passive open shows LISTEN -> SYN_RECV when the full socket is made,
 *   on the handshake's last ACK; the request socket before it is not
 *   traced. So the script's connection is sampled until its first event:
 *   a request socket found is SYN_RECV (then CLOSED if it goes away
 *   without a full socket, as after a RST).
 * - An active open shows CLOSE -> SYN_SENT before its port is chosen
 *   (sport 0); it is the change of the connection whose next event, on
 *   the same tool port, leaves SYN_SENT.
 * - TIME_WAIT, and FIN_WAIT_2 after close, belong to a small time-wait
 *   socket the tracepoint does not see: the full socket goes from
 *   FIN_WAIT2 or CLOSING to CLOSE. Whether a time-wait socket took over,
 *   and in which state, is asked over sock_diag at once; from then on
 *   that socket is sampled at every read, which finds it going to
 *   TIME_WAIT or away (CLOSED).
 * - A change to the state the connection is in (FIN_WAIT2 -> FIN_WAIT2
 *   when the fd is closed) is none. */
#include "statetrace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tracefs.h"

#define EVENT "sock/inet_sock_set_state"
#define FOLLOW_MAX 16
#define READ_CHUNK 8192
#define LINE_MAX_LEN 1024

/* A connection whose state only sampling can see. */
struct followed {
	uint16_t local_port, remote_port;
	enum tcp_state_id state;
};

struct statetrace {
	bool tracepoint;
	int (*sample)(void *, const struct sockaddr *, const struct sockaddr *,
		      enum tcp_state_id *, struct diag *);
	void *sample_arg;
	char source[128];
	struct tracefs *tfs;
	uint16_t first_port;
	int family;
	struct sockaddr_storage local, remote;
	uint8_t local6[16], remote6[16]; /* as the tracepoint prints them */
	char line[LINE_MAX_LEN];
	size_t line_len;
	bool line_too_long;
	struct statetrace_change *changes;
	size_t count, cap;
	struct followed follow[FOLLOW_MAX];
	size_t follow_count;
};

/* statetrace_params' now: one trace a process. */
static int64_t (*hook_now)(void);

static int64_t now_ns(void)
{
	struct timespec ts;

	if (hook_now)
		return hook_now();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* IPv4 as ::ffff:a.b.c.d, the way the event's *_v6 fields hold it. */
static void to_v6(const struct sockaddr *sa, uint8_t out[16])
{
	memset(out, 0, 16);
	if (sa->sa_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
}

static int sample(struct statetrace *t, uint16_t local_port,
		  uint16_t remote_port, enum tcp_state_id *st, struct diag *d)
{
	struct sockaddr_storage l = t->local, r = t->remote;

	sockstate_addr_set_port(&l, local_port);
	sockstate_addr_set_port(&r, remote_port);
	if (t->sample)
		return t->sample(t->sample_arg, (struct sockaddr *)&l,
				 (struct sockaddr *)&r, st, d);
	return sockstate_of_tuple(t->family, (struct sockaddr *)&l,
				  (struct sockaddr *)&r, st, d);
}

static int add_change(struct statetrace *t,
		      const struct statetrace_change *c)
{
	if (t->count == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 32;
		struct statetrace_change *n =
		    realloc(t->changes, cap * sizeof(*n));

		if (!n)
			return -1;
		t->changes = n;
		t->cap = cap;
	}
	t->changes[t->count++] = *c;
	return 0;
}

static struct followed *find_followed(struct statetrace *t, uint16_t lport,
				      uint16_t rport)
{
	for (size_t i = 0; i < t->follow_count; i++)
		if (t->follow[i].local_port == lport &&
		    t->follow[i].remote_port == rport)
			return &t->follow[i];
	return NULL;
}

static void follow(struct statetrace *t, uint16_t lport, uint16_t rport,
		   enum tcp_state_id st)
{
	struct followed *f = find_followed(t, lport, rport);

	if (!f && t->follow_count < FOLLOW_MAX)
		f = &t->follow[t->follow_count++];
	if (!f) /* the oldest makes room */
		f = &t->follow[0];
	f->local_port = lport;
	f->remote_port = rport;
	f->state = st;
}

static void unfollow(struct statetrace *t, struct followed *f)
{
	*f = t->follow[--t->follow_count];
}

/* Events from before the port was chosen (sport 0) belong to the
 * connection that leaves, on the same tool port, the state they led to. */
static void claim_portless(struct statetrace *t,
			   const struct statetrace_change *c)
{
	size_t i = t->count;

	while (i > 0 && !(t->changes[i - 1].remote_port == c->remote_port &&
			  t->changes[i - 1].local_port == 0))
		i--;
	if (i == 0 || t->changes[i - 1].to != c->from)
		return;
	for (; i > 0; i--) {
		struct statetrace_change *p = &t->changes[i - 1];

		if (p->remote_port == c->remote_port && p->local_port == 0)
			p->local_port = c->local_port;
	}
}

/* One event of the tracepoint, mapped as the file's comment says. */
static int record_event(struct statetrace *t, struct statetrace_change *c,
			struct diag *d)
{
	if (c->from == c->to)
		return 0;
	if (c->to == TCP_STATE_CLOSED && (c->from == TCP_STATE_FIN_WAIT_2 ||
					  c->from == TCP_STATE_CLOSING)) {
		enum tcp_state_id st;

		if (sample(t, c->local_port, c->remote_port, &st, d))
			return -1;
		if (st == TCP_STATE_TIME_WAIT || st == TCP_STATE_FIN_WAIT_2) {
			follow(t, c->local_port, c->remote_port, st);
			if (st == c->from)
				return 0;
			c->to = st;
		}
	}
	if (c->local_port)
		claim_portless(t, c);
	return add_change(t, c) ? diag_set(d, EXIT_INTERNAL, NULL,
					   "out of memory")
				: 0;
}

/* The text after "key=" up to the next blank, into out. */
static bool field(const char *line, const char *key, char *out, size_t len)
{
	const char *p = strstr(line, key);
	size_t n;

	if (!p)
		return false;
	p += strlen(key);
	n = strcspn(p, " \n");
	if (n == 0 || n >= len)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static bool port_field(const char *line, const char *key, uint16_t *port)
{
	char text[16];
	char *end;
	unsigned long v;

	if (!field(line, key, text, sizeof(text)))
		return false;
	v = strtoul(text, &end, 10);
	if (*end || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

static bool addr_field(const char *line, const char *key,
		       const uint8_t want[16])
{
	char text[INET6_ADDRSTRLEN];
	uint8_t a[16];

	return field(line, key, text, sizeof(text)) &&
	       inet_pton(AF_INET6, text, a) == 1 && !memcmp(a, want, 16);
}

static bool state_field(const char *line, const char *key,
			enum tcp_state_id *st)
{
	char text[32];

	return field(line, key, text, sizeof(text)) &&
	       sockstate_parse(text, st) == 0;
}

/*   <comm>-<pid> [cpu] flags  SECONDS.MICROS: inet_sock_set_state: family=
 *   AF_INET protocol=IPPROTO_TCP sport=8080 dport=50001 saddr=... daddr=...
 *   saddrv6=... daddrv6=... oldstate=TCP_SYN_RECV newstate=TCP_ESTABLISHED
 * Anything else, or another run's connection, is passed over. */
static int parse_line(struct statetrace *t, const char *line, struct diag *d)
{
	const char *ev = strstr(line, ": inet_sock_set_state: ");
	const char *ts = ev;
	struct statetrace_change c = {0};
	long long sec;
	long usec;

	if (!ev)
		return 0;
	while (ts > line && ts[-1] != ' ')
		ts--;
	if (sscanf(ts, "%lld.%6ld:", &sec, &usec) != 2)
		return 0;
	c.time = sec * 1000000000LL + usec * 1000LL;
	ev += strlen(": inet_sock_set_state:");
	if (!port_field(ev, " sport=", &c.local_port) ||
	    !port_field(ev, " dport=", &c.remote_port) ||
	    !addr_field(ev, " daddrv6=", t->remote6) ||
	    !state_field(ev, " oldstate=", &c.from) ||
	    !state_field(ev, " newstate=", &c.to))
		return 0;
	/* Before the port, the address may not be chosen either. */
	if (c.local_port && !addr_field(ev, " saddrv6=", t->local6))
		return 0;
	return record_event(t, &c, d);
}

static int read_trace(struct statetrace *t, struct diag *d)
{
	char buf[READ_CHUNK];
	ssize_t n;

	while ((n = tracefs_read(t->tfs, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (t->line_len + 1 < sizeof(t->line))
					t->line[t->line_len++] = buf[i];
				else
					t->line_too_long = true;
				continue;
			}
			t->line[t->line_len] = '\0';
			if (!t->line_too_long && parse_line(t, t->line, d))
				return -1;
			t->line_len = 0;
			t->line_too_long = false;
		}
	}
	if (n < 0)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"cannot read the state trace: %s",
				strerror(errno));
	return 0;
}

/* What only sampling sees: time-wait sockets, or every connection when
 * there is no tracepoint. */
static int sample_followed(struct statetrace *t, struct diag *d)
{
	for (size_t i = 0; i < t->follow_count;) {
		struct followed *f = &t->follow[i];
		struct statetrace_change c = {
		    .local_port = f->local_port,
		    .remote_port = f->remote_port,
		    .from = f->state,
		    .sampled = true,
		};

		if (sample(t, f->local_port, f->remote_port, &c.to, d))
			return -1;
		c.time = now_ns();
		if (c.to != c.from && add_change(t, &c))
			return diag_set(d, EXIT_INTERNAL, NULL,
					"out of memory");
		f->state = c.to;
		/* With the tracepoint, a time-wait socket's end is the end. */
		if (t->tracepoint && c.to == TCP_STATE_CLOSED)
			unfollow(t, f);
		else
			i++;
	}
	return 0;
}

/* The connection's state as the list has it last; CLOSED if none, and
 * whether the tracepoint reported any of it. */
static enum tcp_state_id last_state(const struct statetrace *t, uint16_t lport,
				    uint16_t rport, bool *traced)
{
	enum tcp_state_id st = TCP_STATE_CLOSED;
	bool found = false;

	*traced = false;
	for (size_t i = t->count; i > 0; i--) {
		const struct statetrace_change *c = &t->changes[i - 1];

		if (c->local_port != lport || c->remote_port != rport)
			continue;
		if (!found)
			st = c->to;
		found = true;
		if (!c->sampled) {
			*traced = true;
			break;
		}
	}
	return st;
}

/* A request socket (SYN_RECV before the handshake ends), which only
 * sampling sees; other states the tracepoint reports itself. */
static int sample_request(struct statetrace *t, uint16_t lport,
			  uint16_t rport, struct diag *d)
{
	struct statetrace_change c = {
	    .local_port = lport, .remote_port = rport, .sampled = true};
	bool traced;

	c.from = last_state(t, lport, rport, &traced);
	if (traced)
		return 0;
	if (sample(t, lport, rport, &c.to, d))
		return -1;
	c.time = now_ns();
	if (!(c.to == TCP_STATE_SYN_RECV && c.from != TCP_STATE_SYN_RECV) &&
	    !(c.to == TCP_STATE_CLOSED && c.from == TCP_STATE_SYN_RECV))
		return 0;
	return add_change(t, &c) ? diag_set(d, EXIT_INTERNAL, NULL,
					    "out of memory")
				 : 0;
}

int statetrace_poll(struct statetrace *t, uint16_t local_port,
		    uint16_t remote_port, struct diag *d)
{
	if (t->tracepoint) {
		if (read_trace(t, d))
			return -1;
		if (local_port && remote_port &&
		    sample_request(t, local_port, remote_port, d))
			return -1;
	} else if (local_port && remote_port &&
		   !find_followed(t, local_port, remote_port)) {
		follow(t, local_port, remote_port, TCP_STATE_CLOSED);
	}
	return sample_followed(t, d);
}

static void use_sampling(struct statetrace *t, const char *why)
{
	t->tracepoint = false;
	t->first_port = 0;
	snprintf(t->source, sizeof(t->source), "sock_diag sampling (%s)",
		 why);
}

/* Only events of the run's block of tool ports: the kernel drops the
 * rest before they reach the buffer. */
static int start_tracepoint(struct statetrace *t, char *why, size_t len)
{
	char filter[128];
	unsigned slot;

	if (tracefs_open(&t->tfs, STATETRACE_PORT_BLOCKS, &slot, why, len))
		return -1;
	t->first_port =
	    (uint16_t)(STATETRACE_PORT_BASE + slot * STATETRACE_PORT_BLOCK);
	snprintf(filter, sizeof(filter),
		 "protocol == %d && dport >= %u && dport <= %u", IPPROTO_TCP,
		 t->first_port, t->first_port + STATETRACE_PORT_BLOCK - 1);
	if (tracefs_enable(t->tfs, EVENT, filter, why, len)) {
		tracefs_close(t->tfs);
		t->tfs = NULL;
		return -1;
	}
	t->tracepoint = true;
	snprintf(t->source, sizeof(t->source), "tracepoint");
	return 0;
}

int statetrace_open(struct statetrace **out, const struct statetrace_params *p,
		    struct diag *d)
{
	struct statetrace *t = calloc(1, sizeof(*t));
	char why[96];

	*out = NULL;
	if (!t)
		return diag_set(d, EXIT_INTERNAL, NULL, "out of memory");
	t->family = p->socket_family;
	memcpy(&t->local, p->local, p->local->sa_family == AF_INET
					? sizeof(struct sockaddr_in)
					: sizeof(struct sockaddr_in6));
	memcpy(&t->remote, p->remote, p->remote->sa_family == AF_INET
					  ? sizeof(struct sockaddr_in)
					  : sizeof(struct sockaddr_in6));
	to_v6(p->local, t->local6);
	to_v6(p->remote, t->remote6);
	t->sample = p->sample;
	t->sample_arg = p->sample_arg;
	hook_now = p->now;
	if (p->sample) {
		t->tracepoint = false;
		snprintf(t->source, sizeof(t->source), "%s",
			 p->sample_source ? p->sample_source : "sampling");
	} else if (p->force_sampling) {
		use_sampling(t, "--state_trace=sampling");
	} else if (p->sample_why) {
		use_sampling(t, p->sample_why);
	} else if (p->fixed_port) {
		snprintf(why, sizeof(why), "--%s fixes the tool's port",
			 p->fixed_port);
		use_sampling(t, why);
	} else if (start_tracepoint(t, why, sizeof(why))) {
		use_sampling(t, why);
	}
	*out = t;
	return 0;
}

const char *statetrace_source(const struct statetrace *t)
{
	return t->source;
}

uint16_t statetrace_first_port(const struct statetrace *t)
{
	return t->first_port;
}

size_t statetrace_count(const struct statetrace *t)
{
	return t->count;
}

const struct statetrace_change *statetrace_get(const struct statetrace *t,
					       size_t i)
{
	return i < t->count ? &t->changes[i] : NULL;
}

void statetrace_close(struct statetrace *t)
{
	if (!t)
		return;
	tracefs_close(t->tfs);
	free(t->changes);
	free(t);
}
