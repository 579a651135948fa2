/* Packets and TCP options printed in script syntax, so that a diff shows
 * the line the script would have needed. */
#include "packet/wire.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

/* Text that grows the way snprintf counts: len is everything asked for,
 * buf holds what fits and stays NUL-terminated. */
struct sbuf {
	char *buf;
	size_t cap;
	size_t len;
};

static void sb_init(struct sbuf *sb, char *buf, size_t cap)
{
	sb->buf = buf;
	sb->cap = cap;
	sb->len = 0;
	if (cap)
		buf[0] = '\0';
}

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	size_t room = sb->len < sb->cap ? sb->cap - sb->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? sb->buf + sb->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len += (size_t)n;
}

static int sb_result(const struct sbuf *sb)
{
	return sb->len > INT_MAX ? INT_MAX : (int)sb->len;
}

static void sb_hex(struct sbuf *sb, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_printf(sb, "%02x", p[i]);
}

/* --- options -------------------------------------------------------------- */

static const char *accecn_field_name(enum accecn_field f)
{
	switch (f) {
	case ACCECN_E0B:
		return "e0b";
	case ACCECN_CEB:
		return "ceb";
	case ACCECN_E1B:
		return "e1b";
	}
	return "?";
}

/* A name and, when there is one, the hex bytes: md5, FO, FOEXP. */
static void format_data(struct sbuf *sb, const char *name,
			const struct tcp_option_spec *o)
{
	size_t n = o->u.data.len;

	sb_printf(sb, "%s", name);
	if (n > TCP_OPTION_BYTES_MAX)
		n = TCP_OPTION_BYTES_MAX;
	if (n) {
		sb_printf(sb, " ");
		sb_hex(sb, o->u.data.bytes, n);
	}
}

static void format_unknown(struct sbuf *sb, const struct tcp_option_spec *o)
{
	const uint8_t *d = o->u.data.bytes;
	size_t n = o->u.data.len;

	if (n > TCP_OPTION_BYTES_MAX)
		n = TCP_OPTION_BYTES_MAX;
	sb_printf(sb, "kind %u len %zu", n ? d[0] : 0, n);
	if (n > 2) {
		sb_printf(sb, " ");
		sb_hex(sb, d + 2, n - 2);
	}
}

static void format_sack(struct sbuf *sb, const struct tcp_option_spec *o)
{
	sb_printf(sb, "sack");
	for (int i = 0; i < o->u.sack.count && i < SACK_BLOCKS_MAX; i++)
		sb_printf(sb, " %u:%u", o->u.sack.block[i].left,
			  o->u.sack.block[i].right);
}

static void format_accecn(struct sbuf *sb, const struct tcp_option_spec *o)
{
	sb_printf(sb, "ECN");
	for (int i = 0; i < o->u.accecn.count && i < 3; i++)
		sb_printf(sb, " %s %u", accecn_field_name(o->u.accecn.field[i]),
			  o->u.accecn.value[i]);
}

static void format_option(struct sbuf *sb, const struct tcp_option_spec *o)
{
	if (o->kind == TOPT_UNKNOWN) {
		format_unknown(sb, o);
		return;
	}
	switch (o->kind) {
	case TOPT_EOL:
		sb_printf(sb, "eol");
		break;
	case TOPT_NOP:
		sb_printf(sb, "nop");
		break;
	case TOPT_MSS:
		sb_printf(sb, "mss %u", o->u.mss);
		break;
	case TOPT_WSCALE:
		sb_printf(sb, "wscale %u", o->u.wscale);
		break;
	case TOPT_SACK_PERMITTED:
		sb_printf(sb, "sackOK");
		break;
	case TOPT_SACK:
		format_sack(sb, o);
		break;
	case TOPT_TIMESTAMP:
		sb_printf(sb, "TS val %u ecr %u", o->u.ts.val, o->u.ts.ecr);
		break;
	case TOPT_MD5:
		format_data(sb, "md5", o);
		break;
	case TOPT_FASTOPEN:
		format_data(sb, "FO", o);
		break;
	case TOPT_FASTOPEN_EXP:
		format_data(sb, "FOEXP", o);
		break;
	case TOPT_ACCECN:
		format_accecn(sb, o);
		break;
	}
}

int tcp_option_format(const struct tcp_option_spec *opt, char *buf,
		      size_t len)
{
	struct sbuf sb;

	sb_init(&sb, buf, len);
	format_option(&sb, opt);
	return sb_result(&sb);
}

static void format_options(struct sbuf *sb, const struct tcp_option_list *l)
{
	sb_printf(sb, "<");
	for (size_t i = 0; i < l->count; i++) {
		if (i)
			sb_printf(sb, ",");
		format_option(sb, &l->items[i]);
	}
	sb_printf(sb, ">");
}

int tcp_options_format(const struct tcp_option_list *opts, char *buf,
		       size_t len)
{
	struct sbuf sb;

	sb_init(&sb, buf, len);
	format_options(&sb, opts);
	return sb_result(&sb);
}

/* --- segments ------------------------------------------------------------- */

/* The order scripts spell flags in: "SEW", "FP.", "SF.". */
static const struct {
	unsigned int bit;
	char letter;
} flag_letters[] = {
	{ TCPF_SYN, 'S' }, { TCPF_FIN, 'F' }, { TCPF_RST, 'R' },
	{ TCPF_PSH, 'P' }, { TCPF_URG, 'U' }, { TCPF_ECE, 'E' },
	{ TCPF_CWR, 'W' }, { TCPF_AE, 'A' },
};

#define ACE_BITS (TCPF_AE | TCPF_CWR | TCPF_ECE)

static void format_flags(struct sbuf *sb, unsigned int flags, bool ace)
{
	bool digit = ace && (flags & TCPF_ACK);
	size_t start = sb->len;

	for (size_t i = 0; i < sizeof(flag_letters) / sizeof(*flag_letters);
	     i++) {
		if (digit && (flag_letters[i].bit & ACE_BITS))
			continue;
		if (flags & flag_letters[i].bit)
			sb_printf(sb, "%c", flag_letters[i].letter);
	}
	if (flags & TCPF_ACK)
		sb_printf(sb, ".");
	/* ACE is a 3-bit counter, AE the most significant bit. */
	if (digit)
		sb_printf(sb, "%u", (flags & TCPF_AE ? 4u : 0u) |
					    (flags & TCPF_CWR ? 2u : 0u) |
					    (flags & TCPF_ECE ? 1u : 0u));
	if (sb->len == start)
		sb_printf(sb, "-");
}

int tcp_flags_format(unsigned int flags, bool ace, char *buf, size_t len)
{
	struct sbuf sb;

	sb_init(&sb, buf, len);
	format_flags(&sb, flags, ace);
	return sb_result(&sb);
}

const char *packet_ecn_name(uint8_t tos)
{
	switch (tos & 3) {
	case PACKET_ECT1:
		return "ect1";
	case PACKET_ECT0:
		return "ect0";
	case PACKET_CE:
		return "ce";
	default:
		return "noecn";
	}
}

void tcp_format_from_packet(struct tcp_format *f, const struct packet *p)
{
	const struct packet_tcp *t = &p->u.tcp;

	f->flags = t->flags;
	f->seq = t->seq;
	f->payload_len = t->payload_len;
	f->ack = t->ack;
	f->win = t->win;
	f->urg = t->urg;
	f->tos = p->tos;
	f->options = NULL;
	f->show = TCP_FORMAT_WIN;
	if (t->flags & TCPF_URG)
		f->show |= TCP_FORMAT_URG;
}

int packet_format_tcp(const struct tcp_format *f, char *buf, size_t len)
{
	struct sbuf sb;

	sb_init(&sb, buf, len);
	if (f->show & TCP_FORMAT_ECN)
		sb_printf(&sb, "[%s] ", packet_ecn_name(f->tos));
	format_flags(&sb, f->flags, f->show & TCP_FORMAT_ACE);
	/* The range counts payload only; SYN and FIN are not in it. */
	sb_printf(&sb, " %u:%u(%u)", f->seq, f->seq + f->payload_len,
		  f->payload_len);
	if (f->flags & TCPF_ACK)
		sb_printf(&sb, " ack %u", f->ack);
	if (f->show & TCP_FORMAT_WIN)
		sb_printf(&sb, " win %u", f->win);
	if (f->show & TCP_FORMAT_URG)
		sb_printf(&sb, " urg %u", f->urg);
	if (f->options && f->options->count) {
		sb_printf(&sb, " ");
		format_options(&sb, f->options);
	}
	return sb_result(&sb);
}

/* --- other protocols ------------------------------------------------------ */

int packet_format_udp(const struct packet *p, char *buf, size_t len)
{
	struct sbuf sb;

	sb_init(&sb, buf, len);
	sb_printf(&sb, "udp (%u)", p->u.udp.payload_len);
	return sb_result(&sb);
}

int packet_format_icmp(const struct packet *p, char *buf, size_t len)
{
	const struct packet_icmp *m = &p->u.icmp;
	const char *type = icmp_type_name(p->family, m->type);
	const char *code = icmp_code_name(p->family, m->type, m->code);
	struct sbuf sb;

	sb_init(&sb, buf, len);
	if (type)
		sb_printf(&sb, "icmp %s", type);
	else
		sb_printf(&sb, "icmp type %u", m->type);
	if (code)
		sb_printf(&sb, " %s", code);
	else if (m->code)
		sb_printf(&sb, " code %u", m->code);
	if (m->mtu)
		sb_printf(&sb, " mtu %u", m->mtu);
	return sb_result(&sb);
}
