/* The script AST: constructors the grammar calls, destructors and the
 * parsing entry points (script_dump.c renders it for --dump-ast). */
#include "script.h"
#include "script_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define SCRIPT_SIZE_MAX (16 << 20)

/* --- memory --------------------------------------------------------------- */

/* A parser that runs out of memory has no sensible way on; stopping here
 * keeps every constructor total, which is what lets actions be one call. */
static void out_of_memory(void)
{
	fputs("tcpcheck: out of memory\n", stderr);
	abort();
}

void *script_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *script_xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		out_of_memory();
	return p;
}

static void *xcalloc(size_t size)
{
	void *p = calloc(1, size);

	if (!p)
		out_of_memory();
	return p;
}

char *script_strdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(script_xmalloc(n), s, n);
}

/* --- range checks -------------------------------------------------------- */

static struct src_loc loc_join(const struct src_loc *a, const struct src_loc *b)
{
	struct src_loc l = {
		.first_line = a->first_line,
		.first_col = a->first_col,
		.last_line = b->last_line,
		.last_col = b->last_col,
		.file = a->file,
	};

	return l;
}

/* Whether v fits in [0, max]; records "<what> V out of range" if not. */
static bool in_range(struct diag *d, const char *what, int64_t v, int64_t max,
		     const struct src_loc *loc)
{
	if (v >= 0 && v <= max)
		return true;
	diag_set(d, EXIT_USAGE, loc,
		 "%s %" PRId64 " out of range (0 to %" PRId64 ")", what, v,
		 max);
	return false;
}

static uint32_t u32_or_zero(struct diag *d, const char *what, int64_t v,
			    const struct src_loc *loc)
{
	return in_range(d, what, v, UINT32_MAX, loc) ? (uint32_t)v : 0;
}

/* --- the script ----------------------------------------------------------- */

void script_add_option(struct script *s, char *name, char *value,
		       const struct src_loc *name_loc,
		       const struct src_loc *end_loc)
{
	struct script_option *o;

	s->options = script_xrealloc(s->options, (s->option_count + 1) *
						     sizeof(*s->options));
	o = &s->options[s->option_count++];
	o->name = name;
	o->value = value;
	o->loc = loc_join(name_loc, end_loc);
}

void script_set_init(struct script *s, char *command, const struct src_loc *loc)
{
	s->init_command = command;
	s->init_loc = *loc;
}

void script_set_cleanup(struct script *s, char *command,
			const struct src_loc *loc)
{
	s->cleanup_command = command;
	s->cleanup_loc = *loc;
}

void script_add_event(struct script *s, struct event *e)
{
	s->events = script_xrealloc(s->events,
				    (s->event_count + 1) * sizeof(*s->events));
	s->events[s->event_count++] = e;
}

void script_add_resume(struct script *s, const struct src_loc *loc)
{
	s->resumes = script_xrealloc(s->resumes, (s->resume_count + 1) *
							 sizeof(*s->resumes));
	s->resumes[s->resume_count++] = *loc;
}

void script_stray_command(struct diag *d, char *command,
			  const struct src_loc *loc)
{
	diag_set(d, EXIT_USAGE, loc,
		 "command without a time between events (only the init and "
		 "cleanup commands go without one)");
	free(command);
}

void script_stray_option(struct diag *d, char *name, char *value,
			 const struct src_loc *loc)
{
	diag_set(d, EXIT_USAGE, loc,
		 "option --%s after the first event (options go before it)",
		 name);
	free(name);
	free(value);
}

/* --- time ----------------------------------------------------------------- */


struct script_time script_time_seconds(struct diag *d, enum time_kind kind,
				       int64_t seconds,
				       const struct src_loc *loc)
{
	struct script_time t = { .kind = kind, .loc = *loc };

	if (in_range(d, "time", seconds, INT64_MAX / USECS_PER_SEC, loc))
		t.usecs = seconds * USECS_PER_SEC;
	return t;
}

/* Decimal seconds to microseconds by hand: a float would make 0.1 inexact. */
struct script_time script_time_decimal(struct diag *d, enum time_kind kind,
				       char *text, const struct src_loc *loc)
{
	struct script_time t = { .kind = kind, .loc = *loc };
	int64_t secs = 0, frac = 0;
	const char *p = text;
	int digits = 0;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (secs > (INT64_MAX / USECS_PER_SEC - 9) / 10) {
			diag_set(d, EXIT_USAGE, loc, "time %s out of range",
				 text);
			goto out;
		}
		secs = secs * 10 + (*p - '0');
	}
	if (*p == '.')
		p++;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (digits < 6) {
			frac = frac * 10 + (*p - '0');
		} else if (*p != '0') {
			diag_set(d, EXIT_USAGE, loc,
				 "time %s is finer than a microsecond", text);
			goto out;
		}
	}
	for (; digits < 6; digits++)
		frac *= 10;
	t.usecs = secs * USECS_PER_SEC + frac;
out:
	free(text);
	return t;
}

struct script_time script_time_any(const struct src_loc *loc)
{
	struct script_time t = { .kind = TIME_ANY, .loc = *loc };

	return t;
}

struct event_timing event_timing_new(enum timing_shape shape,
				     const struct script_time *start,
				     const struct script_time *end)
{
	struct event_timing t = { .shape = shape, .start = *start };

	if (end)
		t.end = *end;
	return t;
}

/* --- events --------------------------------------------------------------- */

static struct event *event_new(enum event_kind kind,
			       const struct event_timing *timing,
			       const struct src_loc *loc)
{
	struct event *e = xcalloc(sizeof(*e));

	e->kind = kind;
	e->timing = *timing;
	e->loc = *loc;
	return e;
}

struct event *event_new_packet(const struct event_timing *timing,
			       struct packet_spec *packet,
			       const struct src_loc *loc)
{
	struct event *e = event_new(EVENT_PACKET, timing, loc);

	e->u.packet = *packet;
	free(packet);
	return e;
}

/* An expr_list moved into a node: the node owns the items, not the box. */
static struct expr_list take_list(struct expr_list *list)
{
	struct expr_list l = *list;

	free(list);
	return l;
}

struct event *event_new_syscall(const struct event_timing *timing, char *name,
				const struct src_loc *name_loc,
				struct expr_list *args, struct expr *result,
				char *errno_name,
				const struct src_loc *errno_loc, char *note,
				const struct src_loc *loc)
{
	struct event *e = event_new(EVENT_SYSCALL, timing, loc);
	struct syscall_spec *sc = &e->u.syscall;

	sc->name = name;
	sc->name_loc = *name_loc;
	sc->args = take_list(args);
	sc->result = result;
	sc->errno_name = errno_name;
	if (errno_name)
		sc->errno_loc = *errno_loc;
	sc->note = note;
	return e;
}

struct event *event_new_syscall_words(const struct event_timing *timing,
				      char *name, const struct src_loc *name_loc,
				      struct expr_list *args,
				      struct expr *result,
				      struct expr_list *words, char *note,
				      const struct src_loc *loc)
{
	struct expr_list rest = take_list(words);
	char *errno_name = NULL;
	struct src_loc errno_loc = {0};
	struct event *e;

	if (rest.count > 0) {
		struct expr *first = rest.items[0];

		errno_name = first->u.text;
		errno_loc = first->loc;
		first->u.text = NULL;
		expr_free(first);
		memmove(rest.items, rest.items + 1,
			--rest.count * sizeof(rest.items[0]));
	}
	e = event_new_syscall(timing, name, name_loc, args, result, errno_name,
			      &errno_loc, note, loc);
	e->u.syscall.more_words = rest;
	return e;
}

struct event *event_new_command(const struct event_timing *timing,
				char *command, const struct src_loc *loc)
{
	struct event *e = event_new(EVENT_COMMAND, timing, loc);

	e->u.command = command;
	return e;
}

struct event *event_new_code(const struct event_timing *timing, char *code,
			     const struct src_loc *loc)
{
	struct event *e = event_new(EVENT_CODE, timing, loc);

	e->u.code = code;
	return e;
}

static void packet_spec_clear(struct packet_spec *p);
static void expr_list_clear(struct expr_list *list);

void event_free(struct event *e)
{
	if (!e)
		return;
	switch (e->kind) {
	case EVENT_PACKET:
		packet_spec_clear(&e->u.packet);
		break;
	case EVENT_SYSCALL:
		free(e->u.syscall.name);
		expr_list_clear(&e->u.syscall.args);
		expr_free(e->u.syscall.result);
		free(e->u.syscall.errno_name);
		free(e->u.syscall.note);
		expr_list_clear(&e->u.syscall.more_words);
		break;
	case EVENT_COMMAND:
		free(e->u.command);
		break;
	case EVENT_CODE:
		free(e->u.code);
		break;
	}
	free(e);
}

/* --- IP fields, ports, sequence ranges ------------------------------------ */

struct ip_spec ip_spec_none(void)
{
	struct ip_spec ip = { .ecn = ECN_UNSPECIFIED };

	return ip;
}

const char *const ecn_names[ECN_NAME_COUNT] = {
	[ECN_UNSPECIFIED] = "unspecified",
	[ECN_NOECN] = "noecn",
	[ECN_ECT0] = "ect0",
	[ECN_ECT1] = "ect1",
	[ECN_CE] = "ce",
	[ECN_ECT01] = "ect01",
};

struct ip_spec ip_spec_ecn(struct diag *d, char *name,
			   const struct src_loc *loc)
{
	struct ip_spec ip = ip_spec_none();

	for (int i = ECN_NOECN; i <= ECN_ECT01; i++)
		if (strcmp(name, ecn_names[i]) == 0)
			ip.ecn = (enum ecn_spec)i;
	if (ip.ecn == ECN_UNSPECIFIED)
		diag_set(d, EXIT_USAGE, loc,
			 "unknown ECN codepoint '%s' (noecn, ect0, ect1, ce "
			 "or ect01)",
			 name);
	free(name);
	return ip;
}

struct ip_spec ip_spec_tos(struct diag *d, int64_t v,
			   const struct src_loc *loc)
{
	struct ip_spec ip = ip_spec_none();

	ip.has_tos = true;
	ip.tos = in_range(d, "tos", v, UINT8_MAX, loc) ? (uint8_t)v : 0;
	return ip;
}

struct ip_spec ip_spec_flowlabel(struct diag *d, int64_t v,
				 const struct src_loc *loc)
{
	struct ip_spec ip = ip_spec_none();

	ip.has_flowlabel = true;
	ip.flowlabel = in_range(d, "flowlabel", v, 0xfffff, loc) ? (uint32_t)v
								 : 0;
	return ip;
}

struct ip_spec ip_spec_ttl(struct diag *d, int64_t v,
			   const struct src_loc *loc)
{
	struct ip_spec ip = ip_spec_none();

	ip.has_ttl = true;
	ip.ttl = in_range(d, "ttl", v, UINT8_MAX, loc) ? (uint8_t)v : 0;
	return ip;
}

struct ip_spec ip_spec_merge(struct diag *d, const struct ip_spec *a,
			     const struct ip_spec *b,
			     const struct src_loc *b_loc)
{
	struct ip_spec ip = *a;
	const char *twice = NULL;

	if (b->ecn != ECN_UNSPECIFIED) {
		if (ip.ecn != ECN_UNSPECIFIED)
			twice = "ECN codepoint";
		ip.ecn = b->ecn;
	}
	if (b->has_tos) {
		if (ip.has_tos)
			twice = "tos";
		ip.has_tos = true;
		ip.tos = b->tos;
	}
	if (b->has_flowlabel) {
		if (ip.has_flowlabel)
			twice = "flowlabel";
		ip.has_flowlabel = true;
		ip.flowlabel = b->flowlabel;
	}
	if (b->has_ttl) {
		if (ip.has_ttl)
			twice = "ttl";
		ip.has_ttl = true;
		ip.ttl = b->ttl;
	}
	if (twice)
		diag_set(d, EXIT_USAGE, b_loc, "%s given twice", twice);
	return ip;
}

struct script_ports script_ports_none(void)
{
	struct script_ports p = { .has = false };

	return p;
}

struct script_ports script_ports_new(struct diag *d, int64_t sport,
				     const struct src_loc *sport_loc,
				     int64_t dport,
				     const struct src_loc *dport_loc)
{
	struct script_ports p = { .has = true };

	if (in_range(d, "port", sport, UINT16_MAX, sport_loc))
		p.sport = (uint16_t)sport;
	if (in_range(d, "port", dport, UINT16_MAX, dport_loc))
		p.dport = (uint16_t)dport;
	return p;
}

struct script_seq script_seq_new(struct diag *d, int64_t start,
				 const struct src_loc *start_loc, int64_t end,
				 const struct src_loc *end_loc, int64_t len,
				 const struct src_loc *len_loc)
{
	struct script_seq s;

	s.start = u32_or_zero(d, "sequence number", start, start_loc);
	s.end = u32_or_zero(d, "sequence number", end, end_loc);
	s.len = u32_or_zero(d, "payload length", len, len_loc);
	return s;
}

struct script_u32 script_u32_none(void)
{
	struct script_u32 v = { .has = false };

	return v;
}

struct script_u32 script_u32_new(struct diag *d, const char *what, int64_t v,
				 const struct src_loc *loc)
{
	struct script_u32 u = { .has = true };

	u.value = u32_or_zero(d, what, v, loc);
	return u;
}

/* --- TCP flags ------------------------------------------------------------ */

const struct tcp_flag_letter tcp_flag_letters[TCP_FLAG_LETTER_COUNT] = {
	{ 'F', TCPF_FIN, "FIN" }, { 'S', TCPF_SYN, "SYN" },
	{ 'R', TCPF_RST, "RST" }, { 'P', TCPF_PSH, "PSH" },
	{ '.', TCPF_ACK, "ACK" }, { 'U', TCPF_URG, "URG" },
	{ 'E', TCPF_ECE, "ECE" }, { 'W', TCPF_CWR, "CWR" },
	{ 'A', TCPF_AE, "AE" },
};


static unsigned int tcp_flag_bit(char c)
{
	for (size_t i = 0; i < ARRAY_SIZE(tcp_flag_letters); i++)
		if (tcp_flag_letters[i].letter == c)
			return tcp_flag_letters[i].bit;
	return 0;
}

/* The flags word is one token on one line, so a column points at a letter. */
static struct src_loc char_loc(const struct src_loc *word, size_t i)
{
	struct src_loc l = *word;

	l.first_col += (int)i;
	l.last_line = l.first_line;
	l.last_col = l.first_col + 1;
	return l;
}

static void tcp_flags_check(struct diag *d, struct tcp_flags_spec *f,
			    const char *text, const struct src_loc *loc)
{
	if (strcmp(text, "-") == 0)
		return;
	for (size_t i = 0; text[i]; i++) {
		struct src_loc at = char_loc(loc, i);
		unsigned int bit = tcp_flag_bit(text[i]);

		if (text[i] >= '0' && text[i] <= '9' && i > 0 &&
		    text[i - 1] == '.' && f->ace < 0) {
			if (text[i] > '7') {
				diag_set(d, EXIT_USAGE, &at,
					 "bad ACE counter '%c' in \"%s\" (0 to "
					 "7)",
					 text[i], text);
				return;
			}
			f->ace = text[i] - '0';
		} else if (!bit) {
			diag_set(d, EXIT_USAGE, &at,
				 "unknown TCP flag '%c' in \"%s\"", text[i],
				 text);
			return;
		} else if (f->flags & bit) {
			diag_set(d, EXIT_USAGE, &at,
				 "TCP flag '%c' given twice in \"%s\"", text[i],
				 text);
			return;
		} else {
			f->flags |= bit;
		}
	}
}

struct tcp_flags_spec tcp_flags_parse(struct diag *d, char *text,
				      const struct src_loc *loc)
{
	struct tcp_flags_spec f = { .ace = -1 };

	if (strlen(text) >= sizeof(f.text))
		diag_set(d, EXIT_USAGE, loc, "TCP flags \"%s\" too long", text);
	else
		tcp_flags_check(d, &f, text, loc);
	snprintf(f.text, sizeof(f.text), "%s", text);
	free(text);
	return f;
}

/* --- packets -------------------------------------------------------------- */

struct packet_spec *packet_spec_new_tcp(const struct tcp_flags_spec *flags,
					const struct src_loc *flags_loc,
					const struct script_seq *seq,
					const struct src_loc *seq_loc)
{
	struct packet_spec *p = xcalloc(sizeof(*p));
	struct tcp_spec *t = &p->u.tcp;

	p->proto = PROTO_TCP;
	t->flags = flags->flags;
	memcpy(t->flag_text, flags->text, sizeof(t->flag_text));
	t->ace = flags->ace;
	t->seq_start = seq->start;
	t->seq_end = seq->end;
	t->payload_len = seq->len;
	p->flags_loc = *flags_loc;
	p->seq_loc = *seq_loc;
	return p;
}

struct packet_spec *packet_spec_new_quoted(const struct script_seq *seq,
					   const struct src_loc *seq_loc)
{
	struct tcp_flags_spec none = { .ace = -1 };
	struct src_loc nowhere = {0};

	return packet_spec_new_tcp(&none, &nowhere, seq, seq_loc);
}

static struct packet_spec *set_field(struct diag *d, struct packet_spec *p,
				     const char *what, bool *has,
				     uint32_t *field, struct src_loc *field_loc,
				     int64_t v, const struct src_loc *kw_loc,
				     const struct src_loc *value_loc)
{
	struct src_loc l = loc_join(kw_loc, value_loc);

	if (*has)
		diag_set(d, EXIT_USAGE, &l, "'%s' given twice", what);
	*has = true;
	*field = u32_or_zero(d, what, v, value_loc);
	*field_loc = l;
	return p;
}

struct packet_spec *packet_spec_set_ack(struct diag *d, struct packet_spec *p,
					int64_t v,
					const struct src_loc *keyword_loc,
					const struct src_loc *value_loc)
{
	return set_field(d, p, "ack", &p->u.tcp.has_ack, &p->u.tcp.ack,
			 &p->ack_loc, v, keyword_loc, value_loc);
}

struct packet_spec *packet_spec_set_win(struct diag *d, struct packet_spec *p,
					int64_t v,
					const struct src_loc *keyword_loc,
					const struct src_loc *value_loc)
{
	return set_field(d, p, "win", &p->u.tcp.has_win, &p->u.tcp.win,
			 &p->win_loc, v, keyword_loc, value_loc);
}

struct packet_spec *packet_spec_set_urg(struct diag *d, struct packet_spec *p,
					int64_t v,
					const struct src_loc *keyword_loc,
					const struct src_loc *value_loc)
{
	return set_field(d, p, "urg", &p->u.tcp.has_urg, &p->u.tcp.urg,
			 &p->urg_loc, v, keyword_loc, value_loc);
}

struct packet_spec *packet_spec_set_options(struct packet_spec *p,
					    struct tcp_option_list *options,
					    const struct src_loc *open_loc,
					    const struct src_loc *close_loc)
{
	p->u.tcp.any_options = options == NULL;
	p->u.tcp.options = options;
	p->options_loc = loc_join(open_loc, close_loc);
	return p;
}

struct packet_spec *packet_spec_new_udp(struct diag *d, int64_t len,
					const struct src_loc *loc)
{
	struct packet_spec *p = xcalloc(sizeof(*p));

	p->proto = PROTO_UDP;
	p->u.udp.payload_len = u32_or_zero(d, "payload length", len, loc);
	p->seq_loc = *loc;
	return p;
}

struct packet_spec *packet_spec_new_icmp(char *type,
					 const struct src_loc *type_loc,
					 char *code,
					 const struct src_loc *code_loc,
					 const struct script_u32 *mtu,
					 const struct src_loc *mtu_loc,
					 struct packet_spec *quoted)
{
	struct packet_spec *p = xcalloc(sizeof(*p));
	struct icmp_spec *ic = &p->u.icmp;

	p->proto = PROTO_ICMP;
	ic->type = type;
	ic->type_loc = *type_loc;
	ic->code = code;
	if (code)
		ic->code_loc = *code_loc;
	ic->has_mtu = mtu->has;
	ic->mtu = mtu->value;
	if (mtu->has)
		ic->mtu_loc = *mtu_loc;
	ic->quoted = quoted;
	p->flags_loc = *type_loc;
	return p;
}

struct packet_spec *packet_spec_set_head(struct diag *d, struct packet_spec *p,
					 enum packet_direction dir,
					 const struct ip_spec *ip,
					 const struct src_loc *ip_loc,
					 const struct script_ports *ports,
					 const struct src_loc *ports_loc)
{
	p->dir = dir;
	p->ip = *ip;
	if (ip_loc->first_line != ip_loc->last_line ||
	    ip_loc->first_col != ip_loc->last_col)
		p->ip_loc = *ip_loc;
	if (ports->has) {
		p->ports_loc = *ports_loc;
		if (p->proto == PROTO_TCP) {
			p->u.tcp.has_ports = true;
			p->u.tcp.sport = ports->sport;
			p->u.tcp.dport = ports->dport;
		} else if (p->proto == PROTO_UDP) {
			p->u.udp.has_ports = true;
			p->u.udp.sport = ports->sport;
			p->u.udp.dport = ports->dport;
		} else {
			diag_set(d, EXIT_USAGE, ports_loc,
				 "an ICMP message has no ports");
		}
	}
	/* An ICMP error quotes a packet that travelled the other way. */
	if (p->proto == PROTO_ICMP && p->u.icmp.quoted)
		p->u.icmp.quoted->dir =
			dir == DIR_INBOUND ? DIR_OUTBOUND : DIR_INBOUND;
	return p;
}

static void packet_spec_clear(struct packet_spec *p)
{
	switch (p->proto) {
	case PROTO_TCP:
		tcp_option_list_free(p->u.tcp.options);
		break;
	case PROTO_UDP:
		break;
	case PROTO_ICMP:
		free(p->u.icmp.type);
		free(p->u.icmp.code);
		packet_spec_free(p->u.icmp.quoted);
		break;
	}
}

void packet_spec_free(struct packet_spec *p)
{
	if (!p)
		return;
	packet_spec_clear(p);
	free(p);
}

/* --- TCP options ---------------------------------------------------------- */

struct tcp_option_spec tcp_option_new(enum tcp_option_kind kind,
				      const struct src_loc *loc)
{
	struct tcp_option_spec o;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	o.loc = *loc;
	return o;
}

struct tcp_option_spec tcp_option_new_mss(struct diag *d, int64_t v,
					  const struct src_loc *loc,
					  const struct src_loc *value_loc)
{
	struct tcp_option_spec o = tcp_option_new(TOPT_MSS, loc);

	if (in_range(d, "mss", v, UINT16_MAX, value_loc))
		o.u.mss = (uint16_t)v;
	return o;
}

struct tcp_option_spec tcp_option_new_wscale(struct diag *d, int64_t v,
					     const struct src_loc *loc,
					     const struct src_loc *value_loc)
{
	struct tcp_option_spec o = tcp_option_new(TOPT_WSCALE, loc);

	if (in_range(d, "wscale", v, UINT8_MAX, value_loc))
		o.u.wscale = (uint8_t)v;
	return o;
}

struct tcp_option_spec tcp_option_new_ts(struct diag *d, int64_t val,
					 const struct src_loc *val_loc,
					 int64_t ecr,
					 const struct src_loc *ecr_loc,
					 const struct src_loc *loc)
{
	struct tcp_option_spec o = tcp_option_new(TOPT_TIMESTAMP, loc);

	o.u.ts.val = u32_or_zero(d, "TS val", val, val_loc);
	o.u.ts.ecr = u32_or_zero(d, "TS ecr", ecr, ecr_loc);
	return o;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

struct tcp_option_spec tcp_option_new_data(struct diag *d,
					   enum tcp_option_kind kind, char *hex,
					   const struct src_loc *hex_loc,
					   const struct src_loc *loc)
{
	struct tcp_option_spec o = tcp_option_new(kind, loc);
	const char *what = kind == TOPT_MD5 ? "md5 digest" : "cookie";
	size_t n;

	if (!hex)
		return o;
	n = strlen(hex);
	for (size_t i = 0; i < n; i++)
		if (hex_digit(hex[i]) < 0) {
			diag_set(d, EXIT_USAGE, hex_loc,
				 "bad %s '%s': hex digits only", what, hex);
			goto out;
		}
	if (n % 2) {
		diag_set(d, EXIT_USAGE, hex_loc,
			 "bad %s '%s': an odd number of hex digits", what, hex);
	} else if (n / 2 > sizeof(o.u.data.bytes)) {
		diag_set(d, EXIT_USAGE, hex_loc,
			 "bad %s '%s': longer than %zu bytes", what, hex,
			 sizeof(o.u.data.bytes));
	} else {
		o.u.data.len = n / 2;
		for (size_t i = 0; i < n / 2; i++) {
			int hi = hex_digit(hex[2 * i]);
			int lo = hex_digit(hex[2 * i + 1]);

			o.u.data.bytes[i] = (uint8_t)(hi * 16 + lo);
		}
	}
out:
	free(hex);
	return o;
}

struct tcp_option_spec tcp_option_sack_add(struct diag *d,
					   const struct tcp_option_spec *sack,
					   int64_t left,
					   const struct src_loc *left_loc,
					   int64_t right,
					   const struct src_loc *right_loc,
					   const struct src_loc *loc)
{
	struct tcp_option_spec o = *sack;
	int i = o.u.sack.count;

	o.loc = *loc;
	if (i == SACK_BLOCKS_MAX) {
		struct src_loc block = loc_join(left_loc, right_loc);

		diag_set(d, EXIT_USAGE, &block, "more than %d SACK blocks",
			 SACK_BLOCKS_MAX);
		return o;
	}
	o.u.sack.block[i].left = u32_or_zero(d, "SACK block edge", left,
					     left_loc);
	o.u.sack.block[i].right = u32_or_zero(d, "SACK block edge", right,
					      right_loc);
	o.u.sack.count++;
	return o;
}

const char *const accecn_names[3] = {
	[ACCECN_E0B] = "e0b",
	[ACCECN_CEB] = "ceb",
	[ACCECN_E1B] = "e1b",
};

struct tcp_option_spec tcp_option_accecn_add(struct diag *d,
					     const struct tcp_option_spec *ecn,
					     char *field,
					     const struct src_loc *field_loc,
					     int64_t v,
					     const struct src_loc *value_loc,
					     const struct src_loc *loc)
{
	struct tcp_option_spec o = *ecn;
	int i = o.u.accecn.count, f = -1;

	o.loc = *loc;
	for (int k = 0; k < 3; k++)
		if (strcmp(field, accecn_names[k]) == 0)
			f = k;
	for (int k = 0; k < i && f >= 0; k++)
		if ((int)o.u.accecn.field[k] == f) {
			diag_set(d, EXIT_USAGE, field_loc,
				 "AccECN field '%s' given twice", field);
			goto out;
		}
	if (f < 0) {
		diag_set(d, EXIT_USAGE, field_loc,
			 "unknown AccECN field '%s' (e0b, ceb or e1b)", field);
		goto out;
	}
	o.u.accecn.field[i] = (enum accecn_field)f;
	o.u.accecn.value[i] = u32_or_zero(d, "AccECN counter", v, value_loc);
	o.u.accecn.count++;
out:
	free(field);
	return o;
}

struct tcp_option_list *tcp_option_list_new(void)
{
	return xcalloc(sizeof(struct tcp_option_list));
}

struct tcp_option_list *
tcp_option_list_append(struct tcp_option_list *list,
		       const struct tcp_option_spec *option)
{
	list->items = script_xrealloc(list->items,
				      (list->count + 1) * sizeof(*list->items));
	list->items[list->count++] = *option;
	return list;
}

void tcp_option_list_free(struct tcp_option_list *list)
{
	if (!list)
		return;
	free(list->items);
	free(list);
}

/* --- expressions ---------------------------------------------------------- */

static struct expr *expr_new(enum expr_kind kind, const struct src_loc *loc)
{
	struct expr *e = xcalloc(sizeof(*e));

	e->kind = kind;
	e->loc = *loc;
	return e;
}

struct expr *expr_new_ellipsis(const struct src_loc *loc)
{
	return expr_new(EXPR_ELLIPSIS, loc);
}

struct expr *expr_new_int(int64_t v, const struct src_loc *loc)
{
	struct expr *e = expr_new(EXPR_INT, loc);

	e->u.num = v;
	return e;
}

struct expr *expr_new_word(char *name, const struct src_loc *loc)
{
	struct expr *e = expr_new(EXPR_WORD, loc);

	e->u.text = name;
	return e;
}

struct expr *expr_new_string(struct script_bytes *text,
			     const struct src_loc *loc)
{
	struct expr *e = expr_new(EXPR_STRING, loc);

	e->u.text = text->data;
	e->len = text->len;
	return e;
}

struct expr *expr_new_binary(int op, struct expr *lhs, struct expr *rhs,
			     const struct src_loc *loc)
{
	struct expr *e = expr_new(EXPR_BINARY, loc);

	e->u.binary.op = op;
	e->u.binary.lhs = lhs;
	e->u.binary.rhs = rhs;
	return e;
}

struct expr *expr_new_list(enum expr_kind kind, struct expr_list *items,
			   const struct src_loc *loc)
{
	struct expr *e = expr_new(kind, loc);

	e->u.items = take_list(items);
	return e;
}

struct expr *expr_new_call(char *name, struct expr_list *args,
			   const struct src_loc *loc)
{
	struct expr *e = expr_new(EXPR_CALL, loc);

	e->u.call.name = name;
	e->u.call.args = take_list(args);
	return e;
}

struct expr *expr_new_field(char *name, struct expr *index, struct expr *value,
			    const struct src_loc *loc)
{
	struct expr *e = expr_new(EXPR_FIELD, loc);

	e->u.field.name = name;
	e->u.field.index = index;
	e->u.field.value = value;
	return e;
}

struct expr *expr_new_indexed_field(struct diag *d, char *name,
				    struct expr_list *index,
				    const struct src_loc *index_loc,
				    struct expr *value,
				    const struct src_loc *loc)
{
	struct expr *first = NULL;

	if (index->count == 1) {
		first = index->items[0];
		index->count = 0;
	} else {
		diag_set(d, EXIT_USAGE, index_loc,
			 "field '%s' wants one index in parentheses, got %zu",
			 name, index->count);
	}
	expr_list_free(index);
	return expr_new_field(name, first, value, loc);
}

static void expr_list_clear(struct expr_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		expr_free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	switch (e->kind) {
	case EXPR_ELLIPSIS:
	case EXPR_INT:
		break;
	case EXPR_WORD:
	case EXPR_STRING:
		free(e->u.text);
		break;
	case EXPR_BINARY:
		expr_free(e->u.binary.lhs);
		expr_free(e->u.binary.rhs);
		break;
	case EXPR_LIST:
	case EXPR_STRUCT:
		expr_list_clear(&e->u.items);
		break;
	case EXPR_FIELD:
		free(e->u.field.name);
		expr_free(e->u.field.index);
		expr_free(e->u.field.value);
		break;
	case EXPR_CALL:
		free(e->u.call.name);
		expr_list_clear(&e->u.call.args);
		break;
	}
	free(e);
}

struct expr_list *expr_list_new(void)
{
	return xcalloc(sizeof(struct expr_list));
}

struct expr_list *expr_list_append(struct expr_list *list, struct expr *e)
{
	list->items = script_xrealloc(list->items,
				      (list->count + 1) * sizeof(*list->items));
	list->items[list->count++] = e;
	return list;
}

void expr_list_free(struct expr_list *list)
{
	if (!list)
		return;
	expr_list_clear(list);
	free(list);
}

const char *expr_kind_name(enum expr_kind k)
{
	switch (k) {
	case EXPR_ELLIPSIS:
		return "ellipsis";
	case EXPR_INT:
		return "int";
	case EXPR_WORD:
		return "word";
	case EXPR_STRING:
		return "string";
	case EXPR_BINARY:
		return "binary";
	case EXPR_LIST:
		return "list";
	case EXPR_STRUCT:
		return "struct";
	case EXPR_FIELD:
		return "field";
	case EXPR_CALL:
		return "call";
	}
	return "?";
}

/* --- parsing -------------------------------------------------------------- */

char *script_read_source(const char *path, size_t *len, struct diag *d)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	char *text = NULL;
	size_t n = 0, cap = 0, got;

	if (!f) {
		diag_set(d, EXIT_USAGE, NULL, "cannot open %s: %s", path,
			 strerror(errno));
		return NULL;
	}
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			if (cap > SCRIPT_SIZE_MAX) {
				diag_set(d, EXIT_USAGE, NULL,
					 "%s: script too large (16 MiB at "
					 "most)",
					 path);
				goto fail;
			}
			text = script_xrealloc(text, cap + 1);
		}
		got = fread(text + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		diag_set(d, EXIT_USAGE, NULL, "cannot read %s: %s", path,
			 strerror(errno));
		goto fail;
	}
	text[n] = '\0';
	*len = n;
	if (!is_stdin)
		fclose(f);
	return text;
fail:
	free(text);
	if (!is_stdin)
		fclose(f);
	return NULL;
}

/* A script with its own copy of the text, as file 0 of its table, and
 * nothing parsed yet. */
static struct script *script_new(const char *display_name, const char *text,
				 size_t len)
{
	struct script *s = xcalloc(sizeof(*s));

	s->file = script_strdup(display_name);
	s->source = script_xmalloc(len + 1);
	memcpy(s->source, text, len);
	s->source[len] = '\0';
	s->files = xcalloc(sizeof(*s->files));
	s->files[0].name = s->file;
	s->files[0].text = s->source;
	s->file_count = 1;
	return s;
}

int script_load(const char *display_name, const char *text, size_t len,
		const struct script_define *defines, size_t define_count,
		struct script **out, struct diag *d)
{
	struct script *s = script_new(display_name, text, len);
	/* A diag of our own: its status tells whether *this* parse failed,
	 * whatever the caller's held before. */
	struct diag mine = { .status = EXIT_PASS };

	*out = s;
	if (script_grammar_parse(s, s->source, len, 0, defines, define_count,
				 &mine) == 0 &&
	    script_include_expand(s, defines, define_count, &mine) == 0)
		return 0;
	return diag_set(d, mine.status,
			mine.loc.first_line ? &mine.loc : NULL, "%s",
			mine.message);
}

struct script *script_parse_buffer(const char *display_name, const char *text,
				   size_t len,
				   const struct script_define *defines,
				   size_t define_count, struct diag *d)
{
	struct script *s;

	if (script_load(display_name, text, len, defines, define_count, &s,
			d) == 0)
		return s;
	script_free(s);
	return NULL;
}

struct script *script_parse_all(const char *display_name, const char *text,
				size_t len,
				const struct script_define *defines,
				size_t define_count, struct diag *d)
{
	struct script *s = script_new(display_name, text, len);

	(void)script_grammar_parse(s, s->source, len, 0, defines,
				   define_count, d);
	/* What parsed of the include lines is expanded, each problem of
	 * theirs reported where a run would report it. */
	s->includes_lost =
		script_include_expand(s, defines, define_count, d) != 0;
	return s;
}

struct script *script_parse_string(const char *display_name,
				   const char *text,
				   const struct script_define *defines,
				   size_t define_count, struct diag *d)
{
	return script_parse_buffer(display_name, text, strlen(text), defines,
				   define_count, d);
}

struct script *script_parse_file(const char *path,
				 const struct script_define *defines,
				 size_t define_count, struct diag *d)
{
	size_t len;
	char *text = script_read_source(path, &len, d);
	struct script *s;

	if (!text)
		return NULL;
	s = script_parse_buffer(strcmp(path, "-") ? path : "<stdin>", text, len,
				defines, define_count, d);
	free(text);
	return s;
}

void script_free(struct script *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->option_count; i++) {
		free(s->options[i].name);
		free(s->options[i].value);
	}
	free(s->options);
	for (size_t i = 0; i < s->event_count; i++)
		event_free(s->events[i]);
	free(s->events);
	free(s->resumes);
	free(s->init_command);
	free(s->cleanup_command);
	for (size_t i = 0; i < s->include_count; i++)
		script_include_free(s->includes[i]);
	free(s->includes);
	/* files[0] shares the script's own name and text. */
	for (size_t i = 1; i < s->file_count; i++) {
		free(s->files[i].name);
		free(s->files[i].text);
	}
	free(s->files);
	free(s->file);
	free(s->source);
	free(s);
}

const char *script_option_value(const struct script *s, const char *name,
				bool *present)
{
	const char *value = NULL;
	bool found = false;

	/* A later line overrides an earlier one, as on a command line. */
	for (size_t i = 0; i < s->option_count; i++)
		if (strcmp(s->options[i].name, name) == 0) {
			value = s->options[i].value;
			found = true;
		}
	if (present)
		*present = found;
	return value;
}
