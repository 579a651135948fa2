/* Run settings shared by the command line and a script's option lines. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "suggest.h"

/* SCRIPT-LANGUAGE.md section 6: the corpus runner's choices. */
#define V4_LOCAL "192.168.0.1"
#define V4_REMOTE "192.0.2.1"
#define V4_GATEWAY "192.168.0.1"
#define V4_NETMASK "255.255.0.0"
#define V6_LOCAL "fd3d:0a0b:17d6::1"
#define V6_REMOTE "fd3d:fa7b:d17d::1"
#define V6_GATEWAY "fd3d:0a0b:17d6:8888::1"

enum opt_kind {
	OPT_FLAG,
	OPT_VALUE,
	OPT_LATER, /* packetdrill has it; tcpcheck does not run it yet */
};

struct opt_desc {
	const char *name;
	enum opt_kind kind;
	int (*apply)(struct config *c, const char *value, const char *name,
		     const struct src_loc *loc, struct diag *d);
};

static int parse_long(const char *value, long min, long max, long *out)
{
	char *end;

	if (!value || !*value)
		return -1;
	errno = 0;
	*out = strtol(value, &end, 0);
	if (errno || *end || *out < min || *out > max)
		return -1;
	return 0;
}

static int bad_value(const char *name, const char *value,
		     const struct src_loc *loc, struct diag *d,
		     const char *want)
{
	return diag_set(d, EXIT_USAGE, loc, "bad value '%s' for --%s: %s",
			value ? value : "", name, want);
}

static int set_ip_version(struct config *c, const char *value,
			  const char *name, const struct src_loc *loc,
			  struct diag *d)
{
	if (value && !strcmp(value, "ipv4"))
		c->ip_version = IP_V4;
	else if (value && !strcmp(value, "ipv6"))
		c->ip_version = IP_V6;
	else if (value && (!strcmp(value, "ipv4-mapped-ipv6") ||
			   !strcmp(value, "ipv4-mapped-v6")))
		c->ip_version = IP_V4_MAPPED_V6;
	else
		return bad_value(name, value, loc, d,
				 "expected ipv4, ipv6 or ipv4-mapped-ipv6");
	return 0;
}

static int set_addr_field(char *field, const char *value, const char *name,
			  const struct src_loc *loc, struct diag *d)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (!value || (inet_pton(AF_INET, value, &a4) != 1 &&
		       inet_pton(AF_INET6, value, &a6) != 1))
		return bad_value(name, value, loc, d, "expected an IP address");
	snprintf(field, CONFIG_ADDR_MAX, "%s", value);
	return 0;
}

static int set_local_ip(struct config *c, const char *v, const char *n,
			const struct src_loc *l, struct diag *d)
{
	return set_addr_field(c->local_ip, v, n, l, d);
}

static int set_remote_ip(struct config *c, const char *v, const char *n,
			 const struct src_loc *l, struct diag *d)
{
	return set_addr_field(c->remote_ip, v, n, l, d);
}

static int set_gateway_ip(struct config *c, const char *v, const char *n,
			  const struct src_loc *l, struct diag *d)
{
	return set_addr_field(c->gateway_ip, v, n, l, d);
}

static int set_netmask_ip(struct config *c, const char *v, const char *n,
			  const struct src_loc *l, struct diag *d)
{
	return set_addr_field(c->netmask_ip, v, n, l, d);
}

static int set_port(uint16_t *port, const char *value, const char *name,
		    const struct src_loc *loc, struct diag *d)
{
	long v;

	if (parse_long(value, 1, 65535, &v))
		return bad_value(name, value, loc, d,
				 "expected a port number 1-65535");
	*port = (uint16_t)v;
	return 0;
}

static int set_bind_port(struct config *c, const char *v, const char *n,
			 const struct src_loc *l, struct diag *d)
{
	return set_port(&c->bind_port, v, n, l, d);
}

static int set_connect_port(struct config *c, const char *v, const char *n,
			    const struct src_loc *l, struct diag *d)
{
	c->connect_port_set = true;
	return set_port(&c->connect_port, v, n, l, d);
}

static int set_state_trace(struct config *c, const char *v, const char *n,
			   const struct src_loc *l, struct diag *d)
{
	if (v && (!strcmp(v, "auto") || !strcmp(v, "sampling"))) {
		c->state_trace_sampling = !strcmp(v, "sampling");
		return 0;
	}
	return bad_value(n, v, l, d, "expected auto or sampling");
}

static int set_tolerance_usecs(struct config *c, const char *value,
			       const char *name, const struct src_loc *loc,
			       struct diag *d)
{
	long v;

	if (parse_long(value, 0, LONG_MAX, &v))
		return bad_value(name, value, loc, d,
				 "expected microseconds, 0 or more");
	c->tolerance_usecs = v;
	return 0;
}

static int set_tolerance_percent(struct config *c, const char *value,
				 const char *name, const struct src_loc *loc,
				 struct diag *d)
{
	char *end;
	double v;

	if (!value || !*value)
		return bad_value(name, value, loc, d, "expected a percentage");
	errno = 0;
	v = strtod(value, &end);
	if (errno || *end || v < 0 || v > 100)
		return bad_value(name, value, loc, d,
				 "expected a percentage 0-100");
	c->tolerance_percent = v;
	return 0;
}

static int set_mtu(struct config *c, const char *value, const char *name,
		   const struct src_loc *loc, struct diag *d)
{
	long v;

	if (parse_long(value, 576, 65535, &v))
		return bad_value(name, value, loc, d, "expected 576-65535");
	c->mtu = (int)v;
	return 0;
}

static int set_mss(struct config *c, const char *value, const char *name,
		   const struct src_loc *loc, struct diag *d)
{
	long v;

	if (parse_long(value, 1, 65535, &v))
		return bad_value(name, value, loc, d, "expected 1-65535");
	c->mss = (int)v;
	return 0;
}

static int set_strict_segments(struct config *c, const char *value,
			       const char *name, const struct src_loc *loc,
			       struct diag *d)
{
	c->strict_segments = true;
	return 0;
}

static int set_tcp_ts_tick_usecs(struct config *c, const char *value,
				 const char *name, const struct src_loc *loc,
				 struct diag *d)
{
	long v;

	if (parse_long(value, 0, 1000000, &v))
		return bad_value(name, value, loc, d,
				 "expected microseconds per tick, 0-1000000");
	c->tcp_ts_tick_usecs = (int)v;
	return 0;
}

/* Inbound TS ecr values are always mapped by the offset between the first
 * outbound TS val the script wrote and the live one: what this flag asks
 * packetdrill for (without it, packetdrill maps only ecr values equal to
 * a TS val the stack sent). */
static int set_tcp_ts_ecr_scaled(struct config *c, const char *value,
				 const char *name, const struct src_loc *loc,
				 struct diag *d)
{
	c->tcp_ts_ecr_scaled = true;
	return 0;
}

static int set_verbose(struct config *c, const char *value, const char *name,
		       const struct src_loc *loc, struct diag *d)
{
	c->verbose++;
	return 0;
}

static int set_stats(struct config *c, const char *value, const char *name,
		     const struct src_loc *loc, struct diag *d)
{
	c->stats = true;
	return 0;
}

static int set_realtime(struct config *c, const char *value,
			const char *name, const struct src_loc *loc,
			struct diag *d)
{
	c->realtime = true;
	return 0;
}

/* The stack is the run's, not the script's: a script runs on any. */
static int set_stack_text(char *out, size_t cap, const char *value,
			  const char *name, const struct src_loc *loc,
			  struct diag *d)
{
	if (loc)
		return diag_set(d, EXIT_USAGE, loc,
				"--%s is a command-line option: a script runs "
				"on whichever stack it is given",
				name);
	if (!value || strlen(value) >= cap)
		return bad_value(name, value, loc, d, "expected a name or a file");
	memcpy(out, value, strlen(value) + 1);
	return 0;
}

static int set_stack(struct config *c, const char *value, const char *name,
		     const struct src_loc *loc, struct diag *d)
{
	if (set_stack_text(c->stack, sizeof(c->stack), value, name, loc, d))
		return -1;
	if (!strcmp(c->stack, "kernel"))
		c->stack[0] = '\0';
	return 0;
}

static int set_stack_options(struct config *c, const char *value,
			     const char *name, const struct src_loc *loc,
			     struct diag *d)
{
	return set_stack_text(c->stack_options, sizeof(c->stack_options),
			      value, name, loc, d);
}

static const struct opt_desc options[] = {
	{"ip_version", OPT_VALUE, set_ip_version},
	{"local_ip", OPT_VALUE, set_local_ip},
	{"remote_ip", OPT_VALUE, set_remote_ip},
	{"gateway_ip", OPT_VALUE, set_gateway_ip},
	{"netmask_ip", OPT_VALUE, set_netmask_ip},
	{"bind_port", OPT_VALUE, set_bind_port},
	{"connect_port", OPT_VALUE, set_connect_port},
	{"state_trace", OPT_VALUE, set_state_trace},
	{"tolerance_usecs", OPT_VALUE, set_tolerance_usecs},
	{"tolerance_percent", OPT_VALUE, set_tolerance_percent},
	{"mtu", OPT_VALUE, set_mtu},
	{"mss", OPT_VALUE, set_mss},
	{"strict_segments", OPT_FLAG, set_strict_segments},
	{"verbose", OPT_FLAG, set_verbose},
	{"stats", OPT_FLAG, set_stats},
	{"realtime", OPT_FLAG, set_realtime},
	{"stack", OPT_VALUE, set_stack},
	{"stack_options", OPT_VALUE, set_stack_options},
	{"tcp_ts_tick_usecs", OPT_VALUE, set_tcp_ts_tick_usecs},
	{"tcp_ts_ecr_scaled", OPT_FLAG, set_tcp_ts_ecr_scaled},
	/* packetdrill options the corpus uses that later issues run. */
	{"init_scripts", OPT_LATER, NULL},
	{"send_omit_free", OPT_LATER, NULL},
	{"speaker", OPT_LATER, NULL},
	{"non_fatal", OPT_LATER, NULL},
	{"wire_client", OPT_LATER, NULL},
	{"wire_server", OPT_LATER, NULL},
	{"so_filename", OPT_LATER, NULL},
};

/* Option names accept '-' and '_' alike: --ip-version = --ip_version. */
static void normalize(const char *name, char *out, size_t cap)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < cap; i++)
		out[i] = name[i] == '-' ? '_' : name[i];
	out[i] = '\0';
}

static const struct opt_desc *find_option(const char *name)
{
	char norm[64];

	normalize(name, norm, sizeof(norm));
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (!strcmp(options[i].name, norm))
			return &options[i];
	return NULL;
}

const char *config_option_suggest(const char *name)
{
	char norm[64];
	struct suggest s;

	normalize(name, norm, sizeof(norm));
	suggest_init(&s, norm);
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		suggest_offer(&s, options[i].name);
	return suggest_result(&s);
}

int config_option_takes_value(const char *name)
{
	const struct opt_desc *o = find_option(name);

	if (!o)
		return -1;
	if (o->kind == OPT_LATER)
		return -2;
	return o->kind != OPT_FLAG;
}

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->ip_version = IP_V4;
	c->bind_port = 8080;
	c->connect_port = 8080;
	c->tolerance_usecs = 4000;
	c->tolerance_percent = 12.5;
	c->mtu = 1500;
}

int config_apply(struct config *c, const char *name, const char *value,
		 const struct src_loc *loc, struct diag *d)
{
	const struct opt_desc *o = find_option(name);
	const char *hint;

	if (!o && (hint = config_option_suggest(name)))
		return diag_set(d, EXIT_USAGE, loc,
				"unknown option --%s; did you mean --%s?", name,
				hint);
	if (!o)
		return diag_set(d, EXIT_USAGE, loc, "unknown option --%s",
				name);
	if (o->kind == OPT_LATER)
		return diag_set(d, EXIT_USAGE, loc,
				"not supported yet: option --%s", o->name);
	if (o->kind == OPT_VALUE && !value)
		return diag_set(d, EXIT_USAGE, loc, "option --%s needs a value",
				name);
	if (o->kind == OPT_FLAG && value)
		return diag_set(d, EXIT_USAGE, loc,
				"option --%s takes no value", name);
	return o->apply(c, value, name, loc, d);
}

int config_apply_script(struct config *c, const struct script *s,
			struct diag *d)
{
	int rc = 0;

	/* Every line, so that --check hears of each bad one; the first
	 * error is still the one a run reports. */
	for (size_t i = 0; i < s->option_count; i++) {
		const struct script_option *o = &s->options[i];

		if (config_apply(c, o->name, o->value, &o->loc, d))
			rc = -1;
	}
	return rc;
}

/* Fill sa with addr:port; an IPv4 address in an AF_INET6 socket family
 * becomes ::ffff:a.b.c.d. */
static int make_sockaddr(const char *addr, uint16_t port, int family,
			 bool v4_mapped, struct sockaddr_storage *sa,
			 struct diag *d)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;
	char mapped[CONFIG_ADDR_MAX + 8];

	memset(sa, 0, sizeof(*sa));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1)
			return 0;
	} else if (!v4_mapped) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1)
			return 0;
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		snprintf(mapped, sizeof(mapped), "::ffff:%s", addr);
		if (strchr(addr, '.') &&
		    inet_pton(AF_INET6, mapped, &sin6->sin6_addr) == 1)
			return 0;
	}
	return diag_set(d, EXIT_USAGE, NULL,
			"address %s does not fit --ip_version=%s", addr,
			family == AF_INET ? "ipv4"
			: v4_mapped	  ? "ipv4-mapped-ipv6"
					  : "ipv6");
}

static int netmask_prefix(const char *mask, int *prefix, struct diag *d)
{
	struct in_addr a;
	uint32_t m;
	int n = 0;

	if (inet_pton(AF_INET, mask, &a) != 1)
		return diag_set(d, EXIT_USAGE, NULL, "bad netmask %s", mask);
	m = ntohl(a.s_addr);
	while (m & 0x80000000u) {
		n++;
		m <<= 1;
	}
	if (m)
		return diag_set(d, EXIT_USAGE, NULL,
				"netmask %s is not contiguous", mask);
	*prefix = n;
	return 0;
}

int config_finish(struct config *c, struct diag *d)
{
	bool v6 = c->ip_version == IP_V6;

	if (!c->local_ip[0])
		strcpy(c->local_ip, v6 ? V6_LOCAL : V4_LOCAL);
	if (!c->remote_ip[0])
		strcpy(c->remote_ip, v6 ? V6_REMOTE : V4_REMOTE);
	if (!c->gateway_ip[0])
		strcpy(c->gateway_ip, v6 ? V6_GATEWAY : V4_GATEWAY);
	if (!c->netmask_ip[0] && !v6)
		strcpy(c->netmask_ip, V4_NETMASK);
	c->wire_family = v6 ? AF_INET6 : AF_INET;
	c->socket_family = c->ip_version == IP_V4 ? AF_INET : AF_INET6;
	c->addr_len = c->socket_family == AF_INET ? sizeof(struct sockaddr_in)
						  : sizeof(struct sockaddr_in6);
	if (v6)
		c->prefix_len = 64;
	else if (netmask_prefix(c->netmask_ip, &c->prefix_len, d))
		return -1;
	bool mapped = c->ip_version == IP_V4_MAPPED_V6;
	struct sockaddr_storage gw;

	if (v6 && c->mtu < 1280)
		return diag_set(d, EXIT_USAGE, NULL,
				"--mtu=%d is below IPv6's minimum of 1280",
				c->mtu);
	if (make_sockaddr(c->local_ip, c->bind_port, c->socket_family, mapped,
			  &c->local, d) ||
	    make_sockaddr(c->remote_ip, c->connect_port, c->socket_family,
			  mapped, &c->remote, d) ||
	    make_sockaddr(c->gateway_ip, 0, c->wire_family, false, &gw, d))
		return -1;
	return 0;
}
