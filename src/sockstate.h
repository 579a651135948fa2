/* Which of the 11 TCP states a connection is in, read from the kernel by
 * fd (TCP_INFO) or by address tuple (NETLINK_SOCK_DIAG). */
#ifndef TCPCHECK_SOCKSTATE_H
#define TCPCHECK_SOCKSTATE_H

#include <stdint.h>
#include <sys/socket.h>

#include "diag.h"

/* RFC 9293 section 3.3.2, in the order of its diagram. */
enum tcp_state_id {
	TCP_STATE_CLOSED,
	TCP_STATE_LISTEN,
	TCP_STATE_SYN_SENT,
	TCP_STATE_SYN_RECV,
	TCP_STATE_ESTABLISHED,
	TCP_STATE_FIN_WAIT_1,
	TCP_STATE_FIN_WAIT_2,
	TCP_STATE_CLOSE_WAIT,
	TCP_STATE_CLOSING,
	TCP_STATE_LAST_ACK,
	TCP_STATE_TIME_WAIT,
	TCP_STATE_COUNT
};

/* The one spelling tcpcheck prints: "CLOSED", "SYN_RECV", "FIN_WAIT_1"...
 * NULL for a value outside the enum. */
const char *sockstate_name(enum tcp_state_id id);

/* Any common spelling, case-insensitive, '-' and '_' alike, an optional
 * "TCP_" prefix: RFC (SYN-RECEIVED, FIN-WAIT-1), kernel and netstat
 * (SYN_RECV, FIN_WAIT1, CLOSE, NEW_SYN_RECV), ss (ESTAB), BSD (SYN_RCVD)
 * and ours. Returns 0, or -1 for anything else. */
int sockstate_parse(const char *name, enum tcp_state_id *id);

/* A kernel TCP_* state number (include/net/tcp_states.h; also what the
 * sock:inet_sock_set_state tracepoint reports). Returns 0, or -1 for a
 * number the kernel does not use. */
int sockstate_from_kernel(int kernel_state, enum tcp_state_id *id);

/* The state of the connection behind fd: TCP_INFO, except that once the
 * connection moved on to a time-wait socket (TIME_WAIT while the fd is
 * still open) its state is looked up there; see sockstate_track_fd. */
int sockstate_of_fd(int fd, enum tcp_state_id *id, struct diag *d);

/* Have the kernel give fd's socket its cookie now (SO_COOKIE), so that a
 * later TIME_WAIT is still found through fd: a time-wait socket inherits
 * the cookie only if it existed by then. Call it when a script gets a TCP
 * fd (socket, accept); sockstate_of_fd does it too. 0, or -1 and errno. */
int sockstate_track_fd(int fd);

/* The state of the connection from local to remote as the kernel's socket
 * tables hold it, with or without an fd: request sockets (SYN_RECV before
 * accept) and time-wait sockets (FIN_WAIT_2 and TIME_WAIT after close)
 * included. family is that of the script's sockets (AF_INET6 for
 * ipv4-mapped-ipv6; AF_UNSPEC looks at both); the addresses may be
 * sockaddr_in or sockaddr_in6, v4-mapped or not. A socket bound to the
 * wildcard address matches any local address. remote NULL asks for the
 * socket with no peer on local (a listener). A connection the kernel
 * does not know is CLOSED. */
int sockstate_of_tuple(int family, const struct sockaddr *local,
		       const struct sockaddr *remote, enum tcp_state_id *id,
		       struct diag *d);

/* The port of a sockaddr_in or sockaddr_in6 in host order (0 for any
 * other family), and setting it: the tuples above are built from them. */
uint16_t sockstate_addr_port(const struct sockaddr_storage *ss);
void sockstate_addr_set_port(struct sockaddr_storage *ss, uint16_t port);

/* Destroy (SOCK_DESTROY over sock_diag) every TCP socket of the current
 * network namespace but time-wait ones: a socket the script closed keeps
 * retransmitting for minutes, and keeps its namespace alive, unless the
 * run ends it. Returns how many it ended, -1 when sock_diag cannot be
 * opened. */
int sockstate_destroy_all(void);

#endif
