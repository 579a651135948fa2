/* Field-by-field comparison of a scripted outbound segment with the one
 * the stack sent. */
#include "verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Differences collected as "expected X, got Y" clauses. */
struct diff {
	char text[DIAG_TEXT_MAX];
	size_t len;
	int count;
	const struct src_loc *where; /* the first field that differs */
};

/* Point at the first differing field when the parser recorded it. */
static void diff_at(struct diff *df, const struct src_loc *loc)
{
	if (!df->where && loc->first_line > 0)
		df->where = loc;
}

static void diff_add(struct diff *df, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void diff_add(struct diff *df, const char *fmt, ...)
{
	va_list ap;

	if (df->len + 2 >= sizeof(df->text))
		return;
	if (df->count++) {
		strcpy(df->text + df->len, "; ");
		df->len += 2;
	}
	va_start(ap, fmt);
	int n = vsnprintf(df->text + df->len, sizeof(df->text) - df->len, fmt,
			  ap);
	va_end(ap);
	if (n > 0)
		df->len += (size_t)n < sizeof(df->text) - df->len
				   ? (size_t)n
				   : sizeof(df->text) - df->len - 1;
}

static void format_flags(unsigned int flags, char *buf, size_t len)
{
	tcp_flags_format(flags, false, buf, len);
}

/* Outbound TS val is not checked (SCRIPT-LANGUAGE.md 3), nor is TS ecr,
 * as in packetdrill; everything else in an option must match. */
static bool option_equal(const struct tcp_option_spec *a,
			 const struct tcp_option_spec *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case TOPT_EOL:
	case TOPT_NOP:
	case TOPT_SACK_PERMITTED:
		return true;
	case TOPT_MSS:
		return a->u.mss == b->u.mss;
	case TOPT_WSCALE:
		return a->u.wscale == b->u.wscale;
	case TOPT_TIMESTAMP:
		return true; /* val: see above; ecr is not checked either */
	case TOPT_SACK:
		if (a->u.sack.count != b->u.sack.count)
			return false;
		for (int i = 0; i < a->u.sack.count; i++)
			if (a->u.sack.block[i].left != b->u.sack.block[i].left ||
			    a->u.sack.block[i].right != b->u.sack.block[i].right)
				return false;
		return true;
	case TOPT_MD5:
		return true; /* the digest depends on the key, not the script */
	default:
		return a->u.data.len == b->u.data.len &&
		       !memcmp(a->u.data.bytes, b->u.data.bytes, a->u.data.len);
	}
}

static bool compare_options(const struct tcp_spec *t,
			    const struct live_segment *l, struct diff *df)
{
	const struct tcp_option_list *live = l->options;
	char want[256], got[256];
	size_t n;

	if (t->any_options)
		return false;
	n = t->options ? t->options->count : 0;
	if (n == live->count) {
		size_t i;

		for (i = 0; i < n; i++)
			if (!option_equal(&t->options->items[i],
					  &live->items[i]))
				break;
		if (i == n)
			return false;
	}
	if (t->options && t->options->count)
		tcp_options_format(t->options, want, sizeof(want));
	else
		strcpy(want, "no options");
	if (live->count)
		tcp_options_format(live, got, sizeof(got));
	else
		strcpy(got, "no options");
	diff_add(df, "expected %s, got %s", want, got);
	return true;
}

int verify_segment(const struct packet_spec *exp, const struct live_segment *l,
		   const struct src_loc *loc, struct diag *d)
{
	const struct tcp_spec *t = &exp->u.tcp;
	const struct packet_tcp *lt = &l->packet->u.tcp;
	struct diff df = {.len = 0};
	char a[32], b[32];

	if (t->flags != lt->flags) {
		diff_at(&df, &exp->flags_loc);
		format_flags(t->flags, a, sizeof(a));
		format_flags(lt->flags, b, sizeof(b));
		diff_add(&df, "expected flags %s, got %s", a, b);
	}
	if (t->seq_start != l->seq || t->payload_len != lt->payload_len) {
		diff_at(&df, &exp->seq_loc);
		diff_add(&df, "expected %u:%u(%u), got %u:%u(%u)",
			 t->seq_start, t->seq_end, t->payload_len, l->seq,
			 l->seq + lt->payload_len, lt->payload_len);
	}
	if (t->has_ack && t->ack != l->ack) {
		diff_at(&df, &exp->ack_loc);
		diff_add(&df, "expected ack %u, got ack %u", t->ack, l->ack);
	}
	if (t->has_win && t->win != lt->win) {
		diff_at(&df, &exp->win_loc);
		diff_add(&df, "expected win %u, got win %u", t->win, lt->win);
	}
	if (t->has_urg && t->urg != lt->urg) {
		diff_at(&df, &exp->urg_loc);
		diff_add(&df, "expected urg %u, got urg %u", t->urg, lt->urg);
	}
	if (compare_options(t, l, &df))
		diff_at(&df, &exp->options_loc);
	if (!df.count)
		return 0;
	return diag_set(d, EXIT_FAIL, df.where ? df.where : loc, "%s",
			df.text);
}

/* The IP fields the script wrote, and the live ones beside them: "[ect0]"
 * alone, else "(ect0,tos 0x10,ttl 64)" an item a field. */
static void pair_ip(const struct ip_spec *ip, const struct packet *p,
		    const struct verify_checks *x, struct diag *d)
{
	char want[4][32], got[4][32];
	bool bad[4];
	int n = 0;

	if (x->ecn) {
		snprintf(want[n], sizeof(want[n]), "%s", x->ecn);
		snprintf(got[n], sizeof(got[n]), "%s", packet_ecn_name(p->tos));
		bad[n++] = x->ecn_bad;
	}
	if (ip->has_tos) {
		snprintf(want[n], sizeof(want[n]), "tos 0x%02x", ip->tos);
		snprintf(got[n], sizeof(got[n]), "tos 0x%02x", p->tos);
		bad[n++] = ip->tos != p->tos;
	}
	if (ip->has_ttl) {
		snprintf(want[n], sizeof(want[n]), "ttl %u", ip->ttl);
		snprintf(got[n], sizeof(got[n]), "ttl %u", p->ttl);
		bad[n++] = ip->ttl != p->ttl;
	}
	if (ip->has_flowlabel) {
		snprintf(want[n], sizeof(want[n]), "flowlabel 0x%x",
			 ip->flowlabel);
		snprintf(got[n], sizeof(got[n]), "flowlabel 0x%x",
			 p->flowlabel);
		bad[n++] = x->flowlabel_bad;
	}
	for (int i = 0; i < n; i++) {
		char a[40], b[40];
		bool ecn_only = n == 1 && x->ecn;
		const char *open = i ? "" : ecn_only ? "[" : "(";
		const char *close = i < n - 1 ? "," : ecn_only ? "]" : ")";

		snprintf(a, sizeof(a), "%s%s%s", open, want[i], close);
		snprintf(b, sizeof(b), "%s%s%s", open, got[i], close);
		diag_pair_add(d, a, b, bad[i], i < n - 1);
	}
}

/* One option of a list as a field: "<mss 1460," "nop," "wscale 7>". */
static void option_field(const struct tcp_option_list *l, size_t i,
			 char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s", i ? "" : "<");

	if (n < 0 || (size_t)n >= len)
		return;
	tcp_option_format(&l->items[i], buf + n, len - (size_t)n);
	n = (int)strlen(buf);
	snprintf(buf + n, len - (size_t)n, "%s",
		 i + 1 < l->count ? "," : ">");
}

static void pair_options(const struct tcp_spec *t,
			 const struct tcp_option_list *live,
			 const struct verify_checks *x, struct diag *d)
{
	size_t n = t->options ? t->options->count : 0;
	char want[256] = "", got[256] = "";

	if (live->count)
		tcp_options_format(live, got, sizeof(got));
	if (t->any_options) {
		diag_pair_add(d, "<...>", got, false, false);
		return;
	}
	if (n && n == live->count) {
		for (size_t i = 0; i < n; i++) {
			const struct tcp_option_spec *o = &t->options->items[i];

			option_field(t->options, i, want, sizeof(want));
			option_field(live, i, got, sizeof(got));
			diag_pair_add(d, want, got,
				      !option_equal(o, &live->items[i]) ||
					  (o->kind == TOPT_TIMESTAMP &&
					   x->ts_val_bad),
				      i + 1 < n);
		}
		return;
	}
	if (n)
		tcp_options_format(t->options, want, sizeof(want));
	diag_pair_add(d, want, got, n != live->count, false);
}

void verify_pair(const struct packet_spec *exp, const struct live_segment *l,
		 const struct verify_checks *x, struct diag *d)
{
	const struct tcp_spec *t = &exp->u.tcp;
	const struct packet_tcp *lt = &l->packet->u.tcp;
	char a[64], b[64];

	diag_pair_begin(d);
	diag_pair_add(d, exp->dir == DIR_INBOUND ? "<" : ">", ">", false,
		      false);
	pair_ip(&exp->ip, l->packet, x, d);
	format_flags(t->flags, a, sizeof(a));
	format_flags(lt->flags, b, sizeof(b));
	diag_pair_add(d, a, b, t->flags != lt->flags, false);
	snprintf(a, sizeof(a), "%u:%u(%u)", t->seq_start,
		 t->seq_start + t->payload_len, t->payload_len);
	snprintf(b, sizeof(b), "%u:%u(%u)", l->seq, l->seq + lt->payload_len,
		 lt->payload_len);
	diag_pair_add(d, a, b,
		      t->seq_start != l->seq ||
			  t->payload_len != lt->payload_len,
		      false);
	snprintf(a, sizeof(a), "ack %u", t->ack);
	snprintf(b, sizeof(b), "ack %u", l->ack);
	diag_pair_add(d, (t->flags & TCPF_ACK) ? a : NULL,
		      (lt->flags & TCPF_ACK) ? b : NULL,
		      t->has_ack && t->ack != l->ack, false);
	snprintf(a, sizeof(a), "win %u", t->win);
	snprintf(b, sizeof(b), "win %u", lt->win);
	diag_pair_add(d, t->has_win ? a : NULL, b,
		      t->has_win && t->win != lt->win, false);
	snprintf(a, sizeof(a), "urg %u", t->urg);
	snprintf(b, sizeof(b), "urg %u", lt->urg);
	diag_pair_add(d, t->has_urg ? a : NULL,
		      (lt->flags & TCPF_URG) ? b : NULL,
		      t->has_urg && t->urg != lt->urg, false);
	pair_options(t, l->options, x, d);
}

void verify_format_expected(const struct packet_spec *exp, char *buf,
			    size_t len)
{
	const struct tcp_spec *t = &exp->u.tcp;
	struct tcp_format f = {
		.flags = t->flags,
		.seq = t->seq_start,
		.payload_len = t->payload_len,
		.ack = t->ack,
		.win = t->win,
		.urg = t->urg,
		.options = t->options,
		.show = (t->has_win ? TCP_FORMAT_WIN : 0) |
			(t->has_urg ? TCP_FORMAT_URG : 0),
	};
	int n = snprintf(buf, len, "%c ", exp->dir == DIR_INBOUND ? '<' : '>');

	if (n < 0 || (size_t)n >= len)
		return;
	packet_format_tcp(&f, buf + n, len - (size_t)n);
	if (t->any_options) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, " <...>");
	}
}

void verify_format_live(const struct live_segment *l, bool with_options,
			char *buf, size_t len)
{
	const struct packet_tcp *lt = &l->packet->u.tcp;
	struct tcp_format f = {
		.flags = lt->flags,
		.seq = l->seq,
		.payload_len = lt->payload_len,
		.ack = l->ack,
		.win = lt->win,
		.urg = lt->urg,
		.options = with_options ? l->options : NULL,
		.show = TCP_FORMAT_WIN | ((lt->flags & TCPF_URG) ? TCP_FORMAT_URG : 0),
	};
	int n = snprintf(buf, len, "> ");

	if (n < 0 || (size_t)n >= len)
		return;
	packet_format_tcp(&f, buf + n, len - (size_t)n);
}
