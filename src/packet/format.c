/* Packets and TCP options printed in script syntax, so that a diff shows
 * the line the script would have needed. */
#include "packet/wire.h"
#include "strbuf.h"

#include <limits.h>
#include <stdio.h>

static int sb_result(const struct strbuf *sb)
{
	return sb->len > INT_MAX ? INT_MAX : (int)sb->len;
}

static void sb_hex(struct strbuf *sb, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		strbuf_printf(sb, "%02x", p[i]);
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
static void format_data(struct strbuf *sb, const char *name,
			const struct tcp_option_spec *o)
{
	size_t n = o->u.data.len;

	strbuf_printf(sb, "%s", name);
	if (n > TCP_OPTION_BYTES_MAX)
		n = TCP_OPTION_BYTES_MAX;
	if (n) {
		strbuf_printf(sb, " ");
		sb_hex(sb, o->u.data.bytes, n);
	}
}

static void format_unknown(struct strbuf *sb, const struct tcp_option_spec *o)
{
	const uint8_t *d = o->u.data.bytes;
	size_t n = o->u.data.len;

	if (n > TCP_OPTION_BYTES_MAX)
		n = TCP_OPTION_BYTES_MAX;
	strbuf_printf(sb, "kind %u len %zu", n ? d[0] : 0, n);
	if (n > 2) {
		strbuf_printf(sb, " ");
		sb_hex(sb, d + 2, n - 2);
	}
}

static void format_sack(struct strbuf *sb, const struct tcp_option_spec *o)
{
	strbuf_printf(sb, "sack");
	for (int i = 0; i < o->u.sack.count && i < SACK_BLOCKS_MAX; i++)
		strbuf_printf(sb, " %u:%u", o->u.sack.block[i].left,
			  o->u.sack.block[i].right);
}

static void format_accecn(struct strbuf *sb, const struct tcp_option_spec *o)
{
	strbuf_printf(sb, "ECN");
	for (int i = 0; i < o->u.accecn.count && i < 3; i++)
		strbuf_printf(sb, " %s %u", accecn_field_name(o->u.accecn.field[i]),
			  o->u.accecn.value[i]);
}

static void format_option(struct strbuf *sb, const struct tcp_option_spec *o)
{
	if (o->kind == TOPT_UNKNOWN) {
		format_unknown(sb, o);
		return;
	}
	switch (o->kind) {
	case TOPT_EOL:
		strbuf_printf(sb, "eol");
		break;
	case TOPT_NOP:
		strbuf_printf(sb, "nop");
		break;
	case TOPT_MSS:
		strbuf_printf(sb, "mss %u", o->u.mss);
		break;
	case TOPT_WSCALE:
		strbuf_printf(sb, "wscale %u", o->u.wscale);
		break;
	case TOPT_SACK_PERMITTED:
		strbuf_printf(sb, "sackOK");
		break;
	case TOPT_SACK:
		format_sack(sb, o);
		break;
	case TOPT_TIMESTAMP:
		strbuf_printf(sb, "TS val %u ecr %u", o->u.ts.val, o->u.ts.ecr);
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
	struct strbuf sb;

	strbuf_init(&sb, buf, len);
	format_option(&sb, opt);
	return sb_result(&sb);
}

static void format_options(struct strbuf *sb, const struct tcp_option_list *l)
{
	strbuf_printf(sb, "<");
	for (size_t i = 0; i < l->count; i++) {
		if (i)
			strbuf_printf(sb, ",");
		format_option(sb, &l->items[i]);
	}
	strbuf_printf(sb, ">");
}

int tcp_options_format(const struct tcp_option_list *opts, char *buf,
		       size_t len)
{
	struct strbuf sb;

	strbuf_init(&sb, buf, len);
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

static void format_flags(struct strbuf *sb, unsigned int flags, bool ace)
{
	bool digit = ace && (flags & TCPF_ACK);
	size_t start = sb->len;

	for (size_t i = 0; i < sizeof(flag_letters) / sizeof(*flag_letters);
	     i++) {
		if (digit && (flag_letters[i].bit & ACE_BITS))
			continue;
		if (flags & flag_letters[i].bit)
			strbuf_printf(sb, "%c", flag_letters[i].letter);
	}
	if (flags & TCPF_ACK)
		strbuf_printf(sb, ".");
	/* ACE is a 3-bit counter, AE the most significant bit. */
	if (digit)
		strbuf_printf(sb, "%u", (flags & TCPF_AE ? 4u : 0u) |
					    (flags & TCPF_CWR ? 2u : 0u) |
					    (flags & TCPF_ECE ? 1u : 0u));
	if (sb->len == start)
		strbuf_printf(sb, "-");
}

int tcp_flags_format(unsigned int flags, bool ace, char *buf, size_t len)
{
	struct strbuf sb;

	strbuf_init(&sb, buf, len);
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
	struct strbuf sb;

	strbuf_init(&sb, buf, len);
	if (f->show & TCP_FORMAT_ECN)
		strbuf_printf(&sb, "[%s] ", packet_ecn_name(f->tos));
	format_flags(&sb, f->flags, f->show & TCP_FORMAT_ACE);
	/* The range counts payload only; SYN and FIN are not in it. */
	strbuf_printf(&sb, " %u:%u(%u)", f->seq, f->seq + f->payload_len,
		  f->payload_len);
	if ((f->flags & TCPF_ACK) && !(f->show & TCP_FORMAT_NO_ACK))
		strbuf_printf(&sb, " ack %u", f->ack);
	if (f->show & TCP_FORMAT_WIN)
		strbuf_printf(&sb, " win %u", f->win);
	if (f->show & TCP_FORMAT_URG)
		strbuf_printf(&sb, " urg %u", f->urg);
	if (f->options && f->options->count) {
		strbuf_printf(&sb, " ");
		format_options(&sb, f->options);
	}
	return sb_result(&sb);
}

/* --- other protocols ------------------------------------------------------ */

int packet_format_udp(const struct packet *p, char *buf, size_t len)
{
	struct strbuf sb;

	strbuf_init(&sb, buf, len);
	strbuf_printf(&sb, "udp (%u)", p->u.udp.payload_len);
	return sb_result(&sb);
}

int packet_format_icmp(const struct packet *p, char *buf, size_t len)
{
	const struct packet_icmp *m = &p->u.icmp;
	const char *type = icmp_type_name(p->family, m->type);
	const char *code = icmp_code_name(p->family, m->type, m->code);
	struct strbuf sb;

	strbuf_init(&sb, buf, len);
	if (type)
		strbuf_printf(&sb, "icmp %s", type);
	else
		strbuf_printf(&sb, "icmp type %u", m->type);
	if (code)
		strbuf_printf(&sb, " %s", code);
	else if (m->code)
		strbuf_printf(&sb, " code %u", m->code);
	if (m->mtu)
		strbuf_printf(&sb, " mtu %u", m->mtu);
	return sb_result(&sb);
}
