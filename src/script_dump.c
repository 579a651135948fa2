/* --dump-ast: the script's syntax tree as stable, line-oriented text for
 * golden tests. */
#include "script.h"
#include "script_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* --- --dump-ast ------------------------------------------------------------
 *
 * One node or field per line, children indented two spaces, every located
 * thing followed by @line:col-col or @line:col-line:col (the end column is
 * one past the last character, as struct src_loc holds it). Absent optional
 * fields print as "none", so that a golden file shows every field. */

static void dump_indent(FILE *out, int depth)
{
	fprintf(out, "%*s", 2 * depth, "");
}

static void dump_loc(FILE *out, const struct src_loc *l)
{
	if (l->first_line == 0) {
		fputs(" @none", out);
		return;
	}
	/* In an included file: its index in the file table. */
	if (l->file)
		fprintf(out, " @[%d]", l->file);
	else
		fputs(" @", out);
	if (l->first_line == l->last_line)
		fprintf(out, "%d:%d-%d", l->first_line, l->first_col,
			l->last_col);
	else
		fprintf(out, "%d:%d-%d:%d", l->first_line, l->first_col,
			l->last_line, l->last_col);
}

/* C-style quoting, so that every string fits one line of the dump. */
static void dump_quoted(FILE *out, const char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void dump_text(FILE *out, const char *s)
{
	if (s)
		dump_quoted(out, s, strlen(s));
	else
		fputs("none", out);
}

static void dump_expr(FILE *out, const struct expr *e, int depth,
		      const char *label);

static void dump_expr_list(FILE *out, const struct expr_list *l, int depth)
{
	for (size_t i = 0; i < l->count; i++)
		dump_expr(out, l->items[i], depth, NULL);
}

static void dump_expr(FILE *out, const struct expr *e, int depth,
		      const char *label)
{
	dump_indent(out, depth);
	if (label)
		fprintf(out, "%s ", label);
	fputs(expr_kind_name(e->kind), out);
	switch (e->kind) {
	case EXPR_ELLIPSIS:
		break;
	case EXPR_INT:
		fprintf(out, " %" PRId64, e->u.num);
		break;
	case EXPR_WORD:
		fprintf(out, " %s", e->u.text);
		break;
	case EXPR_STRING:
		fputc(' ', out);
		dump_quoted(out, e->u.text, e->len);
		break;
	case EXPR_BINARY:
		fprintf(out, " '%c'", e->u.binary.op);
		break;
	case EXPR_LIST:
	case EXPR_STRUCT:
		fprintf(out, " (%zu)", e->u.items.count);
		break;
	case EXPR_FIELD:
		fprintf(out, " %s", e->u.field.name);
		break;
	case EXPR_CALL:
		fprintf(out, " %s (%zu)", e->u.call.name,
			e->u.call.args.count);
		break;
	}
	dump_loc(out, &e->loc);
	fputc('\n', out);
	switch (e->kind) {
	case EXPR_BINARY:
		dump_expr(out, e->u.binary.lhs, depth + 1, NULL);
		dump_expr(out, e->u.binary.rhs, depth + 1, NULL);
		break;
	case EXPR_LIST:
	case EXPR_STRUCT:
		dump_expr_list(out, &e->u.items, depth + 1);
		break;
	case EXPR_FIELD:
		if (e->u.field.index)
			dump_expr(out, e->u.field.index, depth + 1, "index");
		dump_expr(out, e->u.field.value, depth + 1, "value");
		break;
	case EXPR_CALL:
		dump_expr_list(out, &e->u.call.args, depth + 1);
		break;
	default:
		break;
	}
}

static void dump_time(FILE *out, const char *label,
		      const struct script_time *t, int depth)
{
	static const char *const kinds[] = {
		[TIME_ABSOLUTE] = "absolute",
		[TIME_RELATIVE] = "relative",
		[TIME_ANY] = "any",
	};

	dump_indent(out, depth);
	fprintf(out, "%s %s", label, kinds[t->kind]);
	if (t->kind != TIME_ANY)
		fprintf(out, " %s%" PRId64 ".%06" PRId64,
			t->kind == TIME_RELATIVE ? "+" : "",
			t->usecs / USECS_PER_SEC, t->usecs % USECS_PER_SEC);
	dump_loc(out, &t->loc);
	fputc('\n', out);
}

static void dump_timing(FILE *out, const struct event_timing *t, int depth)
{
	static const char *const shapes[] = {
		[TIMING_POINT] = "point",
		[TIMING_WINDOW] = "window",
		[TIMING_BLOCKING] = "blocking",
	};

	dump_indent(out, depth);
	fprintf(out, "timing %s", shapes[t->shape]);
	/* Included files' time bases, only where there are some. */
	if (t->sets_anchor)
		fprintf(out, " sets base %d = +%" PRId64 ".%06" PRId64,
			t->sets_anchor, t->anchor_usecs / USECS_PER_SEC,
			t->anchor_usecs % USECS_PER_SEC);
	if (t->anchor)
		fprintf(out, " from base %d", t->anchor);
	fputc('\n', out);
	dump_time(out, "start", &t->start, depth + 1);
	if (t->shape != TIMING_POINT)
		dump_time(out, "end", &t->end, depth + 1);
}

/* "none" with no location when absent, else the value and where. */
static void dump_u32_field(FILE *out, int depth, const char *name, bool has,
			   uint32_t v, const struct src_loc *loc)
{
	dump_indent(out, depth);
	if (!has) {
		fprintf(out, "%s none\n", name);
		return;
	}
	fprintf(out, "%s %" PRIu32, name, v);
	dump_loc(out, loc);
	fputc('\n', out);
}

static void dump_ip(FILE *out, const struct packet_spec *p, int depth)
{
	const struct ip_spec *ip = &p->ip;

	dump_indent(out, depth);
	fputs("ip", out);
	if (ip->ecn == ECN_UNSPECIFIED && !ip->has_tos && !ip->has_flowlabel &&
	    !ip->has_ttl) {
		fputs(" none\n", out);
		return;
	}
	if (ip->ecn != ECN_UNSPECIFIED)
		fprintf(out, " ecn=%s", ecn_names[ip->ecn]);
	if (ip->has_tos)
		fprintf(out, " tos=0x%02x", ip->tos);
	if (ip->has_flowlabel)
		fprintf(out, " flowlabel=0x%05" PRIx32, ip->flowlabel);
	if (ip->has_ttl)
		fprintf(out, " ttl=%u", ip->ttl);
	dump_loc(out, &p->ip_loc);
	fputc('\n', out);
}

static void dump_ports(FILE *out, bool has, uint16_t sport, uint16_t dport,
		       const struct src_loc *loc, int depth)
{
	dump_indent(out, depth);
	if (!has) {
		fputs("ports none\n", out);
		return;
	}
	fprintf(out, "ports %u>%u", sport, dport);
	dump_loc(out, loc);
	fputc('\n', out);
}

static void dump_hex(FILE *out, const uint8_t *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(out, "%02x", bytes[i]);
}

/* Options print in script syntax, which is their most readable name. */
static void dump_option(FILE *out, const struct tcp_option_spec *o, int depth)
{
	static const char *const names[] = {
		[TOPT_EOL] = "eol",	      [TOPT_NOP] = "nop",
		[TOPT_MSS] = "mss",	      [TOPT_WSCALE] = "wscale",
		[TOPT_SACK_PERMITTED] = "sackOK", [TOPT_SACK] = "sack",
		[TOPT_TIMESTAMP] = "TS",      [TOPT_MD5] = "md5",
		[TOPT_FASTOPEN] = "FO",	      [TOPT_FASTOPEN_EXP] = "FOEXP",
		[TOPT_ACCECN] = "ECN",
	};

	dump_indent(out, depth);
	fputs(names[o->kind], out);
	switch (o->kind) {
	case TOPT_MSS:
		fprintf(out, " %u", o->u.mss);
		break;
	case TOPT_WSCALE:
		fprintf(out, " %u", o->u.wscale);
		break;
	case TOPT_SACK:
		for (int i = 0; i < o->u.sack.count; i++)
			fprintf(out, " %" PRIu32 ":%" PRIu32,
				o->u.sack.block[i].left,
				o->u.sack.block[i].right);
		break;
	case TOPT_TIMESTAMP:
		fprintf(out, " val %" PRIu32 " ecr %" PRIu32, o->u.ts.val,
			o->u.ts.ecr);
		break;
	case TOPT_MD5:
	case TOPT_FASTOPEN:
	case TOPT_FASTOPEN_EXP:
		if (o->u.data.len) {
			fputc(' ', out);
			dump_hex(out, o->u.data.bytes, o->u.data.len);
		}
		break;
	case TOPT_ACCECN:
		for (int i = 0; i < o->u.accecn.count; i++)
			fprintf(out, " %s %" PRIu32,
				accecn_names[o->u.accecn.field[i]],
				o->u.accecn.value[i]);
		break;
	default:
		break;
	}
	dump_loc(out, &o->loc);
	fputc('\n', out);
}

static void dump_flags(FILE *out, const struct packet_spec *p, int depth)
{
	const struct tcp_spec *t = &p->u.tcp;
	const char *sep = " ";

	dump_indent(out, depth);
	fputs("flags ", out);
	dump_text(out, t->flag_text);
	for (size_t i = 0; i < ARRAY_SIZE(tcp_flag_letters); i++)
		if (t->flags & tcp_flag_letters[i].bit) {
			fprintf(out, "%s%s", sep, tcp_flag_letters[i].name);
			sep = "|";
		}
	if (!t->flags)
		fputs(" none", out);
	if (t->ace >= 0)
		fprintf(out, " ace=%d", t->ace);
	dump_loc(out, &p->flags_loc);
	fputc('\n', out);
}

static void dump_tcp(FILE *out, const struct packet_spec *p, int depth)
{
	const struct tcp_spec *t = &p->u.tcp;

	dump_ports(out, t->has_ports, t->sport, t->dport, &p->ports_loc, depth);
	dump_flags(out, p, depth);
	dump_indent(out, depth);
	fprintf(out, "seq %" PRIu32 ":%" PRIu32 "(%" PRIu32 ")", t->seq_start,
		t->seq_end, t->payload_len);
	dump_loc(out, &p->seq_loc);
	fputc('\n', out);
	dump_u32_field(out, depth, "ack", t->has_ack, t->ack, &p->ack_loc);
	dump_u32_field(out, depth, "win", t->has_win, t->win, &p->win_loc);
	dump_u32_field(out, depth, "urg", t->has_urg, t->urg, &p->urg_loc);
	dump_indent(out, depth);
	if (t->any_options) {
		fputs("options any", out);
	} else if (!t->options) {
		fputs("options none\n", out);
		return;
	} else {
		fprintf(out, "options (%zu)", t->options->count);
	}
	dump_loc(out, &p->options_loc);
	fputc('\n', out);
	for (size_t i = 0; t->options && i < t->options->count; i++)
		dump_option(out, &t->options->items[i], depth + 1);
}

static void dump_packet(FILE *out, const struct packet_spec *p, int depth);

static void dump_icmp(FILE *out, const struct packet_spec *p, int depth)
{
	const struct icmp_spec *ic = &p->u.icmp;

	dump_indent(out, depth);
	fprintf(out, "type %s", ic->type);
	dump_loc(out, &ic->type_loc);
	fputc('\n', out);
	dump_indent(out, depth);
	if (ic->code) {
		fprintf(out, "code %s", ic->code);
		dump_loc(out, &ic->code_loc);
		fputc('\n', out);
	} else {
		fputs("code none\n", out);
	}
	dump_u32_field(out, depth, "mtu", ic->has_mtu, ic->mtu, &ic->mtu_loc);
	dump_indent(out, depth);
	if (!ic->quoted) {
		fputs("quoted none\n", out);
		return;
	}
	fputs("quoted\n", out);
	dump_packet(out, ic->quoted, depth + 1);
}

static void dump_packet(FILE *out, const struct packet_spec *p, int depth)
{
	static const char *const protos[] = {
		[PROTO_TCP] = "tcp",
		[PROTO_UDP] = "udp",
		[PROTO_ICMP] = "icmp",
	};

	dump_indent(out, depth);
	fprintf(out, "direction %s\n",
		p->dir == DIR_INBOUND ? "inbound" : "outbound");
	dump_indent(out, depth);
	fprintf(out, "proto %s\n", protos[p->proto]);
	dump_ip(out, p, depth);
	switch (p->proto) {
	case PROTO_TCP:
		dump_tcp(out, p, depth);
		break;
	case PROTO_UDP:
		dump_ports(out, p->u.udp.has_ports, p->u.udp.sport,
			   p->u.udp.dport, &p->ports_loc, depth);
		dump_u32_field(out, depth, "length", true,
			       p->u.udp.payload_len, &p->seq_loc);
		break;
	case PROTO_ICMP:
		dump_icmp(out, p, depth);
		break;
	}
}

static void dump_syscall(FILE *out, const struct syscall_spec *sc, int depth)
{
	dump_indent(out, depth);
	fprintf(out, "name %s", sc->name);
	dump_loc(out, &sc->name_loc);
	fputc('\n', out);
	dump_indent(out, depth);
	fprintf(out, "args (%zu)\n", sc->args.count);
	dump_expr_list(out, &sc->args, depth + 1);
	dump_expr(out, sc->result, depth, "result");
	dump_indent(out, depth);
	if (sc->errno_name) {
		fprintf(out, "errno %s", sc->errno_name);
		dump_loc(out, &sc->errno_loc);
		fputc('\n', out);
	} else {
		fputs("errno none\n", out);
	}
	/* Only tcp_states has them: older trees stay as they were. */
	if (sc->more_words.count) {
		dump_indent(out, depth);
		fprintf(out, "more words (%zu)\n", sc->more_words.count);
		dump_expr_list(out, &sc->more_words, depth + 1);
	}
	dump_indent(out, depth);
	fputs("note ", out);
	dump_text(out, sc->note);
	fputc('\n', out);
}

static void dump_event(FILE *out, const struct event *e, size_t n)
{
	static const char *const kinds[] = {
		[EVENT_PACKET] = "packet",
		[EVENT_SYSCALL] = "syscall",
		[EVENT_COMMAND] = "command",
		[EVENT_CODE] = "code",
	};

	fprintf(out, "event %zu %s", n, kinds[e->kind]);
	dump_loc(out, &e->loc);
	fputc('\n', out);
	dump_timing(out, &e->timing, 1);
	switch (e->kind) {
	case EVENT_PACKET:
		dump_packet(out, &e->u.packet, 1);
		break;
	case EVENT_SYSCALL:
		dump_syscall(out, &e->u.syscall, 1);
		break;
	case EVENT_COMMAND:
		dump_indent(out, 1);
		fputs("command ", out);
		dump_text(out, e->u.command);
		fputc('\n', out);
		break;
	case EVENT_CODE:
		dump_indent(out, 1);
		fputs("code ", out);
		dump_text(out, e->u.code);
		fputc('\n', out);
		break;
	}
}

static void dump_command(FILE *out, const char *label, const char *command,
			 const struct src_loc *loc)
{
	fprintf(out, "%s ", label);
	dump_text(out, command);
	if (command)
		dump_loc(out, loc);
	fputc('\n', out);
}

void script_dump(FILE *out, const struct script *s)
{
	/* The files it included, which locations @[N] name. */
	for (size_t i = 1; i < s->file_count; i++) {
		fprintf(out, "file %zu ", i);
		dump_text(out, s->files[i].name);
		fputs(" included from", out);
		dump_loc(out, &s->files[i].included_from);
		fputc('\n', out);
	}
	for (size_t i = 0; i < s->option_count; i++) {
		const struct script_option *o = &s->options[i];

		fprintf(out, "option %s", o->name);
		if (o->value) {
			fputs(" = ", out);
			dump_text(out, o->value);
		}
		dump_loc(out, &o->loc);
		fputc('\n', out);
	}
	dump_command(out, "init", s->init_command, &s->init_loc);
	for (size_t i = 0; i < s->event_count; i++)
		dump_event(out, s->events[i], i + 1);
	dump_command(out, "cleanup", s->cleanup_command, &s->cleanup_loc);
}
