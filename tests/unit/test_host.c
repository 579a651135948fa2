/* Host modules against the real kernel: namespace and tun0 set-up,
 * capture with timestamps, and TCP states from TCP_INFO and sock_diag. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "diag.h"
#include "netns.h"
#include "sniff.h"
#include "sockstate.h"

/* Each case runs in a forked child inside its own namespace. cmocka's
 * asserts would unwind into the child's copy of the runner, so children
 * check with these and exit: 0 pass, 77 skip, anything else fail. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			child_fail(__LINE__, "check failed: %s", #cond);       \
	} while (0)

#define CHECK_OK(call, d)                                                      \
	do {                                                                   \
		if ((call) < 0)                                                \
			child_diag(__LINE__, d);                               \
	} while (0)

#define STACK_PORT 8080
#define PEER_PORT 40000
#define PEER_ISN UINT32_C(1000)
#define WAIT_MS 2000

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

enum variant { V4, V6, MAPPED };

/* What a case runs on: the IP variant, and options that differ from the
 * defaults (the corpus runner's gateway and MTU). */
struct net_case {
	enum variant v;
	const char *gateway;
	unsigned int mtu;
};

static const struct net_case case_v4 = {V4, NULL, 0};
static const struct net_case case_v6 = {V6, NULL, 0};
static const struct net_case case_mapped = {MAPPED, NULL, 0};
static const struct net_case corpus_v4 = {V4, "192.168.0.1", 0};
static const struct net_case corpus_v6 = {V6, "fd3d:0a0b:17d6:8888::1", 1520};
static const struct net_case corpus_mapped = {MAPPED, "192.168.0.1", 0};

struct env {
	enum variant v;
	int sock_family; /* of the sockets: AF_INET6 when mapped */
	struct netns_config cfg;
	struct netns ns;
	struct sniff *sn;
	struct diag d;
};

/* A TCP segment as the tests think of it. */
struct seg {
	int ipver;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	size_t payload;
};

static void child_fail(int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
static void child_fail(int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "test_host.c:%d: ", line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(1);
}

static void child_diag(int line, const struct diag *d)
    __attribute__((noreturn));
static void child_diag(int line, const struct diag *d)
{
	char where[32];

	snprintf(where, sizeof(where), "test_host.c:%d", line);
	diag_print(stderr, d, where, NULL);
	_exit(d->status == EXIT_SKIP ? EXIT_SKIP : 1);
}

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t ts_to_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* --- the child process and its namespace -------------------------------- */

static void env_enter(struct env *e, const struct net_case *nc)
{
	memset(e, 0, sizeof(*e));
	e->v = nc->v;
	e->sock_family = nc->v == V4 ? AF_INET : AF_INET6;
	netns_config_default(&e->cfg, nc->v == V6 ? AF_INET6 : AF_INET);
	if (nc->mtu)
		e->cfg.mtu = nc->mtu;
	if (nc->gateway)
		CHECK(inet_pton(e->cfg.family, nc->gateway, &e->cfg.gateway));
	CHECK_OK(netns_enter(&e->cfg, &e->ns, &e->d), &e->d);
	CHECK_OK(
	    sniff_open(&e->sn, NETNS_TUN_NAME, e->ns.tun_fd, e->cfg.mtu, &e->d),
	    &e->d);
}

static void env_leave(struct env *e)
{
	sniff_close(e->sn);
	netns_close(&e->ns);
}

typedef void (*child_body)(struct env *e);

/* Fork, run body in a fresh namespace, and judge by the exit status. */
static void run_child(void **state, child_body body)
{
	const struct net_case *nc = *state;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct env e;

		alarm(30); /* a hang is a failure, not a stuck make check */
		env_enter(&e, nc);
		body(&e);
		env_leave(&e);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP)
		skip();
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- addresses ------------------------------------------------------------ */

/* The address of one end as the script's sockets see it: v4-mapped when
 * the sockets are IPv6 and the network IPv4. */
static socklen_t env_sockaddr(const struct env *e, const union netns_addr *a,
			      uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (e->sock_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_addr = a->v4;
		in->sin_port = htons(port);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	if (e->cfg.family == AF_INET6) {
		in6->sin6_addr = a->v6;
	} else {
		in6->sin6_addr.s6_addr[10] = 0xff;
		in6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&in6->sin6_addr.s6_addr[12], &a->v4, 4);
	}
	return sizeof(*in6);
}

/* --- packets -------------------------------------------------------------- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* TCP header (RFC 9293 3.1), with an MSS option on SYNs, no payload. */
static size_t put_tcp(uint8_t *t, const struct seg *s)
{
	size_t len = s->flags & TH_SYN ? 24 : 20;

	memset(t, 0, len);
	put16(t, s->sport);
	put16(t + 2, s->dport);
	put32(t + 4, s->seq);
	put32(t + 8, s->ack);
	t[12] = (uint8_t)(len / 4) << 4;
	t[13] = s->flags;
	put16(t + 14, s->win);
	if (s->flags & TH_SYN) {
		t[20] = 2; /* MSS */
		t[21] = 4;
		put16(t + 22, 1460);
	}
	return len;
}

/* An IPv4 (RFC 791) or IPv6 (RFC 8200) packet from remote to local. */
static size_t build_packet(const struct env *e, const struct seg *s,
			   uint8_t *buf)
{
	int v6 = e->cfg.family == AF_INET6;
	size_t ip_len = v6 ? 40 : 20, alen = v6 ? 16 : 4;
	uint8_t *t = buf + ip_len;
	size_t tcp_len = put_tcp(t, s);
	uint32_t sum;

	memset(buf, 0, ip_len);
	if (v6) {
		buf[0] = 0x60;
		put16(buf + 4, (uint16_t)tcp_len);
		buf[6] = IPPROTO_TCP;
		buf[7] = 64;
		memcpy(buf + 8, &e->cfg.remote.v6, 16);
		memcpy(buf + 24, &e->cfg.local.v6, 16);
	} else {
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)(ip_len + tcp_len));
		put16(buf + 6, 0x4000); /* DF */
		buf[8] = 64;
		buf[9] = IPPROTO_TCP;
		memcpy(buf + 12, &e->cfg.remote.v4, 4);
		memcpy(buf + 16, &e->cfg.local.v4, 4);
		put16(buf + 10, csum_fold(csum_add(0, buf, 20)));
	}
	/* Pseudo-header: both addresses, protocol, TCP length. */
	sum = csum_add(0, buf + (v6 ? 8 : 12), 2 * alen);
	sum += IPPROTO_TCP + (uint32_t)tcp_len;
	put16(t + 16, csum_fold(csum_add(sum, t, tcp_len)));
	return ip_len + tcp_len;
}

static void inject(const struct env *e, uint8_t flags, uint32_t seq,
		   uint32_t ack)
{
	struct seg s = {0, PEER_PORT, STACK_PORT, seq, ack, flags, 65535, 0};
	uint8_t buf[128];
	size_t len = build_packet(e, &s, buf);

	CHECK(write(e->ns.tun_fd, buf, len) == (ssize_t)len);
}

/* The TCP segment in a captured packet; -1 when it holds none. */
static int parse_tcp(const uint8_t *p, size_t len, struct seg *s)
{
	size_t off;

	if (len >= 20 && p[0] >> 4 == 4 && p[9] == IPPROTO_TCP)
		off = (size_t)(p[0] & 0xf) * 4;
	else if (len >= 40 && p[0] >> 4 == 6 && p[6] == IPPROTO_TCP)
		off = 40;
	else
		return -1;
	if (len < off + 20 || len < off + (size_t)(p[off + 12] >> 4) * 4)
		return -1;
	s->ipver = p[0] >> 4;
	s->sport = get16(p + off);
	s->dport = get16(p + off + 2);
	s->seq = get32(p + off + 4);
	s->ack = get32(p + off + 8);
	s->flags = p[off + 13];
	s->win = get16(p + off + 14);
	s->payload = len - off - (size_t)(p[off + 12] >> 4) * 4;
	return 0;
}

/* Wait for the stack's next TCP segment; fails the child on timeout. */
static void next_tcp(struct env *e, struct seg *s, struct timespec *ts,
		     size_t *pkt_len, int line)
{
	int64_t deadline = mono_ns() + (int64_t)WAIT_MS * 1000000;
	const uint8_t *pkt;
	size_t len;
	int r;

	for (;;) {
		struct pollfd pfd = {sniff_fd(e->sn), POLLIN, 0};

		r = sniff_next(e->sn, &pkt, &len, ts, &e->d);
		CHECK_OK(r, &e->d);
		if (r == 1 && parse_tcp(pkt, len, s) == 0)
			break;
		if (r == 1)
			continue;
		if (mono_ns() > deadline)
			child_fail(line, "no TCP segment from the stack");
		poll(&pfd, 1, 10);
	}
	if (pkt_len)
		*pkt_len = len;
}

static void expect_tcp(struct env *e, uint8_t flags, struct seg *s, int line)
{
	struct timespec ts;

	next_tcp(e, s, &ts, NULL, line);
	if (s->flags != flags)
		child_fail(line, "expected flags 0x%02x, got 0x%02x", flags,
			   s->flags);
}

/* --- states --------------------------------------------------------------- */

static const char *state_str(enum tcp_state_id id)
{
	const char *n = sockstate_name(id);

	return n ? n : "?";
}

/* The kernel acts on an injected segment in softirq context, usually
 * before write() returns but not always: poll until the state shows. */
static void expect_tuple(struct env *e, uint16_t lport, uint16_t rport,
			 enum tcp_state_id want, int line)
{
	int64_t deadline = mono_ns() + (int64_t)WAIT_MS * 1000000;
	struct sockaddr_storage l, r;
	enum tcp_state_id got;

	env_sockaddr(e, &e->cfg.local, lport, &l);
	env_sockaddr(e, &e->cfg.remote, rport, &r);
	for (;;) {
		if (sockstate_of_tuple(e->sock_family, (struct sockaddr *)&l,
				       rport ? (struct sockaddr *)&r : NULL,
				       &got, &e->d) < 0)
			child_diag(line, &e->d);
		if (got == want)
			return;
		if (mono_ns() > deadline)
			child_fail(line, "sock_diag says %s, expected %s",
				   state_str(got), state_str(want));
		usleep(1000);
	}
}

static void expect_fd(struct env *e, int fd, enum tcp_state_id want, int line)
{
	int64_t deadline = mono_ns() + (int64_t)WAIT_MS * 1000000;
	enum tcp_state_id got;

	for (;;) {
		if (sockstate_of_fd(fd, &got, &e->d) < 0)
			child_diag(line, &e->d);
		if (got == want)
			return;
		if (mono_ns() > deadline)
			child_fail(line, "TCP_INFO says %s, expected %s",
				   state_str(got), state_str(want));
		usleep(1000);
	}
}

static int tcp_socket(const struct env *e)
{
	int fd = socket(e->sock_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;

	CHECK(fd >= 0);
	CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
	return fd;
}

static int listener(const struct env *e, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = env_sockaddr(e, &e->cfg.local, port, &ss);
	int fd = tcp_socket(e);

	CHECK(bind(fd, (struct sockaddr *)&ss, len) == 0);
	CHECK(listen(fd, 8) == 0);
	return fd;
}

struct conn {
	int lfd, fd;
	uint32_t isn; /* the stack's */
};

/* A passive open driven by hand-made segments. With checks, it proves on
 * the way that sock_diag sees the request socket before the handshake
 * completes and the connection before accept() takes it; without, no
 * state query touches the connection (sockstate_track_fd's cases). */
static void handshake_with(struct env *e, struct conn *c, int checks)
{
	struct seg s;

	c->lfd = listener(e, STACK_PORT);
	inject(e, TH_SYN, PEER_ISN, 0);
	expect_tcp(e, TH_SYN | TH_ACK, &s, __LINE__);
	CHECK(s.ack == PEER_ISN + 1);
	c->isn = s.seq;
	if (checks) {
		expect_tuple(e, STACK_PORT, PEER_PORT, TCP_STATE_SYN_RECV,
			     __LINE__);
		expect_fd(e, c->lfd, TCP_STATE_LISTEN, __LINE__);
	}
	inject(e, TH_ACK, PEER_ISN + 1, c->isn + 1);
	if (checks)
		expect_tuple(e, STACK_PORT, PEER_PORT, TCP_STATE_ESTABLISHED,
			     __LINE__);
	c->fd = accept(c->lfd, NULL, NULL);
	CHECK(c->fd >= 0);
	if (checks)
		expect_fd(e, c->fd, TCP_STATE_ESTABLISHED, __LINE__);
}

static void handshake(struct env *e, struct conn *c)
{
	handshake_with(e, c, 1);
}

/* --- cases: names, pure ----------------------------------------------------
 */

static void test_state_names(void **state)
{
	enum tcp_state_id id;

	(void)state;
	for (int i = 0; i < TCP_STATE_COUNT; i++) {
		const char *n = sockstate_name((enum tcp_state_id)i);

		assert_non_null(n);
		assert_int_equal(sockstate_parse(n, &id), 0);
		assert_int_equal(id, i);
	}
	assert_string_equal(sockstate_name(TCP_STATE_CLOSED), "CLOSED");
	assert_string_equal(sockstate_name(TCP_STATE_SYN_RECV), "SYN_RECV");
	assert_string_equal(sockstate_name(TCP_STATE_FIN_WAIT_1), "FIN_WAIT_1");
	assert_string_equal(sockstate_name(TCP_STATE_TIME_WAIT), "TIME_WAIT");
	assert_null(sockstate_name(TCP_STATE_COUNT));
	assert_null(sockstate_name((enum tcp_state_id)99));
}

/* Every spelling SCRIPT-LANGUAGE.md 7.1 promises, and some more. */
static const struct {
	const char *name;
	enum tcp_state_id id;
} spellings[] = {
    {"CLOSED", TCP_STATE_CLOSED},
    {"CLOSE", TCP_STATE_CLOSED},
    {"TCP_CLOSE", TCP_STATE_CLOSED},
    {"closed", TCP_STATE_CLOSED},
    {"LISTEN", TCP_STATE_LISTEN},
    {"TCP_LISTEN", TCP_STATE_LISTEN},
    {"SYN-SENT", TCP_STATE_SYN_SENT},
    {"SYN_SENT", TCP_STATE_SYN_SENT},
    {"TCP_SYN_SENT", TCP_STATE_SYN_SENT},
    {"SYN-RECEIVED", TCP_STATE_SYN_RECV},
    {"SYN_RECV", TCP_STATE_SYN_RECV},
    {"syn-recv", TCP_STATE_SYN_RECV},
    {"TCP_SYN_RECV", TCP_STATE_SYN_RECV},
    {"TCP_NEW_SYN_RECV", TCP_STATE_SYN_RECV},
    {"SYN_RCVD", TCP_STATE_SYN_RECV},
    {"ESTABLISHED", TCP_STATE_ESTABLISHED},
    {"TCP_ESTABLISHED", TCP_STATE_ESTABLISHED},
    {"Established", TCP_STATE_ESTABLISHED},
    {"ESTAB", TCP_STATE_ESTABLISHED},
    {"FIN-WAIT-1", TCP_STATE_FIN_WAIT_1},
    {"FIN_WAIT1", TCP_STATE_FIN_WAIT_1},
    {"FIN_WAIT_1", TCP_STATE_FIN_WAIT_1},
    {"TCP_FIN_WAIT1", TCP_STATE_FIN_WAIT_1},
    {"FIN-WAIT-2", TCP_STATE_FIN_WAIT_2},
    {"FIN_WAIT2", TCP_STATE_FIN_WAIT_2},
    {"fin_wait_2", TCP_STATE_FIN_WAIT_2},
    {"TCP_FIN_WAIT2", TCP_STATE_FIN_WAIT_2},
    {"CLOSE-WAIT", TCP_STATE_CLOSE_WAIT},
    {"CLOSE_WAIT", TCP_STATE_CLOSE_WAIT},
    {"TCP_CLOSE_WAIT", TCP_STATE_CLOSE_WAIT},
    {"CLOSING", TCP_STATE_CLOSING},
    {"TCP_CLOSING", TCP_STATE_CLOSING},
    {"LAST-ACK", TCP_STATE_LAST_ACK},
    {"LAST_ACK", TCP_STATE_LAST_ACK},
    {"TCP_LAST_ACK", TCP_STATE_LAST_ACK},
    {"TIME-WAIT", TCP_STATE_TIME_WAIT},
    {"TIME_WAIT", TCP_STATE_TIME_WAIT},
    {"time-wait", TCP_STATE_TIME_WAIT},
    {"TCP_TIME_WAIT", TCP_STATE_TIME_WAIT},
};
static const char *const not_states[] = {
    "",
    "TCP_",
    "SYN",
    "ESTABLISHEDX",
    "FIN_WAIT_3",
    "FIN WAIT 1",
    "LISTENING",
    "TCP__LISTEN",
    "0",
    "TIME_WAIT_",
    "AN_ABSURDLY_LONG_NAME_THAT_IS_NO_STATE_AT_ALL",
};

static void test_state_spellings(void **state)
{
	enum tcp_state_id id;

	(void)state;
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		id = TCP_STATE_COUNT;
		if (sockstate_parse(spellings[i].name, &id) != 0 ||
		    id != spellings[i].id)
			fail_msg("\"%s\" parsed as %d, expected %s",
				 spellings[i].name, (int)id,
				 sockstate_name(spellings[i].id));
		/* And back: every spelling prints canonically. */
		assert_int_equal(sockstate_parse(sockstate_name(id), &id), 0);
		assert_int_equal(id, spellings[i].id);
	}
	for (size_t i = 0; i < sizeof(not_states) / sizeof(not_states[0]); i++)
		if (sockstate_parse(not_states[i], &id) == 0)
			fail_msg("\"%s\" accepted as %s", not_states[i],
				 sockstate_name(id));
}

static void test_kernel_states(void **state)
{
	/* include/net/tcp_states.h */
	static const enum tcp_state_id want[] = {
	    [1] = TCP_STATE_ESTABLISHED, [2] = TCP_STATE_SYN_SENT,
	    [3] = TCP_STATE_SYN_RECV,	 [4] = TCP_STATE_FIN_WAIT_1,
	    [5] = TCP_STATE_FIN_WAIT_2,	 [6] = TCP_STATE_TIME_WAIT,
	    [7] = TCP_STATE_CLOSED,	 [8] = TCP_STATE_CLOSE_WAIT,
	    [9] = TCP_STATE_LAST_ACK,	 [10] = TCP_STATE_LISTEN,
	    [11] = TCP_STATE_CLOSING,	 [12] = TCP_STATE_SYN_RECV,
	    [13] = TCP_STATE_CLOSED,
	};
	enum tcp_state_id id;

	(void)state;
	for (int k = 1; k <= 13; k++) {
		assert_int_equal(sockstate_from_kernel(k, &id), 0);
		assert_int_equal(id, want[k]);
	}
	assert_int_equal(sockstate_from_kernel(0, &id), -1);
	assert_int_equal(sockstate_from_kernel(14, &id), -1);
	assert_int_equal(sockstate_from_kernel(-1, &id), -1);
}

static void test_netmask(void **state)
{
	static const struct {
		const char *mask;
		int len;
	} cases[] = {
	    {"255.255.0.0", 16}, {"255.255.255.255", 32},
	    {"0.0.0.0", 0},	 {"255.255.255.254", 31},
	    {"128.0.0.0", 1},	 {"255.0.255.0", -1},
	    {"0.0.0.255", -1},	 {"255.255.254.1", -1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct in_addr m;

		assert_int_equal(inet_pton(AF_INET, cases[i].mask, &m), 1);
		assert_int_equal(netns_prefix_from_netmask(m), cases[i].len);
	}
}

/* --- cases: the namespace ----------------------------------------------- */

static int addr_equal(const struct sockaddr *sa, int family,
		      const union netns_addr *a)
{
	if (!sa || sa->sa_family != family)
		return 0;
	if (family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)sa)->sin_addr,
			      &a->v4, 4) == 0;
	return memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, &a->v6,
		      16) == 0;
}

static int is_link_local(const struct sockaddr *sa)
{
	return sa && sa->sa_family == AF_INET6 &&
	       IN6_IS_ADDR_LINKLOCAL(
		   &((const struct sockaddr_in6 *)sa)->sin6_addr);
}

/* tun0 up with exactly the local address, lo up. */
static void check_interfaces(const struct env *e)
{
	struct ifaddrs *ifa, *i;
	int lo_up = 0, tun_up = 0, have_local = 0, link_local = 0;

	CHECK(getifaddrs(&ifa) == 0);
	for (i = ifa; i; i = i->ifa_next) {
		int tun = strcmp(i->ifa_name, NETNS_TUN_NAME) == 0;

		if (strcmp(i->ifa_name, "lo") == 0 && (i->ifa_flags & IFF_UP))
			lo_up = 1;
		if (tun && (i->ifa_flags & IFF_UP))
			tun_up = 1;
		if (tun &&
		    addr_equal(i->ifa_addr, e->cfg.family, &e->cfg.local))
			have_local = 1;
		if (tun && is_link_local(i->ifa_addr))
			link_local = 1;
	}
	freeifaddrs(ifa);
	CHECK(lo_up);
	CHECK(tun_up);
	CHECK(have_local);
	CHECK(!link_local); /* addr_gen_mode=none: nothing to solicit from */
	CHECK(e->ns.tun_ifindex == if_nametoindex(NETNS_TUN_NAME));
}

static void check_mtu(const struct env *e)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, NETNS_TUN_NAME, sizeof(NETNS_TUN_NAME));
	CHECK(ioctl(fd, SIOCGIFMTU, &ifr) == 0);
	CHECK((unsigned int)ifr.ifr_mtu == e->cfg.mtu);
	close(fd);
}

/* The route to remote exists and leaves from the local address. */
static void check_route(const struct env *e)
{
	struct sockaddr_storage r, l;
	socklen_t len;
	int fd = socket(e->cfg.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	memset(&r, 0, sizeof(r));
	if (e->cfg.family == AF_INET) {
		((struct sockaddr_in *)&r)->sin_family = AF_INET;
		((struct sockaddr_in *)&r)->sin_port = htons(9);
		((struct sockaddr_in *)&r)->sin_addr = e->cfg.remote.v4;
		len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&r)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&r)->sin6_port = htons(9);
		((struct sockaddr_in6 *)&r)->sin6_addr = e->cfg.remote.v6;
		len = sizeof(struct sockaddr_in6);
	}
	CHECK(connect(fd, (struct sockaddr *)&r, len) == 0);
	len = sizeof(l);
	CHECK(getsockname(fd, (struct sockaddr *)&l, &len) == 0);
	CHECK(addr_equal((struct sockaddr *)&l, e->cfg.family, &e->cfg.local));
	close(fd);
}

static void body_setup(struct env *e)
{
	struct pollfd pfd = {e->ns.tun_fd, POLLIN, 0};

	check_interfaces(e);
	check_mtu(e);
	check_route(e);
	/* Quiet: a router solicitation would be queued here at once (it
	 * is, without netns.c's IPv6 sysctls), an MLD report within 1 s. */
	CHECK(poll(&pfd, 1, 1200) == 0);
}

static void test_netns_setup(void **state)
{
	run_child(state, body_setup);
}

/* The corpus's route changes (tcp/mtu_probe/basic-v{4,6}.pkt) succeed
 * under the corpus runner's options. */
static void body_corpus_routes(struct env *e)
{
	static const char *const v4[] = {
	    "ip route change 192.0.2.1 via 192.168.0.2 dev tun0 advmss 600 "
	    "mtu lock 640 initcwnd 11",
	    "ip route change 192.0.2.1 via 192.168.0.2 dev tun0 advmss "
	    "1460 mtu lock 1500",
	    "ip route show 192.0.2.1 | grep -q 'advmss 1460'",
	};
	static const char *const v6[] = {
	    "ip -6 route change 2001:DB8::1 via fd3d:fa7b:d17d:8888::0 dev "
	    "tun0 advmss 600 mtu lock 660 initcwnd 11",
	    "ip -6 route change 2001:DB8::1 via fd3d:fa7b:d17d:8888::0 dev "
	    "tun0 advmss 1480 mtu lock 1520",
	    "ip -6 route show 2001:db8::1 | grep -q 'advmss 1480'",
	};
	const char *const *cmds = e->cfg.family == AF_INET6 ? v6 : v4;

	if (system("command -v ip >/dev/null 2>&1") != 0) {
		note("no ip(8): cannot run the corpus's commands");
		_exit(EXIT_SKIP);
	}
	for (int i = 0; i < 3; i++)
		if (system(cmds[i]) != 0)
			child_fail(__LINE__, "failed: %s", cmds[i]);
}

static void test_corpus_routes(void **state)
{
	run_child(state, body_corpus_routes);
}

/* --- cases: capture ------------------------------------------------------- */

#define CLIENT_PORT 5555
#define SLACK_NS INT64_C(1000000)

static void body_syn(struct env *e)
{
	struct sockaddr_storage l, r;
	socklen_t llen = env_sockaddr(e, &e->cfg.local, CLIENT_PORT, &l);
	socklen_t rlen = env_sockaddr(e, &e->cfg.remote, STACK_PORT, &r);
	int fd = tcp_socket(e);
	int64_t before, after, t, err;
	struct timespec ts;
	struct seg s;

	err = sniff_clock_sync(e->sn);
	CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
	CHECK(bind(fd, (struct sockaddr *)&l, llen) == 0);
	before = mono_ns();
	CHECK(connect(fd, (struct sockaddr *)&r, rlen) < 0 &&
	      errno == EINPROGRESS);
	after = mono_ns();
	next_tcp(e, &s, &ts, NULL, __LINE__);
	CHECK(s.flags == TH_SYN);
	CHECK(s.sport == CLIENT_PORT && s.dport == STACK_PORT);
	CHECK(s.ipver == (e->cfg.family == AF_INET6 ? 6 : 4));
	t = ts_to_ns(&ts);
	note("SYN stamped %.1f us into a %.1f us connect(); clock offset "
	     "uncertainty %lld ns",
	     (double)(t - before) / 1e3, (double)(after - before) / 1e3,
	     (long long)err);
	/* The SYN leaves inside connect(): its stamp lies between. */
	CHECK(t >= before - SLACK_NS && t <= after + SLACK_NS);
	expect_fd(e, fd, TCP_STATE_SYN_SENT, __LINE__);
	expect_tuple(e, CLIENT_PORT, STACK_PORT, TCP_STATE_SYN_SENT, __LINE__);
	close(fd);
}

static void test_sniff_syn(void **state)
{
	run_child(state, body_syn);
}

static uint64_t tun_tx_dropped(void)
{
	struct ifaddrs *ifa, *i;
	uint64_t dropped = UINT64_MAX;

	CHECK(getifaddrs(&ifa) == 0);
	/* The link's entry carries the statistics; tun0 has no link-layer
	 * address, so glibc leaves ifa_addr NULL there. */
	for (i = ifa; i; i = i->ifa_next)
		if (strcmp(i->ifa_name, NETNS_TUN_NAME) == 0 && i->ifa_data &&
		    (!i->ifa_addr || i->ifa_addr->sa_family == AF_PACKET))
			dropped =
			    ((struct rtnl_link_stats *)i->ifa_data)->tx_dropped;
	freeifaddrs(ifa);
	CHECK(dropped != UINT64_MAX);
	return dropped;
}

/* Read every capture that is ready; count the UDP ones. */
static unsigned int read_captures(struct env *e)
{
	const uint8_t *pkt;
	struct timespec ts;
	unsigned int n = 0;
	size_t len;
	int r;

	while ((r = sniff_next(e->sn, &pkt, &len, &ts, &e->d)) == 1)
		if (len > 40 && (pkt[0] >> 4 == 4 ? pkt[9] : pkt[6]) == 17)
			n++;
	CHECK_OK(r, &e->d);
	return n;
}

#define BURST 2000

/* Send BURST UDP datagrams, reading captures as a scheduler would. */
static unsigned int udp_burst(struct env *e)
{
	struct sockaddr_storage r;
	socklen_t len = env_sockaddr(e, &e->cfg.remote, 9, &r);
	int fd = socket(e->sock_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int64_t deadline;
	unsigned int n = 0;
	char payload[1000];

	CHECK(fd >= 0);
	memset(payload, 0, sizeof(payload));
	for (int i = 0; i < BURST; i++) {
		CHECK(sendto(fd, payload, sizeof(payload), 0,
			     (struct sockaddr *)&r, len) == sizeof(payload));
		if (i % 100 == 99)
			n += read_captures(e);
	}
	deadline = mono_ns() + (int64_t)WAIT_MS * 1000000;
	while (n < BURST && mono_ns() < deadline) {
		usleep(1000);
		n += read_captures(e);
	}
	close(fd);
	return n;
}

static void body_no_overflow(struct env *e)
{
	uint64_t dropped = tun_tx_dropped();
	unsigned int n = udp_burst(e), lost;

	CHECK(n == BURST);
	CHECK(tun_tx_dropped() == dropped);
	CHECK(sniff_drain_tun(e->ns.tun_fd) == 0);
	CHECK_OK(sniff_drops(e->sn, &lost, &e->d), &e->d);
	CHECK(lost == 0);
}

static void test_no_overflow(void **state)
{
	run_child(state, body_no_overflow);
}

/* The twin: without the drain, tun's ring fills and the driver drops,
 * while the capture still sees every packet. */
static void body_overflow_without_drain(struct env *e)
{
	uint64_t dropped = tun_tx_dropped();
	unsigned int n;
	int queued;

	sniff_close(e->sn);
	CHECK_OK(sniff_open(&e->sn, NETNS_TUN_NAME, -1, e->cfg.mtu, &e->d),
		 &e->d);
	n = udp_burst(e);
	CHECK(n == BURST);
	queued = sniff_drain_tun(e->ns.tun_fd);
	note("without a drain: %d packets queued in tun, %llu dropped", queued,
	     (unsigned long long)(tun_tx_dropped() - dropped));
	CHECK(tun_tx_dropped() - dropped == (uint64_t)(BURST - queued));
	CHECK(queued > 0 && queued < BURST);
}

static void test_overflow_without_drain(void **state)
{
	run_child(state, body_overflow_without_drain);
}

/* --- cases: states -------------------------------------------------------- */

static int wildcard_socket(const struct env *e, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = tcp_socket(e);

	memset(&ss, 0, sizeof(ss));
	if (e->sock_family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		len = sizeof(struct sockaddr_in6);
	}
	CHECK(bind(fd, (struct sockaddr *)&ss, len) == 0);
	return fd;
}

static void body_listen(struct env *e)
{
	struct sockaddr_storage ss;
	socklen_t len = env_sockaddr(e, &e->cfg.local, 8082, &ss);
	int lfd = listener(e, STACK_PORT), wfd = wildcard_socket(e, 8081);
	int fresh = tcp_socket(e), bound = tcp_socket(e), pfd[2], udp;
	struct diag d = {0};
	enum tcp_state_id id;

	expect_fd(e, lfd, TCP_STATE_LISTEN, __LINE__);
	expect_tuple(e, STACK_PORT, 0, TCP_STATE_LISTEN, __LINE__);
	/* Nothing connected to the listener, nobody on 9999. */
	expect_tuple(e, STACK_PORT, PEER_PORT, TCP_STATE_CLOSED, __LINE__);
	expect_tuple(e, 9999, 0, TCP_STATE_CLOSED, __LINE__);
	CHECK(listen(wfd, 1) == 0);
	expect_tuple(e, 8081, 0, TCP_STATE_LISTEN, __LINE__);
	/* Bound, never listening: the kernel's BOUND_INACTIVE. */
	CHECK(bind(bound, (struct sockaddr *)&ss, len) == 0);
	expect_tuple(e, 8082, 0, TCP_STATE_CLOSED, __LINE__);
	expect_fd(e, bound, TCP_STATE_CLOSED, __LINE__);
	expect_fd(e, fresh, TCP_STATE_CLOSED, __LINE__);
	/* Not TCP at all: the script's mistake, a failure. */
	udp = socket(e->sock_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(udp >= 0 && pipe(pfd) == 0);
	CHECK(sockstate_of_fd(udp, &id, &d) == -1 && d.status == EXIT_FAIL);
	diag_clear(&d);
	CHECK(sockstate_of_fd(pfd[0], &id, &d) == -1 && d.status == EXIT_FAIL);
}

static void test_listen_and_closed(void **state)
{
	run_child(state, body_listen);
}

/* An ipv4-mapped connection found by either spelling of its addresses. */
static void expect_plain_v4_tuple(struct env *e, enum tcp_state_id want)
{
	struct sockaddr_in l = {0}, r = {0};
	enum tcp_state_id got;

	if (e->v != MAPPED)
		return;
	l.sin_family = r.sin_family = AF_INET;
	l.sin_port = htons(STACK_PORT);
	l.sin_addr = e->cfg.local.v4;
	r.sin_port = htons(PEER_PORT);
	r.sin_addr = e->cfg.remote.v4;
	CHECK_OK(sockstate_of_tuple(AF_INET6, (struct sockaddr *)&l,
				    (struct sockaddr *)&r, &got, &e->d),
		 &e->d);
	CHECK(got == want);
	/* And by a caller that does not know the sockets' family. */
	CHECK_OK(sockstate_of_tuple(AF_UNSPEC, (struct sockaddr *)&l,
				    (struct sockaddr *)&r, &got, &e->d),
		 &e->d);
	CHECK(got == want);
}

/* We close first: FIN_WAIT_1, FIN_WAIT_2 and TIME_WAIT with no fd. */
static void body_active_close(struct env *e)
{
	struct conn c;
	struct seg s;

	handshake(e, &c);
	expect_plain_v4_tuple(e, TCP_STATE_ESTABLISHED);
	CHECK(close(c.fd) == 0);
	expect_tcp(e, TH_FIN | TH_ACK, &s, __LINE__);
	CHECK(s.seq == c.isn + 1 && s.ack == PEER_ISN + 1);
	expect_tuple(e, STACK_PORT, PEER_PORT, TCP_STATE_FIN_WAIT_1, __LINE__);
	inject(e, TH_ACK, PEER_ISN + 1, c.isn + 2);
	expect_tuple(e, STACK_PORT, PEER_PORT, TCP_STATE_FIN_WAIT_2, __LINE__);
	inject(e, TH_FIN | TH_ACK, PEER_ISN + 1, c.isn + 2);
	expect_tcp(e, TH_ACK, &s, __LINE__);
	CHECK(s.ack == PEER_ISN + 2);
	expect_tuple(e, STACK_PORT, PEER_PORT, TCP_STATE_TIME_WAIT, __LINE__);
	expect_plain_v4_tuple(e, TCP_STATE_TIME_WAIT);
	close(c.lfd);
}

static void test_active_close(void **state)
{
	run_child(state, body_active_close);
}

/* The peer closes first: CLOSE_WAIT, then LAST_ACK, then gone. */
static void body_passive_close(struct env *e)
{
	struct conn c;
	struct seg s;

	handshake(e, &c);
	inject(e, TH_FIN | TH_ACK, PEER_ISN + 1, c.isn + 1);
	expect_tcp(e, TH_ACK, &s, __LINE__);
	CHECK(s.ack == PEER_ISN + 2);
	expect_fd(e, c.fd, TCP_STATE_CLOSE_WAIT, __LINE__);
	expect_tuple(e, STACK_PORT, PEER_PORT, TCP_STATE_CLOSE_WAIT, __LINE__);
	CHECK(close(c.fd) == 0);
	expect_tcp(e, TH_FIN | TH_ACK, &s, __LINE__);
	CHECK(s.seq == c.isn + 1);
	expect_tuple(e, STACK_PORT, PEER_PORT, TCP_STATE_LAST_ACK, __LINE__);
	inject(e, TH_ACK, PEER_ISN + 2, c.isn + 2);
	expect_tuple(e, STACK_PORT, PEER_PORT, TCP_STATE_CLOSED, __LINE__);
	close(c.lfd);
}

static void test_passive_close(void **state)
{
	run_child(state, body_passive_close);
}

/* Both FINs cross: CLOSING, then TIME_WAIT. */
static void body_simultaneous_close(struct env *e)
{
	struct conn c;
	struct seg s;

	handshake(e, &c);
	CHECK(close(c.fd) == 0);
	expect_tcp(e, TH_FIN | TH_ACK, &s, __LINE__);
	expect_tuple(e, STACK_PORT, PEER_PORT, TCP_STATE_FIN_WAIT_1, __LINE__);
	/* The peer's FIN does not ack ours: it was sent before ours came. */
	inject(e, TH_FIN | TH_ACK, PEER_ISN + 1, c.isn + 1);
	expect_tcp(e, TH_ACK, &s, __LINE__);
	CHECK(s.ack == PEER_ISN + 2);
	expect_tuple(e, STACK_PORT, PEER_PORT, TCP_STATE_CLOSING, __LINE__);
	inject(e, TH_ACK, PEER_ISN + 2, c.isn + 2);
	expect_tuple(e, STACK_PORT, PEER_PORT, TCP_STATE_TIME_WAIT, __LINE__);
	close(c.lfd);
}

static void test_simultaneous_close(void **state)
{
	run_child(state, body_simultaneous_close);
}

/* shutdown(SHUT_WR), and the peer's FIN acks ours: TIME_WAIT while the
 * fd is still open, its socket CLOSED and the connection elsewhere. */
static void half_close_to_time_wait(struct env *e, const struct conn *c)
{
	struct seg s;

	CHECK(shutdown(c->fd, SHUT_WR) == 0);
	expect_tcp(e, TH_FIN | TH_ACK, &s, __LINE__);
	inject(e, TH_FIN | TH_ACK, PEER_ISN + 1, c->isn + 2);
	expect_tcp(e, TH_ACK, &s, __LINE__);
	expect_tuple(e, STACK_PORT, PEER_PORT, TCP_STATE_TIME_WAIT, __LINE__);
}

static void body_fd_time_wait(struct env *e)
{
	struct conn c;

	handshake_with(e, &c, 0);
	CHECK(sockstate_track_fd(c.fd) == 0);
	half_close_to_time_wait(e, &c);
	expect_fd(e, c.fd, TCP_STATE_TIME_WAIT, __LINE__);
	close(c.fd);
	expect_tuple(e, STACK_PORT, PEER_PORT, TCP_STATE_TIME_WAIT, __LINE__);
}

static void test_fd_time_wait(void **state)
{
	run_child(state, body_fd_time_wait);
}

/* The twin, and the limit of the fd view: a socket whose cookie did not
 * exist before TIME_WAIT cannot be followed; it reads CLOSED. */
static void body_fd_time_wait_untracked(struct env *e)
{
	struct conn c;

	handshake_with(e, &c, 0);
	half_close_to_time_wait(e, &c);
	expect_fd(e, c.fd, TCP_STATE_CLOSED, __LINE__);
}

static void test_fd_time_wait_untracked(void **state)
{
	run_child(state, body_fd_time_wait_untracked);
}

/* --- cases: offloads ------------------------------------------------------ */

/* Take the stack's segments until bytes of payload came; each must be
 * stamped after since. Returns the largest packet. */
static size_t collect_data(struct env *e, size_t bytes, int64_t since)
{
	size_t got = 0, max_len = 0, len;
	struct timespec ts;
	struct seg s;

	while (got < bytes) {
		next_tcp(e, &s, &ts, &len, __LINE__);
		CHECK(ts_to_ns(&ts) >= since - SLACK_NS);
		CHECK(ts_to_ns(&ts) <= mono_ns() + SLACK_NS);
		got += s.payload;
		if (len > max_len)
			max_len = len;
	}
	return max_len;
}

static void body_offload(struct env *e)
{
	static const char buf[20000];
	struct conn c;
	size_t max_len;
	ssize_t n;
	int64_t t;

	handshake(e, &c);
	t = mono_ns();
	CHECK(write(c.fd, buf, 4000) == 4000);
	max_len = collect_data(e, 4000, t);
	CHECK(max_len <= e->cfg.mtu);
	inject(e, TH_ACK, PEER_ISN + 1, c.isn + 1 + 4000);
	/* TSO-sized packets need a capture that takes them whole. */
	sniff_close(e->sn);
	CHECK_OK(sniff_open(&e->sn, NETNS_TUN_NAME, e->ns.tun_fd, 0, &e->d),
		 &e->d);
	CHECK_OK(netns_tun_set_offload(
		     &e->ns, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, &e->d),
		 &e->d);
	t = mono_ns();
	n = send(c.fd, buf, sizeof(buf), MSG_DONTWAIT);
	CHECK(n >= 8000);
	max_len = collect_data(e, 8000, t);
	note("offloads on: captured packets up to %zu bytes (MTU %u)", max_len,
	     e->cfg.mtu);
	CHECK(max_len > e->cfg.mtu);
	CHECK_OK(netns_tun_set_offload(&e->ns, 0, &e->d), &e->d);
	close(c.fd);
	close(c.lfd);
}

static void test_offload(void **state)
{
	run_child(state, body_offload);
}

/* --- main ----------------------------------------------------------------- */

/* Can this machine give us a namespace and tun0 at all? 0 yes, 77 no
 * (the reason is printed), anything else: let the cases fail loudly. */
static int probe_kernel(void)
{
	struct netns_config c;
	struct netns ns;
	struct diag d = {0};
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		netns_config_default(&c, AF_INET);
		if (netns_enter(&c, &ns, &d) < 0) {
			diag_print(stderr, &d, "test_host", NULL);
			_exit(d.status);
		}
		netns_close(&ns);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}

#define CASE(f, c) cmocka_unit_test_prestate(f, (void *)&(c))

int main(void)
{
	const struct CMUnitTest pure[] = {
	    cmocka_unit_test(test_state_names),
	    cmocka_unit_test(test_state_spellings),
	    cmocka_unit_test(test_kernel_states),
	    cmocka_unit_test(test_netmask),
	};
	const struct CMUnitTest kernel[] = {
	    CASE(test_netns_setup, case_v4),
	    CASE(test_netns_setup, case_v6),
	    CASE(test_corpus_routes, corpus_v4),
	    CASE(test_corpus_routes, corpus_v6),
	    CASE(test_corpus_routes, corpus_mapped),
	    CASE(test_sniff_syn, case_v4),
	    CASE(test_sniff_syn, case_v6),
	    CASE(test_sniff_syn, case_mapped),
	    CASE(test_no_overflow, case_v4),
	    CASE(test_overflow_without_drain, case_v4),
	    CASE(test_listen_and_closed, case_v4),
	    CASE(test_listen_and_closed, case_v6),
	    CASE(test_listen_and_closed, case_mapped),
	    CASE(test_active_close, case_v4),
	    CASE(test_active_close, case_v6),
	    CASE(test_active_close, case_mapped),
	    CASE(test_passive_close, case_v4),
	    CASE(test_passive_close, case_v6),
	    CASE(test_passive_close, case_mapped),
	    CASE(test_simultaneous_close, case_v4),
	    CASE(test_simultaneous_close, case_v6),
	    CASE(test_simultaneous_close, case_mapped),
	    CASE(test_fd_time_wait, case_v4),
	    CASE(test_fd_time_wait, case_v6),
	    CASE(test_fd_time_wait, case_mapped),
	    CASE(test_fd_time_wait_untracked, case_v4),
	    CASE(test_offload, case_v4),
	    CASE(test_offload, case_v6),
	};
	int failed =
	    cmocka_run_group_tests_name("host: names", pure, NULL, NULL);
	int probe = probe_kernel();

	if (probe == EXIT_SKIP) {
		fprintf(stderr, "test_host: kernel cases skipped\n");
		return failed ? 1 : EXIT_SKIP;
	}
	failed +=
	    cmocka_run_group_tests_name("host: kernel", kernel, NULL, NULL);
	return failed ? 1 : 0;
}
