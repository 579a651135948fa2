/* Unit tests of src/syscalls: the semantic checks with their exact
 * messages, the symbols, the formatter, and real calls on 127.0.0.1. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h> /* cmocka.h needs these three first */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "syscalls/syscalls.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* --- building ASTs by hand (the parser is not there yet) ------------------ */

/* Every allocation of a test goes here and is freed in teardown. */
static void *arena[4096];
static size_t arena_count;
static int next_col;

static void *alloc(size_t size)
{
	void *p = calloc(1, size);

	assert_non_null(p);
	assert_true(arena_count < sizeof(arena) / sizeof(arena[0]));
	arena[arena_count++] = p;
	return p;
}

static char *dup_text(const char *s)
{
	char *p = alloc(strlen(s) + 1);

	memcpy(p, s, strlen(s) + 1);
	return p;
}

/* Each node gets its own column, so tests can tell where an error points. */
static struct expr *node(enum expr_kind kind)
{
	struct expr *e = alloc(sizeof(*e));

	e->kind = kind;
	e->loc.first_line = e->loc.last_line = 1;
	e->loc.first_col = ++next_col;
	e->loc.last_col = next_col + 1;
	return e;
}

static struct expr *e_int(int64_t n)
{
	struct expr *e = node(EXPR_INT);

	e->u.num = n;
	return e;
}

static struct expr *e_word(const char *w)
{
	struct expr *e = node(EXPR_WORD);

	e->u.text = dup_text(w);
	return e;
}

/* A string of len bytes, which may hold NULs, as the parser makes it. */
static struct expr *e_bytes(const char *s, size_t len)
{
	struct expr *e = node(EXPR_STRING);

	e->u.text = alloc(len + 1);
	memcpy(e->u.text, s, len);
	e->len = len;
	return e;
}

static struct expr *e_str(const char *s)
{
	return e_bytes(s, strlen(s));
}

static struct expr *e_ell(void)
{
	return node(EXPR_ELLIPSIS);
}

static struct expr *e_or(struct expr *l, struct expr *r)
{
	struct expr *e = node(EXPR_BINARY);

	e->u.binary.op = '|';
	e->u.binary.lhs = l;
	e->u.binary.rhs = r;
	return e;
}

static void fill_list(struct expr_list *l, size_t n, va_list ap)
{
	l->count = n;
	l->items = alloc((n ? n : 1) * sizeof(*l->items));
	for (size_t i = 0; i < n; i++)
		l->items[i] = va_arg(ap, struct expr *);
}

static struct expr *e_list(size_t n, ...)
{
	struct expr *e = node(EXPR_LIST);
	va_list ap;

	va_start(ap, n);
	fill_list(&e->u.items, n, ap);
	va_end(ap);
	return e;
}

static struct expr *e_struct(size_t n, ...)
{
	struct expr *e = node(EXPR_STRUCT);
	va_list ap;

	va_start(ap, n);
	fill_list(&e->u.items, n, ap);
	va_end(ap);
	return e;
}

static struct expr *e_field(const char *name, struct expr *index,
			    struct expr *value)
{
	struct expr *e = node(EXPR_FIELD);

	e->u.field.name = dup_text(name);
	e->u.field.index = index;
	e->u.field.value = value;
	return e;
}

static struct expr *e_call(const char *name, size_t n, ...)
{
	struct expr *e = node(EXPR_CALL);
	va_list ap;

	e->u.call.name = dup_text(name);
	va_start(ap, n);
	fill_list(&e->u.call.args, n, ap);
	va_end(ap);
	return e;
}

/* name(args...) = result [errno] */
static struct syscall_spec *call(const char *name, struct expr *result,
				 const char *err, size_t n, ...)
{
	struct syscall_spec *s = alloc(sizeof(*s));
	va_list ap;

	s->name = dup_text(name);
	s->name_loc.first_line = s->name_loc.last_line = 1;
	s->name_loc.first_col = ++next_col;
	s->name_loc.last_col = next_col + (int)strlen(name);
	va_start(ap, n);
	fill_list(&s->args, n, ap);
	va_end(ap);
	s->result = result;
	if (err) {
		s->errno_name = dup_text(err);
		s->errno_loc.first_line = s->errno_loc.last_line = 1;
		s->errno_loc.first_col = ++next_col;
		s->errno_loc.last_col = next_col + (int)strlen(err);
	}
	return s;
}

static int teardown_arena(void **state)
{
	(void)state;
	while (arena_count > 0)
		free(arena[--arena_count]);
	next_col = 0;
	return 0;
}

static bool same_loc(const struct src_loc *a, const struct src_loc *b)
{
	return a->first_line == b->first_line && a->first_col == b->first_col;
}

/* Prepare a spec that must be rejected; returns the diag. */
static struct diag reject(const struct syscall_spec *s)
{
	struct prepared_call *pc = (struct prepared_call *)1;
	struct diag d;

	diag_clear(&d);
	assert_int_equal(syscall_prepare(s, &pc, &d), -1);
	assert_null(pc);
	return d;
}

/* --- the semantic pass ---------------------------------------------------- */

static void test_unknown_call(void **state)
{
	struct syscall_spec *s =
		call("frobnicate", e_int(0), NULL, 1, e_int(3));
	struct diag d = reject(s);

	(void)state;
	assert_int_equal(d.status, EXIT_USAGE);
	assert_string_equal(d.message, "unknown system call 'frobnicate'");
	assert_true(same_loc(&d.loc, &s->name_loc));
}

static void test_not_supported_yet(void **state)
{
	static const char *const names[] = {
		"readv", "writev",
	};
	char want[64];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct syscall_spec *s = call(names[i], e_int(0), NULL, 0);
		struct diag d = reject(s);

		snprintf(want, sizeof(want), "not supported yet: %s", names[i]);
		assert_int_equal(d.status, EXIT_USAGE);
		assert_string_equal(d.message, want);
		assert_true(same_loc(&d.loc, &s->name_loc));
	}
}

static void test_unknown_symbol(void **state)
{
	struct expr *bad = e_word("SO_FOO");
	struct expr *bad_in_list = e_word("SO_BAR");
	struct diag d;

	(void)state;
	d = reject(call("setsockopt", e_int(0), NULL, 5, e_int(3),
			e_word("SOL_SOCKET"), bad, e_list(1, e_int(1)),
			e_int(4)));
	assert_int_equal(d.status, EXIT_USAGE);
	assert_string_equal(d.message, "unknown symbol 'SO_FOO'");
	assert_true(same_loc(&d.loc, &bad->loc));

	d = reject(call("setsockopt", e_int(0), NULL, 5, e_int(3),
			e_word("SOL_SOCKET"), e_word("SO_REUSEADDR"),
			e_list(1, e_or(e_word("O_RDWR"), bad_in_list)),
			e_int(4)));
	assert_string_equal(d.message, "unknown symbol 'SO_BAR'");
	assert_true(same_loc(&d.loc, &bad_in_list->loc));
}

static void test_unknown_errno(void **state)
{
	struct syscall_spec *s = call("close", e_int(-1), "EFOO", 1, e_int(3));
	struct diag d = reject(s);

	(void)state;
	assert_string_equal(d.message, "unknown errno 'EFOO'");
	assert_true(same_loc(&d.loc, &s->errno_loc));

	s = call("close", e_int(0), "EBADF", 1, e_int(3));
	d = reject(s);
	assert_string_equal(d.message, "an errno goes with a result of -1");
	assert_true(same_loc(&d.loc, &s->errno_loc));
}

static void test_wrong_arg_count(void **state)
{
	struct syscall_spec *s;
	struct diag d;

	(void)state;
	s = call("write", e_int(10), NULL, 2, e_int(4), e_ell());
	d = reject(s);
	assert_int_equal(d.status, EXIT_USAGE);
	assert_string_equal(d.message, "write takes 3 arguments, got 2");
	assert_true(same_loc(&d.loc, &s->name_loc));

	d = reject(call("close", e_int(0), NULL, 0));
	assert_string_equal(d.message, "close takes 1 argument, got 0");

	d = reject(call("fcntl", e_int(0), NULL, 1, e_int(3)));
	assert_string_equal(d.message, "fcntl takes 2 or 3 arguments, got 1");

	d = reject(
		call("fcntl", e_int(0), NULL, 2, e_int(3), e_word("F_SETFL")));
	assert_string_equal(d.message,
			    "fcntl F_SETFL takes 3 arguments, got 2");
}

static void test_bad_shapes(void **state)
{
	struct expr *a;
	struct diag d;

	(void)state;
	a = e_int(5);
	d = reject(call("write", e_int(10), NULL, 3, e_int(4), a, e_int(10)));
	assert_string_equal(d.message, "write argument 2 must be ... or NULL");
	assert_true(same_loc(&d.loc, &a->loc));

	a = e_int(1);
	d = reject(call("setsockopt", e_int(0), NULL, 5, e_int(3),
			e_word("SOL_SOCKET"), e_word("SO_REUSEADDR"), a,
			e_int(4)));
	assert_string_equal(d.message,
			    "setsockopt argument 4 must be [int], \"bytes\", "
			    "{onoff=N, linger=N} or NULL");
	assert_true(same_loc(&d.loc, &a->loc));

	a = e_ell();
	d = reject(call("close", e_int(0), NULL, 1, a));
	assert_string_equal(d.message, "close argument 1 must be an fd number");

	a = e_int(100000000);
	d = reject(call("read", e_int(0), NULL, 3, e_int(4), e_ell(), a));
	assert_string_equal(d.message,
			    "buffer size 100000000 is too large (at most "
			    "67108864)");
	assert_true(same_loc(&d.loc, &a->loc));

	a = e_ell();
	d = reject(call("socket", a, NULL, 3, e_ell(), e_word("SOCK_STREAM"),
			e_word("IPPROTO_TCP")));
	assert_string_equal(d.message,
			    "the result of socket must be an fd number or -1");
	assert_true(same_loc(&d.loc, &a->loc));

	a = e_word("F_DUPFD");
	d = reject(call("fcntl", e_int(4), NULL, 3, e_int(3), a, e_int(0)));
	assert_string_equal(d.message, "not supported yet: fcntl F_DUPFD");
	assert_true(same_loc(&d.loc, &a->loc));

	a = e_list(1, e_int(4096));
	d = reject(call("getsockopt", e_int(0), NULL, 5, e_int(3),
			e_word("SOL_TCP"), e_word("TCP_INFO"), e_ell(), a));
	assert_string_equal(d.message,
			    "option length 4096 is out of range (0 to 512)");
}

/* Prepare a spec that must be accepted. */
static struct prepared_call *accept_spec(const struct syscall_spec *s)
{
	struct prepared_call *pc;
	struct diag d;

	diag_clear(&d);
	if (syscall_prepare(s, &pc, &d) < 0)
		fail_msg("prepare: %s", d.message);
	return pc;
}

static void test_prepare_ok(void **state)
{
	struct prepared_call *pc;

	(void)state;
	pc = accept_spec(call("connect", e_int(-1), "EINPROGRESS", 3, e_int(3),
			      e_ell(), e_ell()));
	assert_string_equal(syscall_name(pc), "connect");
	assert_string_equal(syscall_text(pc),
			    "connect(3, ..., ...) = -1 EINPROGRESS");
	syscall_free(pc);

	/* Shapes the corpus uses. */
	syscall_free(accept_spec(call(
		"setsockopt", e_int(0), NULL, 5, e_int(3), e_word("SOL_SOCKET"),
		e_word("SO_TIMESTAMPING"),
		e_list(1, e_or(e_word("SOF_TIMESTAMPING_TX_SCHED"),
			       e_word("SOF_TIMESTAMPING_OPT_ID"))),
		e_int(4))));
	syscall_free(accept_spec(call("setsockopt", e_int(-1), NULL, 5,
				      e_int(3), e_word("SOL_TCP"),
				      e_word("TCP_FASTOPEN_KEY"), e_str(""),
				      e_int(3))));
	syscall_free(accept_spec(call("sendto", e_int(-1), "EOPNOTSUPP", 6,
				      e_int(3), e_ell(), e_int(0),
				      e_word("MSG_FASTOPEN"),
				      e_word("AF_UNSPEC"), e_ell())));
	syscall_free(accept_spec(call("read", e_int(-1), "EFAULT", 3, e_int(4),
				      e_word("NULL"), e_int(1000))));
	syscall_free(accept_spec(call("fcntl", e_int(2), NULL, 2, e_int(3),
				      e_word("F_GETFL"))));
	syscall_free(accept_spec(call("getsockopt", e_int(0), NULL, 5,
				      e_int(3), e_word("SOL_SOCKET"),
				      e_word("SO_ERROR"),
				      e_list(1, e_word("ECONNREFUSED")),
				      e_list(1, e_int(4)))));
}

/* --- symbols -------------------------------------------------------------- */

/* Every constant name the corpus writes in a call. */
static const char *const corpus_symbols[] = {
	"IPPROTO_TCP", "SOCK_STREAM", "SOL_SOCKET", "SO_REUSEADDR",
	"O_RDWR", "F_SETFL", "O_NONBLOCK", "MSG_FASTOPEN", "SOL_TCP",
	"MSG_ERRQUEUE", "EINPROGRESS", "EPOLLOUT",
	"TCP_FASTOPEN_CONNECT", "MSG_ZEROCOPY", "POLLOUT", "MSG_EOR",
	"SO_SNDBUF", "SO_EE_ORIGIN_ZEROCOPY",
	"SO_EE_CODE_ZEROCOPY_COPIED", "SO_ZEROCOPY", "MSG_MORE",
	"SO_EE_ORIGIN_TIMESTAMPING", "SCM_TIMESTAMPING", "POLLIN",
	"MSG_TRUNC", "ENOMSG", "MSG_DONTWAIT", "TCP_NOTSENT_LOWAT",
	"TCP_FASTOPEN", "POLLERR", "EPOLLIN", "EPOLLET", "EAGAIN",
	"TCP_MAXSEG", "EPOLL_CTL_ADD", "EPIPE", "ECONNRESET",
	"TCP_CM_INQ", "SIOCINQ", "F_GETFL", "EPOLLERR", "EFAULT",
	"TCP_NODELAY", "MSG_NOSIGNAL", "ETIMEDOUT", "EALREADY",
	"TCP_SYNCNT", "TCP_FASTOPEN_KEY", "SO_ERROR", "SOL_IP",
	"SCM_TSTAMP_SND", "SCM_TSTAMP_SCHED", "SCM_TSTAMP_ACK",
	"POLLHUP", "ECONNREFUSED", "TCP_CORK", "SO_TIMESTAMPING",
	"SOF_TIMESTAMPING_TX_SOFTWARE", "SOF_TIMESTAMPING_TX_SCHED",
	"SOF_TIMESTAMPING_TX_ACK", "SOF_TIMESTAMPING_SOFTWARE",
	"SOF_TIMESTAMPING_OPT_ID", "SHUT_RDWR", "EOPNOTSUPP",
	"TCP_USER_TIMEOUT", "TCP_INQ", "SHUT_WR", "SHUT_RD",
	"POLLRDHUP", "IP_TOS", "EPOLL_CTL_MOD", "EPOLLONESHOT",
	"EISCONN", "EHOSTUNREACH", "TCP_KEEPIDLE", "SO_MARK",
	"SO_KEEPALIVE", "O_RDONLY", "IP_PMTUDISC_DONT",
	"IP_MTU_DISCOVER", "IP_FREEBIND", "EPOLLEXCLUSIVE", "AF_UNSPEC",
	"SOL_IPV6", "IP_RECVERR", "IPV6_RECVERR",
};
#define N_CORPUS_SYMBOLS (sizeof(corpus_symbols) / sizeof(corpus_symbols[0]))

static void test_symbols(void **state)
{
	size_t count;
	const struct symbol *t = symbol_table(&count);
	int64_t v;
	int e;

	(void)state;
	for (size_t i = 0; i < N_CORPUS_SYMBOLS; i++) {
		if (!symbol_lookup(corpus_symbols[i], &v))
			fail_msg("missing symbol %s", corpus_symbols[i]);
	}
	assert_true(symbol_lookup("SO_REUSEADDR", &v));
	assert_int_equal(v, SO_REUSEADDR);
	assert_true(symbol_lookup("MSG_FASTOPEN", &v));
	assert_int_equal(v, MSG_FASTOPEN);
	assert_true(symbol_lookup("O_NONBLOCK", &v));
	assert_int_equal(v, O_NONBLOCK);
	assert_true(symbol_lookup("TCP_NOTSENT_LOWAT", &v));
	assert_int_equal(v, TCP_NOTSENT_LOWAT);
	assert_true(symbol_lookup("EINPROGRESS", &v));
	assert_int_equal(v, EINPROGRESS);
	assert_false(symbol_lookup("SO_FOO", &v));
	assert_false(symbol_lookup("NULL", &v));
	assert_true(errno_lookup("EWOULDBLOCK", &e));
	assert_int_equal(e, EAGAIN);
	assert_false(errno_lookup("SO_ERROR", &e));
	assert_string_equal(errno_name(EAGAIN), "EAGAIN");
	assert_string_equal(errno_name(EOPNOTSUPP), "EOPNOTSUPP");
	assert_string_equal(errno_name(EDEADLK), "EDEADLK");
	assert_null(errno_name(4000));
	/* Every errno value Linux defines has a name (41 and 58 are unused). */
	for (int i = 1; i <= EHWPOISON; i++)
		if (i != 41 && i != 58 && !errno_name(i))
			fail_msg("no name for errno %d", i);
	/* No name twice. */
	for (size_t i = 0; i < count; i++)
		for (size_t j = i + 1; j < count; j++)
			if (strcmp(t[i].name, t[j].name) == 0)
				fail_msg("%s is in the table twice", t[i].name);
	assert_true(count > 400);
}

/* --- the formatter -------------------------------------------------------- */

static void assert_format(const struct expr *e, const char *want)
{
	char buf[256];

	assert_int_equal(syscall_format_expr(buf, sizeof(buf), e),
			 strlen(want));
	assert_string_equal(buf, want);
}

static void test_format(void **state)
{
	const struct syscall_spec *s;
	char buf[16], big[128];

	(void)state;
	assert_format(e_ell(), "...");
	assert_format(e_int(42), "42");
	assert_format(e_int(-1), "-1");
	assert_format(e_word("SOL_TCP"), "SOL_TCP");
	assert_format(e_or(e_word("O_RDWR"), e_word("O_NONBLOCK")),
		      "O_RDWR|O_NONBLOCK");
	assert_format(e_list(1, e_int(1)), "[1]");
	assert_format(e_list(2, e_word("a"), e_int(2)), "[a, 2]");
	assert_format(e_struct(2, e_field("onoff", NULL, e_int(1)),
			       e_field("linger", NULL, e_int(0))),
		      "{onoff=1, linger=0}");
	assert_format(e_field("msg_iov", e_int(1),
			      e_list(1, e_struct(2, e_ell(), e_int(40)))),
		      "msg_iov(1)=[{..., 40}]");
	assert_format(e_str("a\"b\\c\x01\xf7\n"),
		      "\"a\\\"b\\\\c\\x01\\xf7\\n\"");
	assert_format(e_bytes("a\0b", 3), "\"a\\x00b\"");
	assert_format(e_call("htons", 1, e_int(8080)), "htons(8080)");
	assert_format(e_call("inet_addr", 1, e_str("192.0.2.1")),
		      "inet_addr(\"192.0.2.1\")");

	/* Truncation keeps the count, like snprintf. */
	assert_int_equal(syscall_format_expr(buf, 4, e_word("SOL_SOCKET")), 10);
	assert_string_equal(buf, "SOL");

	s = call("close", e_int(0), NULL, 1, e_int(3));
	assert_int_equal(syscall_format_call(buf, sizeof(buf), s), 12);
	assert_string_equal(buf, "close(3) = 0");
	s = call("connect", e_int(-1), "EINPROGRESS", 3, e_int(3), e_ell(),
		 e_ell());
	syscall_format_call(big, sizeof(big), s);
	assert_string_equal(big, "connect(3, ..., ...) = -1 EINPROGRESS");
}

/* --- real calls on 127.0.0.1 ---------------------------------------------- */

struct world {
	struct syscall_env env;
};

/* A port nobody listens on right now, for "..." in bind and connect. */
static uint16_t free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static int setup_world(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct sockaddr_in a = {.sin_family = AF_INET};

	if (!w)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(free_port());
	w->env.family = AF_INET;
	memcpy(&w->env.local, &a, sizeof(a));
	memcpy(&w->env.remote, &a, sizeof(a));
	w->env.local_len = w->env.remote_len = sizeof(a);
	w->env.fds = fdmap_new();
	*state = w;
	return w->env.fds ? 0 : -1;
}

static int teardown_world(void **state)
{
	struct world *w = *state;

	fdmap_close_all(w->env.fds);
	fdmap_free(w->env.fds);
	free(w);
	return teardown_arena(state);
}

/* Prepare, run and check one call; returns syscall_check's answer. */
static int run(struct world *w, const struct syscall_spec *s, struct diag *d)
{
	struct prepared_call *pc;
	struct call_outcome out;
	int rc;

	diag_clear(d);
	if (syscall_prepare(s, &pc, d) < 0)
		fail_msg("prepare: %s", d->message);
	syscall_exec(pc, &w->env, &out);
	rc = syscall_check(pc, &out, &w->env, d);
	syscall_free(pc);
	return rc;
}

static void run_ok(struct world *w, const struct syscall_spec *s)
{
	struct diag d;

	if (run(w, s, &d) < 0)
		fail_msg("%s\n  expected: %s\n  actual:   %s", d.message,
			 d.expected, d.actual);
}

static struct syscall_spec *tcp_socket(int script_fd)
{
	return call("socket", e_int(script_fd), NULL, 3, e_ell(),
		    e_word("SOCK_STREAM"), e_word("IPPROTO_TCP"));
}

/* Listener 3, client 4, accepted 5; the live fds are all different. */
static void connect_pair(struct world *w)
{
	run_ok(w, tcp_socket(3));
	run_ok(w, call("setsockopt", e_int(0), NULL, 5, e_int(3),
		       e_word("SOL_SOCKET"), e_word("SO_REUSEADDR"),
		       e_list(1, e_int(1)), e_int(4)));
	run_ok(w, call("bind", e_int(0), NULL, 3, e_int(3), e_ell(), e_ell()));
	run_ok(w, call("listen", e_int(0), NULL, 2, e_int(3), e_int(1)));
	run_ok(w, tcp_socket(4));
	run_ok(w,
	       call("connect", e_int(0), NULL, 3, e_int(4), e_ell(), e_ell()));
	run_ok(w,
	       call("accept", e_int(5), NULL, 3, e_int(3), e_ell(), e_ell()));
}

static void test_socket_fd_mapping(void **state)
{
	struct world *w = *state;
	int live;

	run_ok(w, tcp_socket(50));
	live = fdmap_live(w->env.fds, 50);
	assert_true(live >= 0);
	assert_int_not_equal(live, 50);
	assert_int_equal(fcntl(live, F_GETFD), 0); /* really open */
	run_ok(w, call("close", e_int(0), NULL, 1, e_int(50)));
	assert_int_equal(fdmap_live(w->env.fds, 50), -1);
	assert_int_equal(fcntl(live, F_GETFD), -1);
	assert_int_equal(fdmap_count(w->env.fds), 0);
}

/* fastopen/server/opt34/pure-syn-data.pkt says "accept(...) = 4" while its
 * first fd 4 is still open: the new fd shadows the old one, which comes
 * back once the new one is closed and is closed at the end. */
static void test_fd_number_reused(void **state)
{
	struct world *w = *state;
	int first, second;

	run_ok(w, tcp_socket(3));
	first = fdmap_live(w->env.fds, 3);
	run_ok(w, tcp_socket(3));
	second = fdmap_live(w->env.fds, 3);
	assert_int_not_equal(first, second);
	assert_int_equal(fdmap_count(w->env.fds), 2);
	run_ok(w, call("close", e_int(0), NULL, 1, e_int(3)));
	assert_int_equal(fcntl(second, F_GETFD), -1);
	assert_int_equal(fdmap_live(w->env.fds, 3), first);
	run_ok(w, tcp_socket(3));
	fdmap_close_all(w->env.fds);
	assert_int_equal(fcntl(first, F_GETFD), -1);
	assert_int_equal(fdmap_count(w->env.fds), 0);
}

static void test_unknown_fd(void **state)
{
	struct world *w = *state;
	struct expr *fd = e_int(7);
	struct diag d;

	assert_int_equal(run(w, call("close", e_int(0), NULL, 1, fd), &d), -1);
	assert_int_equal(d.status, EXIT_USAGE);
	assert_string_equal(d.message, "unknown fd 7");
	assert_true(same_loc(&d.loc, &fd->loc));
}

static void test_connection_and_sizes(void **state)
{
	struct world *w = *state;
	struct syscall_spec *s;
	struct diag d;

	connect_pair(w);
	assert_int_equal(fdmap_count(w->env.fds), 3);
	run_ok(w, call("write", e_int(1000), NULL, 3, e_int(4), e_ell(),
		       e_int(1000)));
	run_ok(w, call("read", e_int(1000), NULL, 3, e_int(5), e_ell(),
		       e_int(1000000)));
	run_ok(w, call("send", e_int(10), NULL, 4, e_int(5), e_ell(), e_int(10),
		       e_word("MSG_MORE")));
	run_ok(w, call("sendto", e_int(20), NULL, 6, e_int(5), e_ell(),
		       e_int(20), e_int(0), e_ell(), e_ell()));
	run_ok(w, call("recv", e_int(30), NULL, 4, e_int(4), e_ell(), e_int(30),
		       e_word("MSG_WAITALL")));
	/* NULL reaches the kernel as NULL; valgrind rightly flags the call. */
	if (!RUNNING_ON_VALGRIND)
		run_ok(w, call("write", e_int(-1), "EFAULT", 3, e_int(4),
			       e_word("NULL"), e_int(10)));

	/* A short result, reported at the result. */
	s = call("write", e_int(11), NULL, 3, e_int(4), e_ell(), e_int(10));
	assert_int_equal(run(w, s, &d), -1);
	assert_int_equal(d.status, EXIT_FAIL);
	assert_string_equal(d.message, "write returned 10, expected 11");
	assert_true(same_loc(&d.loc, &s->result->loc));
	assert_string_equal(d.expected, "write(4, ..., 10) = 11");
	assert_string_equal(d.actual, "write(4, ..., 10) = 10");

	run_ok(w, call("recvfrom", e_int(10), NULL, 6, e_int(5), e_ell(),
		       e_int(100), e_int(0), e_ell(), e_ell()));
	run_ok(w, call("shutdown", e_int(0), NULL, 2, e_int(4),
		       e_word("SHUT_WR")));
	run_ok(w,
	       call("read", e_int(0), NULL, 3, e_int(5), e_ell(), e_int(100)));
}

static void test_errno_diagnostics(void **state)
{
	struct world *w = *state;
	struct syscall_spec *s;
	struct diag d;

	/* Nobody listens on the port yet: refused. */
	run_ok(w, tcp_socket(3));
	s = call("connect", e_int(-1), "EINPROGRESS", 3, e_int(3), e_ell(),
		 e_ell());
	assert_int_equal(run(w, s, &d), -1);
	assert_int_equal(d.status, EXIT_FAIL);
	assert_string_equal(d.message,
			    "connect failed with ECONNREFUSED (Connection "
			    "refused), expected EINPROGRESS");
	assert_true(same_loc(&d.loc, &s->errno_loc));
	assert_string_equal(d.expected,
			    "connect(3, ..., ...) = -1 EINPROGRESS");
	assert_string_equal(d.actual, "connect(3, ..., ...) = -1 ECONNREFUSED "
				      "(Connection refused)");

	run_ok(w, tcp_socket(4));
	s = call("connect", e_int(0), NULL, 3, e_int(4), e_ell(), e_ell());
	assert_int_equal(run(w, s, &d), -1);
	assert_string_equal(d.message,
			    "connect returned -1 ECONNREFUSED (Connection "
			    "refused), expected 0");
	assert_string_equal(d.expected, "connect(4, ..., ...) = 0");
	assert_string_equal(d.actual, "connect(4, ..., ...) = -1 ECONNREFUSED "
				      "(Connection refused)");

	/* -1 with no errno named: any errno passes. */
	run_ok(w, tcp_socket(6));
	run_ok(w,
	       call("connect", e_int(-1), NULL, 3, e_int(6), e_ell(), e_ell()));

	run_ok(w, call("bind", e_int(0), NULL, 3, e_int(3), e_ell(), e_ell()));
	s = call("listen", e_int(-1), "EINPROGRESS", 2, e_int(3), e_int(1));
	assert_int_equal(run(w, s, &d), -1);
	assert_string_equal(d.message,
			    "listen returned 0, expected -1 EINPROGRESS");
	assert_string_equal(d.expected, "listen(3, 1) = -1 EINPROGRESS");
	assert_string_equal(d.actual, "listen(3, 1) = 0");
}

static void test_eagain_and_fcntl(void **state)
{
	struct world *w = *state;
	struct syscall_spec *s;
	struct diag d;

	connect_pair(w);
	run_ok(w, call("fcntl", e_int(O_RDWR), NULL, 2, e_int(5),
		       e_word("F_GETFL")));
	run_ok(w, call("fcntl", e_int(0), NULL, 3, e_int(5), e_word("F_SETFL"),
		       e_or(e_word("O_RDWR"), e_word("O_NONBLOCK"))));
	run_ok(w, call("fcntl", e_or(e_word("O_RDWR"), e_word("O_NONBLOCK")),
		       NULL, 2, e_int(5), e_word("F_GETFL")));
	assert_true(fcntl(fdmap_live(w->env.fds, 5), F_GETFL) & O_NONBLOCK);
	run_ok(w, call("read", e_int(-1), "EWOULDBLOCK", 3, e_int(5), e_ell(),
		       e_int(100)));

	s = call("read", e_int(-1), "EINPROGRESS", 3, e_int(5), e_ell(),
		 e_int(100));
	assert_int_equal(run(w, s, &d), -1);
	assert_string_equal(d.message,
			    "read failed with EAGAIN (Resource temporarily "
			    "unavailable), expected EINPROGRESS");
	assert_string_equal(d.actual, "read(5, ..., 100) = -1 EAGAIN "
				      "(Resource temporarily unavailable)");

	s = call("accept", e_int(-1), "EAGAIN", 3, e_int(3), e_ell(), e_ell());
	run_ok(w, call("fcntl", e_int(0), NULL, 3, e_int(3), e_word("F_SETFL"),
		       e_word("O_NONBLOCK")));
	run_ok(w, s);
	run_ok(w, call("fcntl", e_int(0), NULL, 3, e_int(5), e_word("F_SETFL"),
		       e_word("O_RDWR")));
	assert_false(fcntl(fdmap_live(w->env.fds, 5), F_GETFL) & O_NONBLOCK);
}

static struct syscall_spec *getsockopt_call(int fd, const char *level,
					    const char *name, struct expr *val,
					    struct expr *len)
{
	return call("getsockopt", e_int(0), NULL, 5, e_int(fd), e_word(level),
		    e_word(name), val, len);
}

static void test_sockopts(void **state)
{
	struct world *w = *state;
	struct syscall_spec *s;
	struct diag d;

	run_ok(w, tcp_socket(3));
	run_ok(w, call("setsockopt", e_int(0), NULL, 5, e_int(3),
		       e_word("SOL_SOCKET"), e_word("SO_REUSEADDR"),
		       e_list(1, e_int(1)), e_int(4)));
	run_ok(w, getsockopt_call(3, "SOL_SOCKET", "SO_REUSEADDR",
				  e_list(1, e_int(1)), e_list(1, e_int(4))));
	run_ok(w, getsockopt_call(3, "SOL_SOCKET", "SO_ERROR",
				  e_list(1, e_int(0)), e_list(1, e_int(4))));
	run_ok(w, getsockopt_call(3, "SOL_SOCKET", "SO_REUSEADDR", e_ell(),
				  e_ell()));

	s = getsockopt_call(3, "SOL_SOCKET", "SO_REUSEADDR",
			    e_list(1, e_int(0)), e_list(1, e_int(4)));
	assert_int_equal(run(w, s, &d), -1);
	assert_int_equal(d.status, EXIT_FAIL);
	assert_string_equal(d.message,
			    "getsockopt returned [1] in argument 4, expected "
			    "[0]");
	assert_true(same_loc(&d.loc, &s->args.items[3]->loc));
	assert_string_equal(d.expected, "getsockopt(3, SOL_SOCKET, "
					"SO_REUSEADDR, [0], [4]) = 0");
	assert_string_equal(d.actual, "getsockopt(3, SOL_SOCKET, "
				      "SO_REUSEADDR, [1], [4]) = 0");

	s = getsockopt_call(3, "SOL_SOCKET", "SO_REUSEADDR",
			    e_list(1, e_int(1)), e_list(1, e_int(8)));
	assert_int_equal(run(w, s, &d), -1);
	assert_string_equal(d.message,
			    "getsockopt returned [4] in argument 5, expected "
			    "[8]");
}

/* Linger both ways, [0xffffffff] as a 32-bit value, a string value. */
static void test_sockopt_shapes(void **state)
{
	struct world *w = *state;
	struct syscall_spec *s;
	struct diag d;

	run_ok(w, tcp_socket(3));
	run_ok(w, call("setsockopt", e_int(0), NULL, 5, e_int(3),
		       e_word("SOL_SOCKET"), e_word("SO_LINGER"),
		       e_struct(2, e_field("onoff", NULL, e_int(1)),
				e_field("linger", NULL, e_int(0))),
		       e_int(8)));
	run_ok(w, getsockopt_call(3, "SOL_SOCKET", "SO_LINGER",
				  e_struct(2, e_field("onoff", NULL, e_int(1)),
					   e_field("linger", NULL, e_int(0))),
				  e_list(1, e_int(8))));
	s = getsockopt_call(3, "SOL_SOCKET", "SO_LINGER",
			    e_struct(2, e_field("onoff", NULL, e_int(0)),
				     e_field("linger", NULL, e_int(0))),
			    e_ell());
	assert_int_equal(run(w, s, &d), -1);
	assert_string_equal(d.message,
			    "getsockopt returned {onoff=1, linger=0} in "
			    "argument 4, expected {onoff=0, linger=0}");
	run_ok(w, call("setsockopt", e_int(0), NULL, 5, e_int(3),
		       e_word("SOL_TCP"), e_word("TCP_NOTSENT_LOWAT"),
		       e_list(1, e_int(0xffffffff)), e_int(4)));
	run_ok(w, getsockopt_call(3, "SOL_TCP", "TCP_NOTSENT_LOWAT",
				  e_list(1, e_int(0xffffffff)),
				  e_list(1, e_int(4))));
	/* A string value with a length of its own: the kernel says EINVAL. */
	run_ok(w, call("setsockopt", e_int(-1), "EINVAL", 5, e_int(3),
		       e_word("SOL_TCP"), e_word("TCP_FASTOPEN_KEY"), e_str(""),
		       e_int(3)));
}

/* A refused non-blocking connect leaves its errno in SO_ERROR, shown by
 * name as a script would write it. */
static void test_so_error(void **state)
{
	struct world *w = *state;
	struct pollfd pfd = {.events = POLLOUT};
	struct syscall_spec *s;
	struct diag d;

	run_ok(w, tcp_socket(3));
	run_ok(w, call("fcntl", e_int(0), NULL, 3, e_int(3), e_word("F_SETFL"),
		       e_or(e_word("O_RDWR"), e_word("O_NONBLOCK"))));
	run_ok(w, call("connect", e_int(-1), "EINPROGRESS", 3, e_int(3),
		       e_ell(), e_ell()));
	pfd.fd = fdmap_live(w->env.fds, 3);
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	s = getsockopt_call(3, "SOL_SOCKET", "SO_ERROR", e_list(1, e_int(0)),
			    e_list(1, e_int(4)));
	assert_int_equal(run(w, s, &d), -1);
	assert_string_equal(d.message,
			    "getsockopt returned [ECONNREFUSED] in argument 4, "
			    "expected [0]");
	/* Reading SO_ERROR cleared it. */
	run_ok(w, getsockopt_call(3, "SOL_SOCKET", "SO_ERROR",
				  e_list(1, e_int(0)), e_list(1, e_int(4))));
}

static void test_close_all_resets(void **state)
{
	struct world *w = *state;
	int client, rc;
	char c;

	connect_pair(w);
	/* Keep the client out of the map to watch what its peer does. */
	client = fdmap_remove(w->env.fds, 4);
	assert_true(client >= 0);
	fdmap_close_all(w->env.fds);
	assert_int_equal(fdmap_count(w->env.fds), 0);
	rc = (int)read(client, &c, 1);
	assert_int_equal(rc, -1);
	assert_int_equal(errno, ECONNRESET);
	close(client);
}

static long elapsed_usecs(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000L +
	       (b->tv_nsec - a->tv_nsec) / 1000;
}

static void test_worker_blocking_read(void **state)
{
	struct world *w = *state;
	const struct timespec later = {0, 50 * 1000 * 1000};
	struct prepared_call *pc;
	struct worker *wk;
	struct call_outcome out;
	struct pollfd pfd;
	struct diag d;

	connect_pair(w);
	diag_clear(&d);
	pc = accept_spec(call("read", e_int(1000), NULL, 3, e_int(5), e_ell(),
			      e_int(61000)));
	assert_int_equal(worker_start(pc, &w->env, &wk, &d), 0);
	/* Generous here: valgrind and sanitizers slow the thread start. */
	assert_int_equal(worker_wait_asleep(wk, 500000), WORKER_ASLEEP);
	assert_false(worker_done(wk));
	assert_int_equal(worker_wait_asleep(wk, 1000), WORKER_ASLEEP);

	nanosleep(&later, NULL);
	assert_false(worker_done(wk));
	run_ok(w, call("write", e_int(1000), NULL, 3, e_int(4), e_ell(),
		       e_int(1000)));
	pfd.fd = worker_fd(wk);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_true(worker_done(wk));
	assert_int_equal(worker_wait_asleep(wk, 1000), WORKER_DONE);
	worker_collect(wk, &out);
	assert_true(out.performed);
	assert_int_equal(out.ret, 1000);
	assert_true(elapsed_usecs(&out.start, &out.end) >= 45000);
	assert_int_equal(syscall_check(pc, &out, &w->env, &d), 0);
	syscall_free(pc);
}

static void test_worker_cancel(void **state)
{
	struct world *w = *state;
	struct prepared_call *pc;
	struct worker *wk;
	struct call_outcome out;
	struct diag d;

	connect_pair(w);
	diag_clear(&d);
	pc = accept_spec(call("read", e_int(1000), NULL, 3, e_int(5), e_ell(),
			      e_int(1000)));
	assert_int_equal(worker_start(pc, &w->env, &wk, &d), 0);
	assert_int_equal(worker_wait_asleep(wk, 500000), WORKER_ASLEEP);
	worker_cancel(wk);
	assert_true(worker_done(wk));
	worker_collect(wk, &out);
	assert_int_equal(out.ret, -1);
	assert_int_equal(out.err, EINTR);
	assert_int_equal(syscall_check(pc, &out, &w->env, &d), -1);
	assert_string_equal(d.message,
			    "read returned -1 EINTR (Interrupted system call), "
			    "expected 1000");
	syscall_free(pc);
}

/* A call that does not block is done before it could sleep; an unknown fd
 * on a worker is reported like any other. */
static void test_worker_quick_calls(void **state)
{
	struct world *w = *state;
	struct prepared_call *pc;
	struct worker *wk;
	struct call_outcome out;
	struct diag d;

	diag_clear(&d);
	pc = accept_spec(tcp_socket(3));
	assert_int_equal(worker_start(pc, &w->env, &wk, &d), 0);
	assert_int_not_equal(worker_wait_asleep(wk, 500000), WORKER_ASLEEP);
	worker_collect(wk, &out);
	assert_int_equal(syscall_check(pc, &out, &w->env, &d), 0);
	assert_true(fdmap_live(w->env.fds, 3) >= 0);
	syscall_free(pc);

	pc = accept_spec(call("read", e_int(0), NULL, 3, e_int(9), e_ell(),
			      e_int(10)));
	assert_int_equal(worker_start(pc, &w->env, &wk, &d), 0);
	assert_int_equal(worker_wait_asleep(wk, 500000), WORKER_DONE);
	worker_collect(wk, &out);
	assert_false(out.performed);
	assert_int_equal(syscall_check(pc, &out, &w->env, &d), -1);
	assert_string_equal(d.message, "unknown fd 9");
	syscall_free(pc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_unknown_call, teardown_arena),
		cmocka_unit_test_teardown(test_not_supported_yet,
					  teardown_arena),
		cmocka_unit_test_teardown(test_unknown_symbol, teardown_arena),
		cmocka_unit_test_teardown(test_unknown_errno, teardown_arena),
		cmocka_unit_test_teardown(test_wrong_arg_count, teardown_arena),
		cmocka_unit_test_teardown(test_bad_shapes, teardown_arena),
		cmocka_unit_test_teardown(test_prepare_ok, teardown_arena),
		cmocka_unit_test(test_symbols),
		cmocka_unit_test_teardown(test_format, teardown_arena),
#define WORLD(t) cmocka_unit_test_setup_teardown(t, setup_world, teardown_world)
		WORLD(test_socket_fd_mapping),
		WORLD(test_fd_number_reused),
		WORLD(test_unknown_fd),
		WORLD(test_connection_and_sizes),
		WORLD(test_errno_diagnostics),
		WORLD(test_eagain_and_fcntl),
		WORLD(test_sockopts),
		WORLD(test_sockopt_shapes),
		WORLD(test_so_error),
		WORLD(test_close_all_resets),
		WORLD(test_worker_blocking_read),
		WORLD(test_worker_cancel),
		WORLD(test_worker_quick_calls),
#undef WORLD
	};

	/* As the run does: writing to a reset connection fails, not kills. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
