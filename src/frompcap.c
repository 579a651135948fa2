/* --from-pcap: which connection of the capture, which of its ends is the
 * stack under test, and what of the capture belongs to no script. */
#include "frompcap.h"
#include "frompcap_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* "ADDR:PORT" or "[ADDR6]:PORT". */
static int parse_endpoint(const char *text, struct fp_endpoint *e,
			  struct diag *d)
{
	char addr[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(text, ':');
	unsigned long port = 0;
	char *end = NULL;
	size_t n;

	memset(e, 0, sizeof(*e));
	if (colon && colon[1] >= '0' && colon[1] <= '9') {
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
	}
	n = colon ? (size_t)(colon - text) : 0;
	if (!end || *end || errno || port > 65535 || n == 0 ||
	    n >= sizeof(addr))
		goto bad;
	memcpy(addr, text, n);
	addr[n] = '\0';
	e->port = (uint16_t)port;
	if (addr[0] == '[' && addr[n - 1] == ']') {
		addr[n - 1] = '\0';
		e->family = AF_INET6;
		if (inet_pton(AF_INET6, addr + 1, &e->addr.v6) == 1)
			return 0;
	} else {
		e->family = AF_INET;
		if (inet_pton(AF_INET, addr, &e->addr.v4) == 1)
			return 0;
	}
bad:
	return diag_set(d, EXIT_USAGE, NULL,
			"--stack-side wants ADDR:PORT or [IPV6-ADDR]:PORT, "
			"got '%s'",
			text);
}

/* tcpcheck's default addresses for the stack (local) and the tool
 * (remote), as its configuration fills them in, for one family. */
static bool is_default_addr(const union packet_addr *a, int family,
			    bool local)
{
	struct config cfg;
	struct diag d = {0};
	const struct sockaddr_storage *ss;

	config_init(&cfg);
	if (config_apply(&cfg, "ip_version",
			 family == AF_INET6 ? "ipv6" : "ipv4", NULL, &d) ||
	    config_finish(&cfg, &d))
		return false;
	ss = local ? &cfg.local : &cfg.remote;
	if (family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr,
			       &a->v6, sizeof(a->v6));
	return !memcmp(&((const struct sockaddr_in *)ss)->sin_addr, &a->v4,
		       sizeof(a->v4));
}

/* 1: a is tcpcheck's stack, 0: b is, -1: not tcpcheck's addresses. */
static int tcpcheck_side(const struct fp_conn *k)
{
	int f = k->a.family;

	if (is_default_addr(&k->a.addr, f, true) &&
	    is_default_addr(&k->b.addr, f, false))
		return 1;
	if (is_default_addr(&k->b.addr, f, true) &&
	    is_default_addr(&k->a.addr, f, false))
		return 0;
	return -1;
}

/* Without --stack-side: tcpcheck's own address, else the end that
 * received the first SYN (the server), else the first segment's
 * destination. */
static void guess_stack_side(struct fp_draft *dr)
{
	int own = tcpcheck_side(dr->conn);

	if (own >= 0) {
		dr->stack_is_a = own;
		dr->why_stack = "tcpcheck's local address";
		return;
	}
	for (size_t i = 0; i < dr->seg_count; i++) {
		const struct fp_seg *s = &dr->segs[i];

		if ((s->tcp.flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN) {
			dr->stack_is_a = !s->from_a;
			dr->why_stack = "it received the first SYN";
			return;
		}
	}
	dr->stack_is_a = dr->seg_count && !dr->segs[0].from_a;
	dr->why_stack = "the first segment's destination; no SYN";
}

static int choose_stack_side(const struct frompcap_options *o,
			     struct fp_draft *dr, struct diag *d)
{
	struct fp_endpoint e;
	char a[64], b[64];

	if (!o->stack_side) {
		guess_stack_side(dr);
		return 0;
	}
	if (parse_endpoint(o->stack_side, &e, d))
		return -1;
	if (fp_endpoint_equal(&e, &dr->conn->a) ||
	    fp_endpoint_equal(&e, &dr->conn->b)) {
		dr->stack_is_a = fp_endpoint_equal(&e, &dr->conn->a);
		dr->why_stack = "--stack-side";
		return 0;
	}
	fp_endpoint_format(&dr->conn->a, a, sizeof(a));
	fp_endpoint_format(&dr->conn->b, b, sizeof(b));
	return diag_set(d, EXIT_USAGE, NULL,
			"--stack-side %s is neither end of connection %u "
			"(%s > %s)",
			o->stack_side, dr->conn_number, a, b);
}

/* tcpcheck ends a run by resetting the connection from the tool's side
 * (a bare RST, window 0) and destroying the stack's sockets, which may
 * answer with resets of their own: no script wrote those, and a rerun
 * sends them again after its last event. */
static void drop_teardown(struct fp_draft *dr)
{
	size_t n = dr->seg_count;

	if (tcpcheck_side(dr->conn) < 0)
		return;
	/* A connection of nothing but resets keeps them. */
	for (size_t i = n; i-- > 1;) {
		const struct fp_seg *s = &dr->segs[i];
		bool inbound = s->from_a != dr->stack_is_a;

		if (!(s->tcp.flags & TCPF_RST))
			return;
		if (inbound && s->tcp.flags == TCPF_RST && s->tcp.win == 0) {
			dr->teardown_dropped = n - i;
			dr->seg_count = i;
			return;
		}
	}
}

static void print_warnings(const struct fp_capture *c, FILE *err)
{
	if (c->truncated)
		fprintf(err,
			"%s: warning: skipped %lu packet%s cut short by the "
			"capture's snapshot length\n",
			c->file, c->truncated, c->truncated == 1 ? "" : "s");
	if (c->malformed)
		fprintf(err,
			"%s: warning: skipped %lu packet%s with malformed IP "
			"or TCP headers\n",
			c->file, c->malformed, c->malformed == 1 ? "" : "s");
	if (c->cut_short)
		fprintf(err,
			"%s: warning: the file ends inside a packet (%s): "
			"using the %lu packet%s before it\n",
			c->file, c->cut_reason, c->frames,
			c->frames == 1 ? "" : "s");
}

static void list_connections(const struct fp_capture *c, FILE *err)
{
	int64_t t0 = c->count ? c->conns[0].first_ns : 0;

	fprintf(err, "%s: %zu TCP connections:\n", c->file, c->count);
	fprintf(err, "  %3s  %-47s  %10s  %8s  %s\n", "N", "endpoints",
		"first (s)", "segments", "SYN");
	for (size_t i = 0; i < c->count; i++) {
		const struct fp_conn *k = &c->conns[i];
		char a[64], b[64], ab[140];
		int64_t t = k->first_ns - t0;

		fp_endpoint_format(&k->a, a, sizeof(a));
		fp_endpoint_format(&k->b, b, sizeof(b));
		snprintf(ab, sizeof(ab), "%s > %s", a, b);
		fprintf(err, "  %3zu  %-47s  %3lld.%06lld  %8lu  %s\n", i + 1,
			ab, (long long)(t / 1000000000),
			(long long)(t % 1000000000 / 1000), k->segments,
			k->has_syn ? "yes" : "no");
	}
}

static int choose_connection(const struct frompcap_options *o,
			     const struct fp_capture *c, FILE *err,
			     size_t *index, struct diag *d)
{
	if (c->count == 0)
		return diag_set(d, EXIT_USAGE, NULL,
				"no TCP segment in the capture (%lu packet%s)",
				c->frames, c->frames == 1 ? "" : "s");
	if (o->connection) {
		if (o->connection > c->count)
			return diag_set(
				d, EXIT_USAGE, NULL,
				"--connection %u: the capture has %zu TCP "
				"connection%s",
				o->connection, c->count,
				c->count == 1 ? "" : "s");
		*index = o->connection - 1;
		return 0;
	}
	if (c->count > 1) {
		list_connections(c, err);
		return diag_set(d, EXIT_USAGE, NULL,
				"%zu TCP connections in the capture: pick one "
				"with --connection N",
				c->count);
	}
	*index = 0;
	return 0;
}

static int write_out(const struct frompcap_options *o,
		     const struct fp_draft *dr, struct diag *d)
{
	FILE *out = stdout;

	if (o->out && !(out = fopen(o->out, "w")))
		return diag_set(d, EXIT_USAGE, NULL, "cannot write %s: %s",
				o->out, strerror(errno));
	if (fp_write_draft(dr, out, d)) {
		if (out != stdout)
			fclose(out);
		return -1;
	}
	if (out == stdout ? fflush(out) : fclose(out))
		return diag_set(d, EXIT_INTERNAL, NULL, "cannot write %s: %s",
				o->out ? o->out : "the draft",
				strerror(errno));
	return 0;
}

int frompcap_run(const struct frompcap_options *o, FILE *err, struct diag *d)
{
	struct fp_capture c = {.file = o->file};
	struct fp_endpoint probe;
	struct fp_draft dr = {.file = o->file};
	size_t index = 0;
	int r = -1;

	/* A bad --stack-side is a usage error before any reading. */
	if (o->stack_side && parse_endpoint(o->stack_side, &probe, d))
		return -1;
	if (fp_read(&c, SIZE_MAX, d))
		goto out;
	print_warnings(&c, err);
	if (choose_connection(o, &c, err, &index, d) ||
	    fp_read(&c, index, d))
		goto out;
	dr.conn_number = (unsigned)index + 1;
	dr.conn = &c.conns[index];
	dr.segs = c.segs;
	dr.seg_count = c.seg_count;
	if (choose_stack_side(o, &dr, d))
		goto out;
	drop_teardown(&dr);
	r = write_out(o, &dr, d);
out:
	fp_capture_free(&c);
	return r;
}
