/* The semantic pass over one system call: find its handler, resolve every
 * word and check every argument's shape, so that at run time nothing can
 * go wrong but the kernel's answer. */
#include "syscalls/internal.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "suggest.h"

/* Calls of the language (SCRIPT-LANGUAGE.md, 4) we do not run yet: a script
 * using them is valid, so it gets "not supported yet", not "unknown". */
static const char *const not_yet[] = {
	"readv", "writev", NULL,
};

static const struct syscall_def *const families[] = {
	syscalls_socket_defs,
	syscalls_io_defs,
	syscalls_sockopt_defs,
	syscalls_poll_defs,
	syscalls_msg_defs,
	syscalls_file_defs,
};

static const struct syscall_def *find_def(const char *name)
{
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		for (const struct syscall_def *c = families[f]; c->name; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

const struct syscall_def *syscall_def_find(const char *name)
{
	return find_def(name);
}

static bool is_not_yet(const char *name)
{
	for (size_t i = 0; not_yet[i]; i++)
		if (strcmp(not_yet[i], name) == 0)
			return true;
	return false;
}

/* "unknown symbol 'SO_REUSEADR'; did you mean SO_REUSEADDR?" */
static int unknown_word(struct diag *d, const struct src_loc *loc,
			const char *what, const char *word, bool errno_only)
{
	const char *hint = symbol_suggest(word, errno_only);

	if (hint)
		return diag_set(d, EXIT_USAGE, loc,
				"unknown %s '%s'; did you mean %s?", what,
				word, hint);
	return diag_set(d, EXIT_USAGE, loc, "unknown %s '%s'", what, word);
}

/* htons(8080) and friends: cheap, and packetdrill scripts write them. */
static int eval_call(const struct expr *e, int64_t *value, struct diag *d)
{
	const char *name = e->u.call.name;
	int64_t v;

	if (e->u.call.args.count != 1)
		return diag_set(d, EXIT_USAGE, &e->loc,
				"%s() in a constant takes 1 argument", name);
	if (syscall_const_eval(e->u.call.args.items[0], &v, d) < 0)
		return -1;
	if (strcmp(name, "htons") == 0 || strcmp(name, "ntohs") == 0)
		*value = htons((uint16_t)v);
	else if (strcmp(name, "htonl") == 0 || strcmp(name, "ntohl") == 0)
		*value = htonl((uint32_t)v);
	else
		return diag_set(d, EXIT_USAGE, &e->loc,
				"unknown function '%s' in a constant", name);
	return 0;
}

int syscall_const_eval(const struct expr *e, int64_t *value, struct diag *d)
{
	int64_t l, r;

	switch (e->kind) {
	case EXPR_INT:
		*value = e->u.num;
		return 0;
	case EXPR_WORD:
		if (symbol_lookup(e->u.text, value))
			return 0;
		return unknown_word(d, &e->loc, "symbol", e->u.text, false);
	case EXPR_BINARY:
		if (e->u.binary.op != '|')
			return diag_set(d, EXIT_USAGE, &e->loc,
					"unknown operator '%c'",
					e->u.binary.op);
		/* Both sides, so that --check hears of each bad word. */
		if ((syscall_const_eval(e->u.binary.lhs, &l, d) < 0) |
		    (syscall_const_eval(e->u.binary.rhs, &r, d) < 0))
			return -1;
		*value = l | r;
		return 0;
	case EXPR_CALL:
		return eval_call(e, value, d);
	default:
		return diag_set(d, EXIT_USAGE, &e->loc, "expected a constant");
	}
}

bool syscall_is_const(const struct expr *e)
{
	return e->kind == EXPR_INT || e->kind == EXPR_BINARY ||
	       e->kind == EXPR_CALL ||
	       (e->kind == EXPR_WORD && strcmp(e->u.text, "NULL") != 0);
}

/* {onoff=1, linger=0}, also with the l_ prefixes of struct linger. */
static int classify_linger(const struct expr *e, struct prepared_arg *a,
			   struct diag *d)
{
	bool seen[2] = {false, false};

	for (size_t i = 0; i < e->u.items.count; i++) {
		const struct expr *f = e->u.items.items[i];
		const struct expr *v;
		const char *n;
		int which;

		if (f->kind != EXPR_FIELD || f->u.field.index)
			return 0;
		n = f->u.field.name;
		if (strcmp(n, "onoff") == 0 || strcmp(n, "l_onoff") == 0)
			which = 0;
		else if (strcmp(n, "linger") == 0 || strcmp(n, "l_linger") == 0)
			which = 1;
		else
			return 0;
		v = f->u.field.value;
		if (seen[which] || !syscall_is_const(v))
			return 0;
		if (syscall_const_eval(v, &a->linger[which], d) < 0)
			return -1;
		seen[which] = true;
	}
	if (seen[0] && seen[1])
		a->shape = SHAPE_LINGER;
	return 0;
}

/* One {name=value, ...} of poll or epoll; fields it does not know leave
 * the argument unclassified (SHAPE_OTHER), to be refused by its call. */
static int classify_ev(const struct expr *e, struct ev_spec *ev, bool *poll,
		       bool *epoll, struct diag *d)
{
	for (size_t i = 0; i < e->u.items.count; i++) {
		const struct expr *f = e->u.items.items[i];
		const char *n;
		int64_t v;

		if (f->kind != EXPR_FIELD || f->u.field.index ||
		    !syscall_is_const(f->u.field.value))
			return 1;
		if (syscall_const_eval(f->u.field.value, &v, d) < 0)
			return -1;
		n = f->u.field.name;
		if (strcmp(n, "events") == 0) {
			ev->events = v;
		} else if (strcmp(n, "revents") == 0) {
			ev->revents = v;
			ev->has_revents = true;
			*epoll = false;
		} else if (strcmp(n, "fd") == 0) {
			ev->data = v;
			ev->data_is_fd = true;
		} else if (strcmp(n, "ptr") == 0 || strcmp(n, "u32") == 0 ||
			   strcmp(n, "u64") == 0) {
			ev->data = v;
			*poll = false;
		} else {
			return 1;
		}
	}
	return 0;
}

/* [{fd=4, events=POLLIN, revents=POLLIN}, ...] for poll; {events=EPOLLIN,
 * fd=4} for epoll. */
static int classify_events(const struct expr *e, struct prepared_arg *a,
			   struct diag *d)
{
	bool list = e->kind == EXPR_LIST, poll = list, epoll = !list;
	size_t n = list ? e->u.items.count : 1;

	a->evs = calloc(n, sizeof(*a->evs));
	if (!a->evs)
		return diag_set(d, EXIT_INTERNAL, &e->loc, "out of memory");
	a->evs_count = n;
	for (size_t i = 0; i < n; i++) {
		const struct expr *s = list ? e->u.items.items[i] : e;
		int rc;

		if (s->kind != EXPR_STRUCT)
			return 0;
		rc = classify_ev(s, &a->evs[i], &poll, &epoll, d);
		if (rc)
			return rc < 0 ? -1 : 0;
	}
	if (poll)
		a->shape = SHAPE_POLLFDS;
	else if (epoll)
		a->shape = SHAPE_EPOLL_EVENT;
	return 0;
}

/* Decide what an argument is; words are resolved on the way, so a bad
 * symbol is reported at the word even inside [...] or {...}. */
static int classify(const struct expr *e, struct prepared_arg *a,
		    struct diag *d)
{
	a->shape = SHAPE_OTHER;
	if (e->kind == EXPR_ELLIPSIS) {
		a->shape = SHAPE_ELLIPSIS;
	} else if (e->kind == EXPR_WORD && strcmp(e->u.text, "NULL") == 0) {
		a->shape = SHAPE_NULL;
	} else if (syscall_is_const(e)) {
		if (syscall_const_eval(e, &a->num, d) < 0)
			return -1;
		a->shape = SHAPE_INT;
	} else if (e->kind == EXPR_LIST && e->u.items.count == 1 &&
		   syscall_is_const(e->u.items.items[0])) {
		if (syscall_const_eval(e->u.items.items[0], &a->num, d) < 0)
			return -1;
		a->shape = SHAPE_INTREF;
	} else if (e->kind == EXPR_LIST && e->u.items.count == 2 &&
		   syscall_is_const(e->u.items.items[0]) &&
		   syscall_is_const(e->u.items.items[1])) {
		if (syscall_const_eval(e->u.items.items[0], &a->pair[0], d) ||
		    syscall_const_eval(e->u.items.items[1], &a->pair[1], d))
			return -1;
		a->shape = SHAPE_INTPAIR;
	} else if (e->kind == EXPR_STRING) {
		/* len counts the bytes: "\x00" is a byte, not the end. */
		a->len = e->len ? e->len : strlen(e->u.text);
		a->bytes = malloc(a->len + 1);
		if (!a->bytes)
			return diag_set(d, EXIT_INTERNAL, &e->loc,
					"out of memory");
		memcpy(a->bytes, e->u.text, a->len);
		a->bytes[a->len] = '\0';
		a->shape = SHAPE_BYTES;
	} else if (e->kind == EXPR_STRUCT) {
		if (msg_classify(e, a, d) < 0)
			return -1;
		if (a->shape == SHAPE_MSGHDR)
			return 0;
		if (classify_linger(e, a, d) < 0)
			return -1;
		if (a->shape == SHAPE_OTHER)
			return classify_events(e, a, d);
	} else if (e->kind == EXPR_LIST && e->u.items.count > 0 &&
		   e->u.items.items[0]->kind == EXPR_STRUCT) {
		return classify_events(e, a, d);
	}
	return 0;
}

#define SHAPE_BIT(s) (1u << (s))
#define ELL SHAPE_BIT(SHAPE_ELLIPSIS)
#define NUL SHAPE_BIT(SHAPE_NULL)
#define INT SHAPE_BIT(SHAPE_INT)
#define REF SHAPE_BIT(SHAPE_INTREF)
#define BYT SHAPE_BIT(SHAPE_BYTES)
#define LIN SHAPE_BIT(SHAPE_LINGER)
#define PFD SHAPE_BIT(SHAPE_POLLFDS)
#define EPE SHAPE_BIT(SHAPE_EPOLL_EVENT)
#define MSG SHAPE_BIT(SHAPE_MSGHDR)
#define TWO SHAPE_BIT(SHAPE_INTPAIR)

static const struct {
	unsigned int shapes;
	const char *what;
} accepts[] = {
	[ARG_FD] = {INT, "an fd number"},
	[ARG_INT] = {INT, "a number or a symbol"},
	[ARG_DOMAIN] = {ELL | INT, "... or an address family"},
	[ARG_BUF_IN] = {ELL | NUL, "... or NULL"},
	[ARG_BUF_OUT] = {ELL | NUL, "... or NULL"},
	[ARG_ADDR_LOCAL] = {ELL | NUL | INT,
			    "..., NULL or an address family"},
	[ARG_ADDR_REMOTE] = {ELL | NUL | INT,
			     "..., NULL or an address family"},
	[ARG_ADDRLEN_IN] = {ELL | INT, "... or a number"},
	[ARG_ADDR_OUT] = {ELL | NUL, "... or NULL"},
	[ARG_ADDRLEN_OUT] = {ELL | NUL, "... or NULL"},
	[ARG_OPTVAL_IN] = {REF | BYT | LIN | NUL,
			   "[int], \"bytes\", {onoff=N, linger=N} or NULL"},
	[ARG_OPTLEN_IN] = {INT, "a number"},
	[ARG_OPTVAL_OUT] = {ELL | REF | LIN | NUL,
			    "..., [int], {onoff=N, linger=N} or NULL"},
	[ARG_OPTLEN_OUT] = {ELL | REF | NUL, "..., [number] or NULL"},
	[ARG_POLLFDS] = {PFD, "[{fd=N, events=E, revents=E}, ...]"},
	[ARG_EPOLL_EVENT_IN] = {EPE | NUL, "{events=E, fd=N} or NULL"},
	[ARG_EPOLL_EVENTS_OUT] = {EPE | ELL, "... or {events=E, fd=N}"},
	[ARG_PIPEFDS] = {TWO, "[fd, fd]"},
	[ARG_PATH] = {BYT, "a \"path\""},
	[ARG_OFFSET] = {REF | NUL, "[offset] or NULL"},
	[ARG_MSGHDR_IN] = {MSG, "{msg_name(...)=..., msg_iov(N)=[...], "
				"msg_flags=F}"},
	[ARG_MSGHDR_OUT] = {MSG, "{msg_name(...)=..., msg_iov(N)=[...], "
				 "msg_flags=F, msg_control=[...]}"},
};

#undef ELL
#undef NUL
#undef INT
#undef REF
#undef BYT
#undef LIN
#undef PFD
#undef EPE
#undef MSG
#undef TWO

/* A "..." buffer is ours to allocate, so its size must be sane. */
static int check_buffer_size(const struct prepared_call *pc, size_t i,
			     struct diag *d)
{
	const struct prepared_arg *size = &pc->arg[i + 1];

	if (pc->arg[i].shape != SHAPE_ELLIPSIS)
		return 0;
	if (size->num < 0)
		return diag_set(d, EXIT_USAGE, &size->loc,
				"buffer size %" PRId64 " is negative",
				size->num);
	if (size->num > SYSCALL_BUF_MAX)
		return diag_set(d, EXIT_USAGE, &size->loc,
				"buffer size %" PRId64
				" is too large (at most %d)",
				size->num, SYSCALL_BUF_MAX);
	return 0;
}

static int prepare_arg(struct prepared_call *pc, size_t i, const struct expr *e,
		       struct diag *d)
{
	struct prepared_arg *a = &pc->arg[i];

	a->kind = pc->def->kinds[i];
	a->loc = e->loc;
	a->text = callfmt_expr_dup(e);
	if (!a->text)
		return diag_set(d, EXIT_INTERNAL, &e->loc, "out of memory");
	if (classify(e, a, d) < 0)
		return -1;
	if (!(accepts[a->kind].shapes & SHAPE_BIT(a->shape)))
		return diag_set(d, EXIT_USAGE, &e->loc,
				"%s argument %zu must be %s", pc->name, i + 1,
				accepts[a->kind].what);
	if (a->kind == ARG_FD && (a->num < INT_MIN || a->num > INT_MAX))
		return diag_set(d, EXIT_USAGE, &e->loc,
				"fd %" PRId64 " is out of range", a->num);
	return 0;
}

static int prepare_args(struct prepared_call *pc,
			const struct syscall_spec *spec, struct diag *d)
{
	const struct syscall_def *def = pc->def;
	size_t n = spec->args.count;
	int rc = 0;

	if (n < def->min_args || n > def->max_args) {
		if (def->min_args == def->max_args)
			return diag_set(d, EXIT_USAGE, &spec->name_loc,
					"%s takes %u argument%s, got %zu",
					def->name, def->min_args,
					def->min_args == 1 ? "" : "s", n);
		return diag_set(d, EXIT_USAGE, &spec->name_loc,
				"%s takes %u or %u arguments, got %zu",
				def->name, def->min_args, def->max_args, n);
	}
	pc->argc = n;
	/* Every argument, so that --check hears of each bad one; the
	 * first error is still the one a run reports. */
	for (size_t i = 0; i < n; i++)
		if (prepare_arg(pc, i, spec->args.items[i], d) < 0)
			rc = -1;
	if (rc)
		return -1;
	for (size_t i = 0; i < n; i++) {
		enum arg_kind k = pc->arg[i].kind;

		if ((k == ARG_BUF_IN || k == ARG_BUF_OUT) &&
		    check_buffer_size(pc, i, d) < 0)
			return -1;
	}
	return 0;
}

static int prepare_result(struct prepared_call *pc,
			  const struct syscall_spec *spec, struct diag *d)
{
	const struct expr *r = spec->result;

	pc->result_any = !r || r->kind == EXPR_ELLIPSIS;
	if (r)
		pc->result_loc = r->loc;
	pc->result_text = r ? callfmt_expr_dup(r) : strdup("...");
	if (!pc->result_text)
		return diag_set(d, EXIT_INTERNAL, &spec->name_loc,
				"out of memory");
	if (!pc->result_any) {
		if (!syscall_is_const(r))
			return diag_set(d, EXIT_USAGE, &r->loc,
					"the result must be ..., a number or "
					"a symbol");
		if (syscall_const_eval(r, &pc->result, d) < 0)
			return -1;
	}
	if (pc->def->returns_fd &&
	    (pc->result_any || pc->result < -1 || pc->result > INT_MAX))
		return diag_set(d, EXIT_USAGE, r ? &r->loc : &spec->name_loc,
				"the result of %s must be an fd number or -1",
				pc->name);
	return 0;
}

static int prepare_errno(struct prepared_call *pc,
			 const struct syscall_spec *spec, struct diag *d)
{
	if (!spec->errno_name)
		return 0;
	if (!errno_lookup(spec->errno_name, &pc->err))
		return unknown_word(d, &spec->errno_loc, "errno",
				    spec->errno_name, true);
	if (pc->result_any || pc->result != -1)
		return diag_set(d, EXIT_USAGE, &spec->errno_loc,
				"an errno goes with a result of -1");
	pc->errno_name = strdup(spec->errno_name);
	pc->errno_loc = spec->errno_loc;
	if (!pc->errno_name)
		return diag_set(d, EXIT_INTERNAL, &spec->errno_loc,
				"out of memory");
	return 0;
}

/* The expected call in script syntax, kept for every later diagnostic. */
static int prepare_text(struct prepared_call *pc, struct diag *d)
{
	char buf[DIAG_TEXT_MAX];
	struct strbuf f;

	strbuf_init(&f, buf, sizeof(buf));
	strbuf_printf(&f, "%s(", pc->name);
	for (size_t i = 0; i < pc->argc; i++)
		strbuf_printf(&f, "%s%s", i ? ", " : "", pc->arg[i].text);
	strbuf_printf(&f, ") = %s", pc->result_text);
	if (pc->errno_name)
		strbuf_printf(&f, " %s", pc->errno_name);
	pc->text = strdup(buf);
	if (!pc->text)
		return diag_set(d, EXIT_INTERNAL, &pc->name_loc,
				"out of memory");
	return 0;
}

/* Every call name a script may write, the scheduler's own included. */
static const char *suggest_call(const char *name)
{
	static const char *const scheduler_calls[] = {
		"tcp_state", "tcp_states", NULL,
	};
	struct suggest s;

	suggest_init(&s, name);
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		for (const struct syscall_def *c = families[f]; c->name; c++)
			suggest_offer(&s, c->name);
	for (size_t i = 0; not_yet[i]; i++)
		suggest_offer(&s, not_yet[i]);
	for (size_t i = 0; scheduler_calls[i]; i++)
		suggest_offer(&s, scheduler_calls[i]);
	return suggest_result(&s);
}

static const struct syscall_def *lookup(const struct syscall_spec *spec,
					struct diag *d)
{
	const struct syscall_def *def = find_def(spec->name);
	const char *hint;

	if (def)
		return def;
	if (is_not_yet(spec->name))
		diag_set(d, EXIT_USAGE, &spec->name_loc,
			 "not supported yet: %s", spec->name);
	else if ((hint = suggest_call(spec->name)))
		diag_set(d, EXIT_USAGE, &spec->name_loc,
			 "unknown system call '%s'; did you mean %s?",
			 spec->name, hint);
	else
		diag_set(d, EXIT_USAGE, &spec->name_loc,
			 "unknown system call '%s'", spec->name);
	return NULL;
}

int syscall_prepare(const struct syscall_spec *spec, struct prepared_call **out,
		    struct diag *d)
{
	const struct syscall_def *def = lookup(spec, d);
	struct prepared_call *pc;

	*out = NULL;
	if (!def)
		return -1;
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return diag_set(d, EXIT_INTERNAL, &spec->name_loc,
				"out of memory");
	pc->def = def;
	pc->name_loc = spec->name_loc;
	pc->name = strdup(def->name);
	if (!pc->name)
		diag_set(d, EXIT_INTERNAL, &spec->name_loc, "out of memory");
	/* The result is checked even after a bad argument (for --check);
	 * the errno only after a good result, which it depends on. */
	if (!pc->name ||
	    (prepare_args(pc, spec, d) < 0) |
		    (prepare_result(pc, spec, d) < 0 ||
		     prepare_errno(pc, spec, d) < 0) ||
	    (def->prepare && def->prepare(pc, d) < 0) ||
	    prepare_text(pc, d) < 0) {
		syscall_free(pc);
		return -1;
	}
	*out = pc;
	return 0;
}

void syscall_free(struct prepared_call *pc)
{
	if (!pc)
		return;
	for (size_t i = 0; i < SYSCALL_ARGS_MAX; i++) {
		free(pc->arg[i].text);
		free(pc->arg[i].bytes);
		free(pc->arg[i].evs);
		msg_spec_free(pc->arg[i].msg);
	}
	free(pc->name);
	free(pc->result_text);
	free(pc->errno_name);
	free(pc->text);
	free(pc->optbuf);
	free(pc);
}

const char *syscall_name(const struct prepared_call *pc)
{
	return pc->name;
}

const char *syscall_text(const struct prepared_call *pc)
{
	return pc->text;
}

int syscall_script_fd(const struct prepared_call *pc)
{
	if (!pc->def->returns_fd || pc->result_any || pc->result < 0)
		return -1;
	return (int)pc->result;
}

int syscall_fd_arg(const struct prepared_call *pc)
{
	if (pc->argc == 0 || pc->arg[0].kind != ARG_FD)
		return -1;
	return (int)pc->arg[0].num;
}

int syscall_int_arg(const struct prepared_call *pc, int i, long *value)
{
	if (i < 0 || (size_t)i >= pc->argc || pc->arg[i].kind != ARG_INT)
		return -1;
	*value = pc->arg[i].num;
	return 0;
}
