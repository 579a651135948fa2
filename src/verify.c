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
	diag_set(d, EXIT_FAIL, df.where ? df.where : loc, "%s", df.text);
	verify_format_expected(exp, d->expected, sizeof(d->expected));
	verify_format_live(l, !t->any_options, d->actual, sizeof(d->actual));
	return -1;
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
