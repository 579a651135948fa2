/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The lwIP plugin's view of TCP states: read off lwIP's pcbs, per socket
 * and per address pair, and the sweep that keeps netconns from pointing at
 * pcbs lwIP freed. All with the core lock held, but the two ops.
 */
#include <errno.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "lwip/api.h"
#include "lwip/opt.h"
#include "lwip/priv/sockets_priv.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#include "stacks/lwip/lwip_plugin.h"

struct netconn *tcpstate_conn(int fd)
{
	struct lwip_sock *s = lwip_socket_dbg_get_socket(fd);

	return s != NULL ? s->conn : NULL;
}

bool tcpstate_is_tcp(const struct netconn *conn)
{
	return conn != NULL && NETCONNTYPE_GROUP(conn->type) == NETCONN_TCP;
}

static bool pcb_on_list(const struct tcp_pcb *list, const void *pcb)
{
	for (; list != NULL; list = list->next)
		if ((const void *)list == pcb)
			return true;
	return false;
}

/* A pcb lwIP knows: bound, listening, connected or in TIME_WAIT. */
bool tcpstate_pcb_listed(const void *pcb)
{
	const struct tcp_pcb_listen *l;

	for (l = tcp_listen_pcbs.listen_pcbs; l != NULL; l = l->next)
		if ((const void *)l == pcb)
			return true;
	return pcb_on_list(tcp_active_pcbs, pcb) ||
	       pcb_on_list(tcp_tw_pcbs, pcb) ||
	       pcb_on_list(tcp_bound_pcbs, pcb);
}

/*
 * lwIP frees a pcb that leaves TIME_WAIT (and one whose close failed and
 * lost its callbacks) without telling the netconn that holds it: the
 * netconn's pointer dangles, and the socket's close would then work on
 * freed memory. After input and timers, a pcb that was on a list and is
 * on none is such a one: the netconn forgets it, as it would a reset one.
 */
void tcpstate_sweep(struct lwip_stack *st)
{
	for (size_t fd = 0; fd < st->nfds; fd++) {
		struct sockfd *sfd = &st->fds[fd];
		struct netconn *conn;
		void *pcb;

		if (!sfd->open)
			continue;
		conn = tcpstate_conn((int)fd);
		if (!tcpstate_is_tcp(conn))
			continue;
		pcb = conn->pcb.tcp;
		if (pcb == NULL) {
			sfd->pcb_seen = NULL;
		} else if (tcpstate_pcb_listed(pcb)) {
			sfd->pcb_seen = pcb;
		} else if (pcb == sfd->pcb_seen) {
			lwstack_log(st,
				    "fd %zu: lwIP freed its pcb, the netconn "
				    "forgets it",
				    fd);
			conn->pcb.tcp = NULL;
			sfd->pcb_seen = NULL;
		}
	}
}

static int state_from_lwip(enum tcp_state s)
{
	switch (s) {
	case CLOSED:
		return TCPCHECK_CLOSED;
	case LISTEN:
		return TCPCHECK_LISTEN;
	case SYN_SENT:
		return TCPCHECK_SYN_SENT;
	case SYN_RCVD:
		return TCPCHECK_SYN_RECV;
	case ESTABLISHED:
		return TCPCHECK_ESTABLISHED;
	case FIN_WAIT_1:
		return TCPCHECK_FIN_WAIT_1;
	case FIN_WAIT_2:
		return TCPCHECK_FIN_WAIT_2;
	case CLOSE_WAIT:
		return TCPCHECK_CLOSE_WAIT;
	case CLOSING:
		return TCPCHECK_CLOSING;
	case LAST_ACK:
		return TCPCHECK_LAST_ACK;
	case TIME_WAIT:
		return TCPCHECK_TIME_WAIT;
	}
	return TCPCHECK_CLOSED;
}

int tcpstate_of_fd(void *handle, int fd)
{
	struct lwip_stack *st = handle;
	struct netconn *conn;
	int state = TCPCHECK_CLOSED;

	if (sockcall_fd(st, fd) == NULL)
		return -1;
	lwstack_lock();
	conn = tcpstate_conn(fd);
	if (conn == NULL) {
		lwstack_unlock();
		errno = EBADF;
		return -1;
	}
	if (!tcpstate_is_tcp(conn)) {
		lwstack_unlock();
		errno = EOPNOTSUPP;
		return -1;
	}
	/* An unlisted pcb is a new one, CLOSED (or one the sweep has yet
	 * to forget: not to be read). */
	if (conn->pcb.tcp != NULL && tcpstate_pcb_listed(conn->pcb.tcp))
		state = state_from_lwip(conn->pcb.tcp->state);
	lwstack_unlock();
	return state;
}

/* Whether lwIP's address and port are sa's; a wildcard address on either
 * side matches any when wildcard. */
static bool addr_matches(const ip_addr_t *ip, u16_t port,
			 const struct sockaddr *sa, bool wildcard)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		if (ntohs(sin->sin_port) != port)
			return false;
		if (wildcard && (ip_addr_isany(ip) ||
				 sin->sin_addr.s_addr == htonl(INADDR_ANY)))
			return true;
		return !IP_IS_V6(ip) && !IP_IS_ANY_TYPE_VAL(*ip) &&
		       ip4_addr_get_u32(ip_2_ip4(ip)) == sin->sin_addr.s_addr;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		if (ntohs(sin6->sin6_port) != port)
			return false;
		if (wildcard && (ip_addr_isany(ip) ||
				 IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr)))
			return true;
		if (IP_IS_V6(ip))
			return memcmp(ip_2_ip6(ip)->addr, &sin6->sin6_addr,
				      16) == 0;
		/* A v4 connection on a dual-stack socket, asked for by its
		 * v4-mapped address. */
		return !IP_IS_ANY_TYPE_VAL(*ip) &&
		       IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
		       memcmp(&ip4_addr_get_u32(ip_2_ip4(ip)),
			      &sin6->sin6_addr.s6_addr[12], 4) == 0;
	}
	return false;
}

static int find_conn(const struct tcp_pcb *list, const struct sockaddr *local,
		     const struct sockaddr *remote)
{
	for (; list != NULL; list = list->next)
		if (addr_matches(&list->local_ip, list->local_port, local,
				 false) &&
		    addr_matches(&list->remote_ip, list->remote_port, remote,
				 false))
			return state_from_lwip(list->state);
	return -1;
}

int tcpstate_of_tuple(void *handle, const struct sockaddr *local,
		      const struct sockaddr *remote)
{
	const struct tcp_pcb_listen *l;
	int state = -1;

	(void)handle;
	lwstack_lock();
	if (remote == NULL) {
		for (l = tcp_listen_pcbs.listen_pcbs; l != NULL; l = l->next)
			if (addr_matches(&l->local_ip, l->local_port, local,
					 true))
				state = TCPCHECK_LISTEN;
	} else {
		state = find_conn(tcp_active_pcbs, local, remote);
		if (state < 0)
			state = find_conn(tcp_tw_pcbs, local, remote);
	}
	lwstack_unlock();
	return state < 0 ? TCPCHECK_CLOSED : state;
}
