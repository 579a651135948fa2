/* The semantic pass: time rules, event shapes and symbol resolution, so
 * that every script error is reported before anything runs. */
#include "timeline.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "packet/packet.h"
#include "syscalls/syscalls.h"

static int check_tcp_spec(const struct packet_spec *p, struct diag *d)
{
	const struct tcp_spec *t = &p->u.tcp;

	if (t->seq_end - t->seq_start != t->payload_len)
		return diag_set(d, EXIT_USAGE, &p->seq_loc,
				"sequence range %u:%u spans %u bytes but its "
				"length says %u",
				t->seq_start, t->seq_end,
				t->seq_end - t->seq_start, t->payload_len);
	if (t->ace >= 0)
		return diag_set(d, EXIT_USAGE, &p->flags_loc,
				"not supported yet: AccECN ACE counters");
	if (p->dir == DIR_INBOUND && !t->has_win)
		return diag_set(d, EXIT_USAGE, &p->flags_loc,
				"an inbound segment needs a window (win N)");
	if (p->dir == DIR_INBOUND && t->any_options)
		return diag_set(d, EXIT_USAGE, &p->options_loc,
				"inbound options must be written out: <...> "
				"only fits outbound segments");
	if (t->has_win && t->win > 65535)
		return diag_set(d, EXIT_USAGE, &p->win_loc,
				"window %u does not fit the 16-bit field; "
				"write the scaled value", t->win);
	if (t->has_urg && t->urg > 65535)
		return diag_set(d, EXIT_USAGE, &p->urg_loc,
				"urgent pointer %u does not fit 16 bits",
				t->urg);
	if (t->has_ports)
		return diag_set(d, EXIT_USAGE, &p->ports_loc,
				"not supported yet: explicit ports");
	return 0;
}

/* An ICMP error the tool sends about the stack's segment: its type and
 * code are the IP version's (packetdrill's names; "frag_needed" is
 * ICMPv4's, "packet_too_big" ICMPv6's), its MTU fits the message. */
static int check_icmp(const struct packet_spec *p, const struct config *c,
		      struct diag *d)
{
	const struct icmp_spec *ic = &p->u.icmp;
	uint8_t type, code;
	char err[128];
	bool v4 = c->wire_family == AF_INET;

	if (p->dir != DIR_INBOUND)
		return diag_set(d, EXIT_USAGE, &ic->type_loc,
				"not supported yet: outbound icmp packets");
	/* The type alone first, so a bad name is reported where it is. */
	if (icmp_lookup(c->wire_family, ic->type, NULL, &type, &code, err,
			sizeof(err)))
		return diag_set(d, EXIT_USAGE, &ic->type_loc, "%s", err);
	if (icmp_lookup(c->wire_family, ic->type, ic->code, &type, &code, err,
			sizeof(err)))
		return diag_set(d, EXIT_USAGE, &ic->code_loc, "%s", err);
	if (ic->has_mtu &&
	    !(v4 ? type == 3 && code == 4 : type == 2 && code == 0))
		return diag_set(d, EXIT_USAGE, &ic->mtu_loc,
				"an MTU goes only with %s",
				v4 ? "unreachable frag_needed"
				   : "packet_too_big");
	if (ic->has_mtu && v4 && ic->mtu > 0xffff)
		return diag_set(d, EXIT_USAGE, &ic->mtu_loc,
				"ICMPv4's MTU %u does not fit 16 bits",
				ic->mtu);
	if (ic->quoted && ic->quoted->proto != PROTO_TCP)
		return diag_set(d, EXIT_USAGE, &ic->type_loc,
				"not supported yet: icmp quoting udp");
	return 0;
}

static int check_packet(const struct event *ev, struct tl_event *te,
			const struct config *c, struct diag *d)
{
	const struct packet_spec *p = &ev->u.packet;
	const struct ip_spec *ip = &p->ip;

	if (p->proto == PROTO_UDP)
		return diag_set(d, EXIT_USAGE, &ev->loc,
				"not supported yet: udp packets");
	if (p->proto == PROTO_ICMP && check_icmp(p, c, d))
		return -1;
	if (ip->ecn == ECN_ECT01 && p->dir == DIR_INBOUND)
		return diag_set(d, EXIT_USAGE, &p->ip_loc,
				"[ect01] means either ECT codepoint: it only "
				"fits outbound packets");
	if (ip->has_flowlabel && c->wire_family != AF_INET6)
		return diag_set(d, EXIT_USAGE, &p->ip_loc,
				"a flow label needs IPv6");
	if (p->dir == DIR_INBOUND &&
	    (te->window || te->time_kind == TIME_ANY))
		return diag_set(d, EXIT_USAGE, &ev->timing.start.loc,
				"a time window or '*' only fits outbound "
				"packets");
	te->kind = p->dir == DIR_INBOUND ? TL_INBOUND : TL_OUTBOUND;
	return p->proto == PROTO_ICMP ? 0 : check_tcp_spec(p, d);
}

/* The fd argument that tcp_state and tcp_states share. */
static int check_state_fd(const struct event *ev, struct tl_event *te,
			  struct diag *d)
{
	const struct syscall_spec *sc = &ev->u.syscall;

	if (sc->args.count > 1)
		return diag_set(d, EXIT_USAGE, &sc->name_loc,
				"%s takes at most one argument, an fd",
				sc->name);
	if (sc->args.count == 1) {
		const struct expr *a = sc->args.items[0];

		if (a->kind != EXPR_INT || a->u.num < 0 || a->u.num > 65535)
			return diag_set(d, EXIT_USAGE, &a->loc,
					"%s wants a file descriptor number",
					sc->name);
		te->state.has_fd = true;
		te->state.fd = (int)a->u.num;
	}
	return 0;
}

/* ... and their timing. */
static int check_state_timing(const struct event *ev,
			      const struct tl_event *te, struct diag *d)
{
	const struct syscall_spec *sc = &ev->u.syscall;

	if (te->blocking)
		return diag_set(d, EXIT_USAGE, &ev->timing.start.loc,
				"%s cannot block; use a window a~b",
				sc->name);
	if (te->time_kind == TIME_ANY)
		return diag_set(d, EXIT_USAGE, &ev->timing.start.loc,
				"'*' only fits outbound packets; a state is "
				"checked at a time or in a window a~b");
	return 0;
}

/* tcp_state(fd) = NAME, or tcp_state() = NAME for the script's
 * connection (SCRIPT-LANGUAGE.md 7.1). */
static int check_state(const struct event *ev, struct tl_event *te,
		       struct diag *d)
{
	const struct syscall_spec *sc = &ev->u.syscall;
	const struct expr *r = sc->result;

	if (check_state_fd(ev, te, d))
		return -1;
	if (!r || r->kind != EXPR_WORD)
		return diag_set(d, EXIT_USAGE, r ? &r->loc : &sc->name_loc,
				"tcp_state wants a state name after '=', "
				"e.g. ESTABLISHED");
	if (sockstate_parse(r->u.text, &te->state.state))
		return diag_set(d, EXIT_USAGE, &r->loc,
				"unknown TCP state '%s'", r->u.text);
	if (sc->errno_name)
		return diag_set(d, EXIT_USAGE, &sc->errno_loc,
				"tcp_state has no errno");
	if (check_state_timing(ev, te, d))
		return -1;
	te->kind = TL_STATE;
	return 0;
}

static int add_state_name(struct tl_event *te, const char *name,
			  const struct src_loc *loc, struct diag *d)
{
	if (te->state.count == TL_STATES_MAX)
		return diag_set(d, EXIT_USAGE, loc,
				"tcp_states lists %d state changes at most",
				TL_STATES_MAX);
	if (sockstate_parse(name, &te->state.seq[te->state.count]))
		return diag_set(d, EXIT_USAGE, loc, "unknown TCP state '%s'",
				name);
	te->state.count++;
	te->state.seq_loc.last_line = loc->last_line;
	te->state.seq_loc.last_col = loc->last_col;
	return 0;
}

/* tcp_states([fd]) = NAME NAME ...: the states a connection entered
 * since its previous state check, in order. The names after the first
 * reach the tree as an errno and more words. */
static int check_states(const struct event *ev, struct tl_event *te,
			struct diag *d)
{
	const struct syscall_spec *sc = &ev->u.syscall;
	const struct expr *r = sc->result;

	if (check_state_fd(ev, te, d))
		return -1;
	if (!r || r->kind != EXPR_WORD)
		return diag_set(d, EXIT_USAGE, r ? &r->loc : &sc->name_loc,
				"tcp_states wants the state names after '=', "
				"e.g. FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT");
	te->state.seq_loc = r->loc;
	if (add_state_name(te, r->u.text, &r->loc, d))
		return -1;
	if (sc->errno_name &&
	    add_state_name(te, sc->errno_name, &sc->errno_loc, d))
		return -1;
	for (size_t i = 0; i < sc->more_words.count; i++) {
		const struct expr *w = sc->more_words.items[i];

		if (add_state_name(te, w->u.text, &w->loc, d))
			return -1;
	}
	if (check_state_timing(ev, te, d))
		return -1;
	te->kind = TL_STATES;
	return 0;
}

static int check_syscall(const struct event *ev, struct tl_event *te,
			 const struct config *c, struct diag *d)
{
	const struct syscall_spec *sc = &ev->u.syscall;

	if (!strcmp(sc->name, "tcp_states"))
		return check_states(ev, te, d);
	if (sc->more_words.count)
		return diag_set(d, EXIT_USAGE, &sc->more_words.items[0]->loc,
				"one errno at most after a call's result; "
				"only tcp_states takes a list of names");
	if (!strcmp(sc->name, "tcp_state"))
		return check_state(ev, te, d);
	if (te->window || te->time_kind == TIME_ANY)
		return diag_set(d, EXIT_USAGE, &ev->timing.start.loc,
				"a time window or '*' does not fit a system "
				"call; a blocking call is written a...b");
	te->kind = TL_SYSCALL;
	return syscall_prepare(sc, &te->call, d);
}

static int check_timing(const struct event *ev, struct tl_event *te,
			struct diag *d)
{
	const struct event_timing *t = &ev->timing;

	te->time_kind = t->start.kind;
	te->start_usecs = t->start.usecs;
	te->end_usecs = t->start.usecs;
	if (t->shape == TIMING_POINT)
		return 0;
	te->end_usecs = t->end.usecs;
	te->window = t->shape == TIMING_WINDOW;
	te->blocking = t->shape == TIMING_BLOCKING;
	if (t->start.kind == TIME_ANY)
		return diag_set(d, EXIT_USAGE, &t->start.loc,
				"'*' cannot start a window");
	if (te->window && t->end.kind != t->start.kind)
		return diag_set(d, EXIT_USAGE, &t->end.loc,
				"a window's ends must both be absolute or "
				"both relative");
	if (te->end_usecs < te->start_usecs)
		return diag_set(d, EXIT_USAGE, &t->end.loc,
				"the end of this time range is before its "
				"start");
	if (te->blocking && ev->kind != EVENT_SYSCALL)
		return diag_set(d, EXIT_USAGE, &t->start.loc,
				"only a system call can block (a...b)");
	if (te->blocking && t->end.kind != TIME_ABSOLUTE)
		return diag_set(d, EXIT_USAGE, &t->end.loc,
				"the end of a blocking call is a plain number, "
				"measured from the same point as its start");
	return 0;
}

/* Time rules between events: the first is at 0; absolute times never go
 * backwards (those of an included file, counted from its include's time,
 * among themselves). */
static int check_order(const struct script *s, const struct timeline *tl,
		       size_t i, struct diag *d)
{
	const struct tl_event *te = &tl->events[i];
	const struct src_loc *loc = &te->ev->timing.start.loc;
	int anchor = te->ev->timing.anchor;

	if (i == 0) {
		if (te->time_kind != TIME_ANY && te->start_usecs != 0)
			return diag_set(d, EXIT_USAGE, loc,
					"the first event must be at time 0");
		return 0;
	}
	for (size_t j = i; j-- > 0;) {
		const struct tl_event *prev = &tl->events[j];

		const struct src_loc *at = &prev->ev->loc;

		if (prev->time_kind != TIME_ABSOLUTE ||
		    prev->ev->timing.anchor != anchor)
			continue;
		if (te->time_kind == TIME_ABSOLUTE &&
		    te->start_usecs < prev->start_usecs && at->file == loc->file)
			return diag_set(d, EXIT_USAGE, loc,
					"time goes backwards: %.6f s is "
					"before the %.6f s of line %d",
					te->start_usecs / 1e6,
					prev->start_usecs / 1e6, at->first_line);
		if (te->time_kind == TIME_ABSOLUTE &&
		    te->start_usecs < prev->start_usecs)
			return diag_set(d, EXIT_USAGE, loc,
					"time goes backwards: %.6f s is "
					"before the %.6f s of %s:%d",
					te->start_usecs / 1e6,
					prev->start_usecs / 1e6,
					s->files[at->file].name,
					at->first_line);
		break;
	}
	return 0;
}

static int build_event(const struct event *ev, struct tl_event *te,
		       const struct config *c, struct diag *d)
{
	te->ev = ev;
	if (check_timing(ev, te, d))
		return -1;
	switch (ev->kind) {
	case EVENT_PACKET:
		return check_packet(ev, te, c, d);
	case EVENT_SYSCALL:
		return check_syscall(ev, te, c, d);
	case EVENT_COMMAND:
		if (te->window || te->time_kind == TIME_ANY)
			return diag_set(d, EXIT_USAGE, &ev->timing.start.loc,
					"a command runs at one time, not in "
					"a window or at '*'");
		te->kind = TL_COMMAND;
		return 0;
	case EVENT_CODE:
		if (te->window || te->time_kind == TIME_ANY)
			return diag_set(d, EXIT_USAGE, &ev->timing.start.loc,
					"code runs at one time, not in a "
					"window or at '*'");
		te->kind = TL_CODE;
		return 0;
	}
	return diag_set(d, EXIT_INTERNAL, &ev->loc, "bad event kind %d",
			(int)ev->kind);
}

int timeline_build(const struct script *s, const struct config *c,
		   struct timeline *tl, struct diag *d)
{
	memset(tl, 0, sizeof(*tl));
	if (s->event_count == 0)
		return diag_set(d, EXIT_USAGE, NULL, "the script has no events");
	tl->events = calloc(s->event_count, sizeof(*tl->events));
	if (!tl->events)
		return diag_set(d, EXIT_INTERNAL, NULL, "out of memory");
	for (size_t i = 0; i < s->event_count; i++) {
		tl->count = i + 1;
		if (build_event(s->events[i], &tl->events[i], c, d) ||
		    check_order(s, tl, i, d)) {
			timeline_free(tl);
			return -1;
		}
	}
	return 0;
}

void timeline_free(struct timeline *tl)
{
	for (size_t i = 0; i < tl->count; i++)
		if (tl->events[i].call)
			syscall_free(tl->events[i].call);
	free(tl->events);
	memset(tl, 0, sizeof(*tl));
}
