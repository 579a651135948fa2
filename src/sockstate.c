/* Which of the 11 TCP states a connection is in, read from the kernel by
 * fd (TCP_INFO) or by address tuple (NETLINK_SOCK_DIAG). */
#include "sockstate.h"

#include <ctype.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Dumps are small (one namespace, a handful of sockets), and the kernel
 * sizes each batch to what we said we can read. */
#define DIAG_BUF_SIZE 16384
#define NAME_MAX_LEN 32

static const char *const state_names[TCP_STATE_COUNT] = {
    [TCP_STATE_CLOSED] = "CLOSED",
    [TCP_STATE_LISTEN] = "LISTEN",
    [TCP_STATE_SYN_SENT] = "SYN_SENT",
    [TCP_STATE_SYN_RECV] = "SYN_RECV",
    [TCP_STATE_ESTABLISHED] = "ESTABLISHED",
    [TCP_STATE_FIN_WAIT_1] = "FIN_WAIT_1",
    [TCP_STATE_FIN_WAIT_2] = "FIN_WAIT_2",
    [TCP_STATE_CLOSE_WAIT] = "CLOSE_WAIT",
    [TCP_STATE_CLOSING] = "CLOSING",
    [TCP_STATE_LAST_ACK] = "LAST_ACK",
    [TCP_STATE_TIME_WAIT] = "TIME_WAIT",
};

/* Spellings other than the canonical ones, after normalization: upper
 * case, '_' for '-', no "TCP_"/"TCPS_" prefix. */
static const struct {
	const char *name;
	enum tcp_state_id id;
} state_aliases[] = {
    {"CLOSE", TCP_STATE_CLOSED},	  /* kernel, netstat */
    {"SYN_RECEIVED", TCP_STATE_SYN_RECV}, /* RFC 9293 */
    {"SYN_RCVD", TCP_STATE_SYN_RECV},	  /* BSD */
    {"NEW_SYN_RECV", TCP_STATE_SYN_RECV}, /* kernel request sockets */
    {"ESTAB", TCP_STATE_ESTABLISHED},	  /* ss */
    {"FIN_WAIT1", TCP_STATE_FIN_WAIT_1},  /* kernel, netstat */
    {"FIN_WAIT2", TCP_STATE_FIN_WAIT_2},
};

/* The kernel's numbering (include/net/tcp_states.h); userspace headers
 * lack the newer ones. */
enum {
	KTCP_ESTABLISHED = 1,
	KTCP_SYN_SENT,
	KTCP_SYN_RECV,
	KTCP_FIN_WAIT1,
	KTCP_FIN_WAIT2,
	KTCP_TIME_WAIT,
	KTCP_CLOSE,
	KTCP_CLOSE_WAIT,
	KTCP_LAST_ACK,
	KTCP_LISTEN,
	KTCP_CLOSING,
	KTCP_NEW_SYN_RECV,   /* a request socket: SYN_RECV before accept */
	KTCP_BOUND_INACTIVE, /* bound, never listened or connected (6.7+) */
	KTCP_MAX_STATES
};

static const enum tcp_state_id kernel_states[KTCP_MAX_STATES] = {
    [KTCP_ESTABLISHED] = TCP_STATE_ESTABLISHED,
    [KTCP_SYN_SENT] = TCP_STATE_SYN_SENT,
    [KTCP_SYN_RECV] = TCP_STATE_SYN_RECV,
    [KTCP_FIN_WAIT1] = TCP_STATE_FIN_WAIT_1,
    [KTCP_FIN_WAIT2] = TCP_STATE_FIN_WAIT_2,
    [KTCP_TIME_WAIT] = TCP_STATE_TIME_WAIT,
    [KTCP_CLOSE] = TCP_STATE_CLOSED,
    [KTCP_CLOSE_WAIT] = TCP_STATE_CLOSE_WAIT,
    [KTCP_LAST_ACK] = TCP_STATE_LAST_ACK,
    [KTCP_LISTEN] = TCP_STATE_LISTEN,
    [KTCP_CLOSING] = TCP_STATE_CLOSING,
    [KTCP_NEW_SYN_RECV] = TCP_STATE_SYN_RECV,
    [KTCP_BOUND_INACTIVE] = TCP_STATE_CLOSED,
};

const char *sockstate_name(enum tcp_state_id id)
{
	if ((unsigned int)id >= TCP_STATE_COUNT)
		return NULL;
	return state_names[id];
}

/* Upper case, '-' as '_', without a "TCP_" or "TCPS_" prefix; -1 when it
 * cannot be a state name at all. */
static int normalize_name(const char *name, char *out, size_t size)
{
	size_t len = strlen(name);
	const char *p;

	if (len == 0 || len >= size)
		return -1;
	for (size_t i = 0; i <= len; i++)
		out[i] = name[i] == '-' ? '_'
					: (char)toupper((unsigned char)name[i]);
	p = out;
	if (strncmp(p, "TCP_", 4) == 0)
		p += 4;
	else if (strncmp(p, "TCPS_", 5) == 0)
		p += 5;
	memmove(out, p, strlen(p) + 1);
	return out[0] ? 0 : -1;
}

int sockstate_parse(const char *name, enum tcp_state_id *id)
{
	char norm[NAME_MAX_LEN];

	if (normalize_name(name, norm, sizeof(norm)) < 0)
		return -1;
	for (int i = 0; i < TCP_STATE_COUNT; i++) {
		if (strcmp(norm, state_names[i]) == 0) {
			*id = (enum tcp_state_id)i;
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(state_aliases) / sizeof(state_aliases[0]);
	     i++) {
		if (strcmp(norm, state_aliases[i].name) == 0) {
			*id = state_aliases[i].id;
			return 0;
		}
	}
	return -1;
}

int sockstate_from_kernel(int kernel_state, enum tcp_state_id *id)
{
	if (kernel_state < KTCP_ESTABLISHED || kernel_state >= KTCP_MAX_STATES)
		return -1;
	*id = kernel_states[kernel_state];
	return 0;
}

/* One end of a connection as compared: v4-mapped IPv6 folded to IPv4,
 * since the kernel shows the same connection either way depending on
 * which socket (request, full, time-wait) holds it. */
struct tuple_end {
	int family;
	uint8_t addr[16];
	uint16_t port; /* host order */
};

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
					    0, 0, 0, 0, 0xff, 0xff};

static void end_set(struct tuple_end *e, int family, const void *addr,
		    uint16_t port)
{
	memset(e, 0, sizeof(*e));
	e->port = port;
	if (family == AF_INET6 &&
	    memcmp(addr, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		e->family = AF_INET;
		memcpy(e->addr, (const uint8_t *)addr + 12, 4);
		return;
	}
	e->family = family;
	memcpy(e->addr, addr, family == AF_INET6 ? 16 : 4);
}

static int end_from_sockaddr(struct tuple_end *e, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		end_set(e, AF_INET, &in->sin_addr, ntohs(in->sin_port));
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)sa;

		end_set(e, AF_INET6, &in6->sin6_addr, ntohs(in6->sin6_port));
		return 0;
	}
	return -1;
}

static bool end_addr_is_any(const struct tuple_end *e)
{
	static const uint8_t zero[16];

	return memcmp(e->addr, zero, sizeof(zero)) == 0;
}

/* A socket bound to the wildcard address (a listener on 0.0.0.0 or ::)
 * serves every local address; so does a wildcard in the question. */
static bool end_addr_matches(const struct tuple_end *want,
			     const struct tuple_end *have)
{
	if (end_addr_is_any(have) || end_addr_is_any(want))
		return true;
	return want->family == have->family &&
	       memcmp(want->addr, have->addr, sizeof(want->addr)) == 0;
}

/* Either a tuple, or the socket cookie of an fd (sockstate_of_fd). */
struct tuple_query {
	struct tuple_end local;
	struct tuple_end remote;
	bool has_remote;
	bool by_cookie;
	uint64_t cookie;
	bool found;
	enum tcp_state_id state;
};

static bool query_matches(const struct tuple_query *q,
			  const struct tuple_end *local,
			  const struct tuple_end *remote)
{
	if (local->port != q->local.port || !end_addr_matches(&q->local, local))
		return false;
	if (!q->has_remote)
		return remote->port == 0;
	return remote->port == q->remote.port &&
	       end_addr_matches(&q->remote, remote) && !end_addr_is_any(remote);
}

static uint64_t diag_cookie(const struct inet_diag_msg *m)
{
	return (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
}

/* Request sockets report SYN_RECV, time-wait sockets their substate
 * (FIN_WAIT_2 or TIME_WAIT), the rest their own state. When several
 * sockets match (a listener sharing its port with a bound one), a live
 * state wins over CLOSED. */
static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tuple_query *q = data;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct tuple_end local, remote;
	enum tcp_state_id state;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return MNL_CB_OK;
	end_set(&local, m->idiag_family, m->id.idiag_src,
		ntohs(m->id.idiag_sport));
	end_set(&remote, m->idiag_family, m->id.idiag_dst,
		ntohs(m->id.idiag_dport));
	if (q->by_cookie ? diag_cookie(m) != q->cookie
			 : !query_matches(q, &local, &remote))
		return MNL_CB_OK;
	if (sockstate_from_kernel(m->idiag_state, &state) < 0)
		return MNL_CB_OK;
	if (!q->found || q->state == TCP_STATE_CLOSED) {
		q->found = true;
		q->state = state;
	}
	return MNL_CB_OK;
}

/* Every state (timewait and request sockets too, which must be asked for
 * by their bits); the kernel filters dumps by the ports in the id, we
 * match the addresses. A listener or a socket merely bound never answers
 * for a connection (a tuple with a peer) or for a closed fd, and leaving
 * them out spares the kernel walks through the machine-wide listener and
 * bind hashes. */
static struct inet_diag_req_v2 *put_request(struct nlmsghdr *nlh,
					    uint16_t type, uint16_t flags,
					    int family)
{
	struct inet_diag_req_v2 *req;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = ~0U;
	/* A dump ignores the cookie in the id; dump_cb compares it. */
	req->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	return req;
}

static void put_dump_request(struct nlmsghdr *nlh, int family,
			     const struct tuple_query *q)
{
	struct inet_diag_req_v2 *req =
	    put_request(nlh, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, family);

	if (q->by_cookie || q->has_remote)
		req->idiag_states &=
		    ~(1U << KTCP_LISTEN | 1U << KTCP_BOUND_INACTIVE);
	req->id.idiag_sport = htons(q->local.port);
	req->id.idiag_dport = htons(q->has_remote ? q->remote.port : 0);
}

/* Send a request and run cb on the answers: every part of a dump, or
 * the one acknowledgement. -1 with errno on failure. */
static int exchange(struct mnl_socket *nl, const struct nlmsghdr *nlh,
		    mnl_cb_t cb, void *data)
{
	char buf[DIAG_BUF_SIZE];
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -1;
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq,
				 mnl_socket_get_portid(nl), cb, data);
	} while (ret == MNL_CB_OK && (nlh->nlmsg_flags & NLM_F_DUMP));
	return ret == MNL_CB_ERROR ? -1 : 0;
}

static struct mnl_socket *open_diag(void)
{
	struct mnl_socket *nl =
	    mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);

	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

static int dump_family(struct mnl_socket *nl, int family, struct tuple_query *q,
		       struct diag *d)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	put_dump_request(nlh, family, q);
	nlh->nlmsg_seq = (unsigned int)time(NULL) + (unsigned int)family;
	if (exchange(nl, nlh, dump_cb, q) == 0)
		return 0;
	/* ENOENT: no sock_diag handler for TCP (tcp_diag not built). */
	return diag_set(d, errno == ENOENT ? EXIT_SKIP : EXIT_INTERNAL, NULL,
			"cannot read TCP sockets over sock_diag: %s",
			strerror(errno));
}

/* A connection's sockets (request, full and time-wait alike) sit in the
 * table of its sockets' family: v4-mapped ones in AF_INET6, with
 * ::ffff:a.b.c.d addresses (seen on 6.18). Unknown: look in both. */
static int tuple_families(int family, int families[2])
{
	if (family == AF_INET || family == AF_INET6) {
		families[0] = family;
		return 1;
	}
	families[0] = AF_INET6;
	families[1] = AF_INET;
	return 2;
}

static int query_init(struct tuple_query *q, int family,
		      const struct sockaddr *local,
		      const struct sockaddr *remote, struct diag *d)
{
	memset(q, 0, sizeof(*q));
	q->has_remote = remote != NULL;
	if (!local || end_from_sockaddr(&q->local, local) < 0 ||
	    (remote && end_from_sockaddr(&q->remote, remote) < 0))
		return diag_set(d, EXIT_INTERNAL, NULL,
				"sockstate: addresses must be IPv4 or IPv6");
	if (q->has_remote && q->remote.family != q->local.family &&
	    !end_addr_is_any(&q->remote))
		return diag_set(d, EXIT_INTERNAL, NULL,
				"sockstate: local and remote address families "
				"differ");
	if (family == AF_INET && q->local.family == AF_INET6)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"sockstate: IPv6 addresses on AF_INET sockets");
	return 0;
}

/* Dump the families in turn until a live match; CLOSED when none. */
static int run_query(struct tuple_query *q, const int *families, int n,
		     enum tcp_state_id *id, struct diag *d)
{
	struct mnl_socket *nl = open_diag();
	int err = 0;

	if (!nl) {
		err = diag_set(d, EXIT_INTERNAL, NULL,
			       "cannot open sock_diag: %s", strerror(errno));
		goto out;
	}
	for (int i = 0; i < n && err == 0; i++) {
		if (q->found && q->state != TCP_STATE_CLOSED)
			break;
		err = dump_family(nl, families[i], q, d);
	}
	if (err == 0)
		*id = q->found ? q->state : TCP_STATE_CLOSED;
out:
	if (nl)
		mnl_socket_close(nl);
	return err;
}

int sockstate_of_tuple(int family, const struct sockaddr *local,
		       const struct sockaddr *remote, enum tcp_state_id *id,
		       struct diag *d)
{
	struct tuple_query q;
	int families[2];

	if (query_init(&q, family, local, remote, d) < 0)
		return -1;
	return run_query(&q, families, tuple_families(family, families), id, d);
}

/* The kernel's socket cookie; asking for it creates it if need be. */
static uint64_t fd_cookie(int fd)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) < 0)
		return 0;
	return cookie;
}

int sockstate_track_fd(int fd)
{
	return fd_cookie(fd) ? 0 : -1;
}

/* When a connection enters TIME_WAIT (or FIN_WAIT_2 after close) the
 * kernel hands it to a small time-wait socket and leaves the fd's socket
 * CLOSED. The time-wait socket inherits the socket cookie if it existed
 * by then, which is how the connection behind the fd is found again. */
static int timewait_state(int fd, uint64_t cookie, enum tcp_state_id *id,
			  struct diag *d)
{
	struct tuple_query q;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int family;

	memset(&q, 0, sizeof(q));
	q.by_cookie = true;
	q.cookie = cookie;
	/* No address, or no port (never bound, never connected): no
	 * connection, CLOSED it is, without a dump. */
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    end_from_sockaddr(&q.local, (struct sockaddr *)&ss) < 0 ||
	    q.local.port == 0)
		return 0;
	family = ss.ss_family;
	return run_query(&q, &family, 1, id, d);
}

int sockstate_of_fd(int fd, enum tcp_state_id *id, struct diag *d)
{
	uint64_t cookie = fd_cookie(fd);
	struct tcp_info info;
	socklen_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0) {
		int err = errno;
		/* The script asked about something that is no TCP socket. */
		bool not_tcp = err == EBADF || err == ENOTSOCK ||
			       err == EOPNOTSUPP || err == ENOPROTOOPT;

		return diag_set(d, not_tcp ? EXIT_FAIL : EXIT_INTERNAL, NULL,
				"cannot read the TCP state of fd %d: %s", fd,
				strerror(err));
	}
	if (len < offsetof(struct tcp_info, tcpi_state) + 1 ||
	    sockstate_from_kernel(info.tcpi_state, id) < 0)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"fd %d: unknown kernel TCP state %u", fd,
				(unsigned int)info.tcpi_state);
	if (*id == TCP_STATE_CLOSED && cookie)
		return timewait_state(fd, cookie, id, d);
	return 0;
}

/* --- teardown: no socket outlives its run ------------------------------ */

#define DESTROY_MAX 256

struct doomed {
	struct inet_diag_sockid id[DESTROY_MAX];
	int count;
};

static int collect_cb(const struct nlmsghdr *nlh, void *data)
{
	struct doomed *dm = data;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	/* Time-wait sockets hold nothing: the namespace's end purges them. */
	if (m->idiag_state == KTCP_TIME_WAIT || dm->count == DESTROY_MAX)
		return MNL_CB_OK;
	dm->id[dm->count++] = m->id;
	return MNL_CB_OK;
}

static int destroy_family(struct mnl_socket *nl, int family,
			  unsigned int *seq)
{
	char buf[512];
	struct doomed dm = {.count = 0};
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	int ended = 0;

	put_request(nlh, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, family);
	nlh->nlmsg_seq = ++*seq;
	if (exchange(nl, nlh, collect_cb, &dm) < 0)
		return 0;
	for (int i = 0; i < dm.count; i++) {
		nlh = mnl_nlmsg_put_header(buf);
		put_request(nlh, SOCK_DESTROY, NLM_F_ACK, family)->id = dm.id[i];
		nlh->nlmsg_seq = ++*seq;
		/* Gone already, or no SOCK_DESTROY in this kernel: the RST
		 * the run sent is all there is. */
		if (exchange(nl, nlh, NULL, NULL) == 0)
			ended++;
	}
	return ended;
}

/* TCP sockets in this namespace's tables ("inuse": listeners, bound and
 * connected ones, orphans; not time-wait), from /proc/net/sockstat(6):
 * a read each, against a netlink socket and two dumps when none is left.
 * -1 when unknown. */
static int tcp_in_use(const char *path, const char *key)
{
	char line[256];
	FILE *f = fopen(path, "re");
	int n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) &&
		    sscanf(line + strlen(key), " inuse %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

int sockstate_destroy_all(void)
{
	struct mnl_socket *nl;
	unsigned int seq = (unsigned int)time(NULL);
	int ended;

	if (tcp_in_use("/proc/net/sockstat", "TCP:") == 0 &&
	    tcp_in_use("/proc/net/sockstat6", "TCP6:") == 0)
		return 0;
	nl = open_diag();
	if (!nl)
		return -1;
	ended = destroy_family(nl, AF_INET, &seq);
	ended += destroy_family(nl, AF_INET6, &seq);
	mnl_socket_close(nl);
	return ended;
}

uint16_t sockstate_addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

void sockstate_addr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}
