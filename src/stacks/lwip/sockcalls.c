/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The lwIP plugin's socket calls: lwIP's own (lwip_*), on sockets that are
 * always non-blocking inside lwIP, with the script's blocking sockets
 * emulated on top (TCPCHECK_STACK_ASLEEP until lwIP has an answer).
 *
 * lwIP's socket calls take the core lock themselves: they are made without
 * it. Reading a netconn or a pcb is done with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "lwip/api.h"
#include "lwip/err.h"
#include "lwip/opt.h"
#include "lwip/priv/sockets_priv.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/sockets.h"
#include "lwip/tcp.h"

#include "stacks/lwip/lwip_plugin.h"

struct sockfd *sockcall_fd(struct lwip_stack *st, int fd)
{
	if (fd < 0 || (size_t)fd >= st->nfds || !st->fds[fd].open) {
		errno = EBADF;
		return NULL;
	}
	return &st->fds[fd];
}

static int fd_register(struct lwip_stack *st, int fd, bool nonblock)
{
	if ((size_t)fd >= st->nfds) {
		size_t n = st->nfds ? st->nfds : 16;
		struct sockfd *fds;

		while (n <= (size_t)fd)
			n *= 2;
		fds = realloc(st->fds, n * sizeof(*fds));
		if (fds == NULL)
			return -1;
		memset(fds + st->nfds, 0, (n - st->nfds) * sizeof(*fds));
		st->fds = fds;
		st->nfds = n;
	}
	memset(&st->fds[fd], 0, sizeof(st->fds[fd]));
	st->fds[fd].open = true;
	st->fds[fd].nonblock = nonblock;
	return 0;
}

/* A new lwIP socket: non-blocking inside lwIP, whatever the script asked. */
static int fd_adopt(struct lwip_stack *st, int fd, bool nonblock)
{
	int e;

	if (lwip_fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ||
	    fd_register(st, fd, nonblock) < 0) {
		e = errno ? errno : ENOMEM;
		lwip_close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* After a call that may have sent: run what lwIP deferred (a packet to
 * the stack's own address loops back through it) and sweep. errno kept. */
static void settle(struct lwip_stack *st)
{
	int e = errno;

	lwstack_lock();
	lwstack_run_deferred(st);
	tcpstate_sweep(st);
	lwstack_unlock();
	errno = e;
}

/* Blocking calls. */

static bool would_block(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK;
}

static void wake(struct sockfd *sfd)
{
	sfd->has_deadline = false;
}

/* A blocking call lwIP cannot answer yet sleeps, for timeout_ms at most
 * (0: no limit); then it fails with EAGAIN, as lwIP's blocking calls do
 * with SO_RCVTIMEO and SO_SNDTIMEO. */
static int sleep_or_give_up(struct lwip_stack *st, struct sockfd *sfd,
			    uint32_t timeout_ms)
{
	if (timeout_ms == 0)
		return TCPCHECK_STACK_ASLEEP;
	if (!sfd->has_deadline) {
		sfd->has_deadline = true;
		sfd->deadline_ms = st->now_ms + timeout_ms;
		return TCPCHECK_STACK_ASLEEP;
	}
	if ((int32_t)(st->now_ms - sfd->deadline_ms) < 0)
		return TCPCHECK_STACK_ASLEEP;
	wake(sfd);
	errno = EAGAIN;
	return -1;
}

bool sockcall_next_deadline(struct lwip_stack *st, uint32_t *ms)
{
	bool any = false;

	for (size_t fd = 0; fd < st->nfds; fd++) {
		const struct sockfd *sfd = &st->fds[fd];

		if (!sfd->open || !sfd->has_deadline)
			continue;
		if (!any || (int32_t)(sfd->deadline_ms - *ms) < 0)
			*ms = sfd->deadline_ms;
		any = true;
	}
	return any;
}

static uint32_t recv_timeout(int fd)
{
	struct netconn *conn;
	uint32_t ms = 0;

	lwstack_lock();
	conn = tcpstate_conn(fd);
	if (conn != NULL)
		ms = conn->recv_timeout;
	lwstack_unlock();
	return ms;
}

static uint32_t send_timeout(int fd)
{
	struct netconn *conn;
	int32_t ms = 0;

	lwstack_lock();
	conn = tcpstate_conn(fd);
	if (conn != NULL)
		ms = conn->send_timeout;
	lwstack_unlock();
	return ms > 0 ? (uint32_t)ms : 0;
}

/* The answer of a receiving call (read, recv, accept...), r from lwIP. */
static ssize_t received(struct lwip_stack *st, int fd, struct sockfd *sfd,
			ssize_t r, int flags)
{
	settle(st);
	if (r >= 0 || !would_block(errno) || sfd->nonblock ||
	    (flags & MSG_DONTWAIT)) {
		wake(sfd);
		return r;
	}
	return sleep_or_give_up(st, sfd, recv_timeout(fd));
}

/* A sending call, as a function of how much of its data to skip. */
struct send_call {
	enum { SEND_BUF, SEND_IOV, SEND_MSG } kind;
	const void *buf;
	size_t len;
	const struct iovec *iov;
	int iovcnt;
	const struct msghdr *msg;
	int flags;
};

/* iov without its first skip bytes, in a new array (*n entries). */
static struct iovec *iov_skip(const struct iovec *iov, int iovcnt, size_t skip,
			      int *n)
{
	struct iovec *out =
	    calloc(iovcnt > 0 ? (size_t)iovcnt : 1, sizeof(*out));
	int k = 0;

	if (out == NULL)
		return NULL;
	for (int i = 0; i < iovcnt; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		out[k].iov_base = (char *)iov[i].iov_base + skip;
		out[k].iov_len = iov[i].iov_len - skip;
		skip = 0;
		k++;
	}
	*n = k;
	return out;
}

static ssize_t send_from(int fd, const struct send_call *c, size_t skip)
{
	struct iovec *iov;
	struct msghdr m;
	ssize_t r;
	int n, e;

	if (c->kind == SEND_BUF)
		return lwip_send(fd, (const char *)c->buf + skip, c->len - skip,
				 c->flags);
	if (skip == 0)
		return c->kind == SEND_IOV ? lwip_writev(fd, c->iov, c->iovcnt)
					   : lwip_sendmsg(fd, c->msg, c->flags);
	iov =
	    iov_skip(c->kind == SEND_IOV ? c->iov : c->msg->msg_iov,
		     c->kind == SEND_IOV ? c->iovcnt : (int)c->msg->msg_iovlen,
		     skip, &n);
	if (iov == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (c->kind == SEND_IOV) {
		r = lwip_writev(fd, iov, n);
	} else {
		m = *c->msg;
		m.msg_iov = iov;
		m.msg_iovlen = (size_t)n;
		r = lwip_sendmsg(fd, &m, c->flags);
	}
	e = errno;
	free(iov);
	errno = e;
	return r;
}

/* A send on a blocking socket sends it all, sleeping while lwIP's send
 * buffer is full; on a non-blocking one, what lwIP takes. */
static ssize_t send_all(struct lwip_stack *st, int fd,
			const struct send_call *c)
{
	struct sockfd *sfd = sockcall_fd(st, fd);
	ssize_t r;
	size_t done;

	if (sfd == NULL)
		return -1;
	if (sfd->nonblock || (c->flags & MSG_DONTWAIT) || c->len == 0) {
		r = send_from(fd, c, 0);
		settle(st);
		return r;
	}
	if (!sfd->writing || sfd->write_len != c->len) {
		sfd->writing = true;
		sfd->write_len = c->len;
		sfd->sent = 0;
	}
	while (sfd->sent < c->len) {
		r = send_from(fd, c, sfd->sent);
		settle(st);
		if (r > 0) {
			sfd->sent += (size_t)r;
			continue;
		}
		if (r < 0 && would_block(errno)) {
			r = sleep_or_give_up(st, sfd, send_timeout(fd));
			if (r == TCPCHECK_STACK_ASLEEP)
				return r;
		}
		/* An error, or SO_SNDTIMEO: what was sent, if anything. */
		done = sfd->sent;
		sfd->writing = false;
		wake(sfd);
		return done > 0 ? (ssize_t)done : r;
	}
	sfd->writing = false;
	wake(sfd);
	return (ssize_t)c->len;
}

static size_t iov_total(const struct iovec *iov, int iovcnt)
{
	size_t n = 0;

	for (int i = 0; i < iovcnt; i++)
		n += iov[i].iov_len;
	return n;
}

/* The calls. */

static int sockcall_socket(void *handle, int domain, int type, int protocol)
{
	struct lwip_stack *st = handle;
	bool nonblock = (type & SOCK_NONBLOCK) != 0;
	int fd;

	/* lwIP takes any other domain for AF_INET6. */
	if (domain != AF_INET && domain != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	fd = lwip_socket(domain, type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC),
			 protocol);
	if (fd < 0)
		return -1;
	return fd_adopt(st, fd, nonblock);
}

static int sockcall_bind(void *handle, int fd, const struct sockaddr *addr,
			 socklen_t len)
{
	if (sockcall_fd(handle, fd) == NULL)
		return -1;
	return lwip_bind(fd, addr, len);
}

static int sockcall_listen(void *handle, int fd, int backlog)
{
	if (sockcall_fd(handle, fd) == NULL)
		return -1;
	return lwip_listen(fd, backlog);
}

static int sockcall_accept(void *handle, int fd, struct sockaddr *addr,
			   socklen_t *len)
{
	struct lwip_stack *st = handle;
	struct sockfd *sfd = sockcall_fd(st, fd);
	int r;

	if (sfd == NULL)
		return -1;
	r = lwip_accept(fd, addr, len);
	if (r < 0)
		return (int)received(st, fd, sfd, r, 0);
	wake(sfd);
	/* Linux: the new socket is blocking, whatever the listener. */
	return fd_adopt(st, r, false);
}

/* A blocking connect sleeps until lwIP's netconn leaves its connecting
 * state: then 0, or the error lwIP keeps for the socket. */
static int connect_outcome(struct lwip_stack *st, int fd, struct sockfd *sfd)
{
	struct netconn *conn;
	err_t err;
	bool connecting, has_pcb;

	settle(st);
	lwstack_lock();
	conn = tcpstate_conn(fd);
	if (conn == NULL) {
		lwstack_unlock();
		sfd->connecting = false;
		errno = EBADF;
		return -1;
	}
	connecting = conn->state == NETCONN_CONNECT;
	err = conn->pending_err;
	has_pcb = conn->pcb.tcp != NULL;
	if (!connecting)
		conn->pending_err = ERR_OK; /* reported here, as SO_ERROR */
	lwstack_unlock();
	if (connecting)
		return TCPCHECK_STACK_ASLEEP;
	sfd->connecting = false;
	if (err != ERR_OK) {
		errno = err_to_errno(err);
		return -1;
	}
	if (!has_pcb) {
		errno = ECONNABORTED;
		return -1;
	}
	return 0;
}

static int sockcall_connect(void *handle, int fd, const struct sockaddr *addr,
			    socklen_t len)
{
	struct lwip_stack *st = handle;
	struct sockfd *sfd = sockcall_fd(st, fd);
	int r;

	if (sfd == NULL)
		return -1;
	if (sfd->connecting)
		return connect_outcome(st, fd, sfd);
	r = lwip_connect(fd, addr, len);
	if (r == 0 || errno != EINPROGRESS || sfd->nonblock) {
		settle(st);
		return r;
	}
	sfd->connecting = true;
	return connect_outcome(st, fd, sfd);
}

static ssize_t sockcall_recv(void *handle, int fd, void *buf, size_t len,
			     int flags)
{
	struct sockfd *sfd = sockcall_fd(handle, fd);

	if (sfd == NULL)
		return -1;
	return received(handle, fd, sfd, lwip_recv(fd, buf, len, flags), flags);
}

static ssize_t sockcall_read(void *handle, int fd, void *buf, size_t len)
{
	return sockcall_recv(handle, fd, buf, len, 0);
}

static ssize_t sockcall_recvfrom(void *handle, int fd, void *buf, size_t len,
				 int flags, struct sockaddr *addr,
				 socklen_t *addrlen)
{
	struct sockfd *sfd = sockcall_fd(handle, fd);

	if (sfd == NULL)
		return -1;
	return received(handle, fd, sfd,
			lwip_recvfrom(fd, buf, len, flags, addr, addrlen),
			flags);
}

static ssize_t sockcall_readv(void *handle, int fd, const struct iovec *iov,
			      int iovcnt)
{
	struct sockfd *sfd = sockcall_fd(handle, fd);

	if (sfd == NULL)
		return -1;
	return received(handle, fd, sfd, lwip_readv(fd, iov, iovcnt), 0);
}

static ssize_t sockcall_recvmsg(void *handle, int fd, struct msghdr *msg,
				int flags)
{
	struct sockfd *sfd = sockcall_fd(handle, fd);

	if (sfd == NULL)
		return -1;
	return received(handle, fd, sfd, lwip_recvmsg(fd, msg, flags), flags);
}

static ssize_t sockcall_send(void *handle, int fd, const void *buf, size_t len,
			     int flags)
{
	struct send_call c = {
	    .kind = SEND_BUF, .buf = buf, .len = len, .flags = flags};

	return send_all(handle, fd, &c);
}

static ssize_t sockcall_write(void *handle, int fd, const void *buf, size_t len)
{
	return sockcall_send(handle, fd, buf, len, 0);
}

static ssize_t sockcall_sendto(void *handle, int fd, const void *buf,
			       size_t len, int flags,
			       const struct sockaddr *addr, socklen_t addrlen)
{
	/* lwIP's sendto on TCP is its send, the address unread. */
	(void)addr;
	(void)addrlen;
	return sockcall_send(handle, fd, buf, len, flags);
}

static ssize_t sockcall_writev(void *handle, int fd, const struct iovec *iov,
			       int iovcnt)
{
	struct send_call c = {.kind = SEND_IOV,
			      .iov = iov,
			      .iovcnt = iovcnt,
			      .len = iov_total(iov, iovcnt)};

	if (iovcnt < 0) {
		errno = EINVAL;
		return -1;
	}
	return send_all(handle, fd, &c);
}

static ssize_t sockcall_sendmsg(void *handle, int fd, const struct msghdr *msg,
				int flags)
{
	struct send_call c = {.kind = SEND_MSG, .msg = msg, .flags = flags};

	if (msg->msg_iovlen > INT_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	c.len = iov_total(msg->msg_iov, (int)msg->msg_iovlen);
	return send_all(handle, fd, &c);
}

/* Whether a blocking close must linger: SO_LINGER on with a time, and data
 * not yet acknowledged. */
static bool linger_pending(int fd, int *seconds)
{
	struct netconn *conn;
	struct tcp_pcb *pcb;
	bool pending = false;

	lwstack_lock();
	conn = tcpstate_conn(fd);
	if (tcpstate_is_tcp(conn) && conn->pcb.tcp != NULL &&
	    tcpstate_pcb_listed(conn->pcb.tcp) &&
	    conn->pcb.tcp->state != LISTEN) {
		pcb = conn->pcb.tcp;
		pending = conn->linger > 0 &&
			  (pcb->unsent != NULL || pcb->unacked != NULL);
		*seconds = conn->linger;
	}
	lwstack_unlock();
	return pending;
}

/*
 * Set the netconn's linger time (SO_LINGER off: -1), but a listener's:
 * lwIP's close of a netconn that lingers reads the pcb's send queues,
 * which a listening pcb has not (its struct is shorter): it reads past it,
 * finds "data" and aborts the listener, which lwIP's own assertion turns
 * into abort(). A listener never lingers here.
 */
static void set_linger(int fd, int seconds)
{
	struct netconn *conn;

	lwstack_lock();
	conn = tcpstate_conn(fd);
	if (conn != NULL) {
		bool listener = tcpstate_is_tcp(conn) &&
				conn->pcb.tcp != NULL &&
				conn->pcb.tcp->state == LISTEN;

		conn->linger = listener ? -1 : (s16_t)seconds;
	}
	lwstack_unlock();
}

/* SO_LINGER as the script set it, but off on a listener (set_linger). */
static void keep_linger(int fd)
{
	struct netconn *conn;
	int seconds = -1;

	lwstack_lock();
	conn = tcpstate_conn(fd);
	if (conn != NULL)
		seconds = conn->linger;
	lwstack_unlock();
	set_linger(fd, seconds);
}

static int sockcall_shutdown(void *handle, int fd, int how)
{
	int r;

	if (sockcall_fd(handle, fd) == NULL)
		return -1;
	if (how == SHUT_RDWR)
		keep_linger(fd);
	r = lwip_shutdown(fd, how);
	settle(handle);
	return r;
}

/*
 * close(). lwIP's blocking close with SO_LINGER sends its FIN, waits for
 * the ACK of everything, and aborts (RST) when the linger time runs out.
 * Its non-blocking netconns cannot wait, so a blocking close does that
 * here: shutdown(SHUT_WR) for the FIN, sleep, then close (with linger 0,
 * lwIP's abort, if time ran out).
 */
static int sockcall_close_fd(void *handle, int fd)
{
	struct lwip_stack *st = handle;
	struct sockfd *sfd = sockcall_fd(st, fd);
	int seconds = 0, r;

	if (sfd == NULL)
		return -1;
	if (!sfd->nonblock && linger_pending(fd, &seconds)) {
		if (!sfd->lingering) {
			sfd->lingering = true;
			sfd->has_deadline = true;
			sfd->deadline_ms =
			    st->now_ms + (uint32_t)seconds * 1000;
			lwip_shutdown(fd, SHUT_WR);
			settle(st);
			return TCPCHECK_STACK_ASLEEP;
		}
		if ((int32_t)(st->now_ms - sfd->deadline_ms) < 0)
			return TCPCHECK_STACK_ASLEEP;
		lwstack_log(st, "fd %d: SO_LINGER time out, abort", fd);
		set_linger(fd, 0);
	}
	sfd->lingering = false;
	wake(sfd);
	keep_linger(fd);
	r = lwip_close(fd);
	if (r == 0)
		sfd->open = false;
	settle(st);
	return r;
}

static int sockcall_getsockopt(void *handle, int fd, int level, int name,
			       void *value, socklen_t *len)
{
	if (sockcall_fd(handle, fd) == NULL)
		return -1;
	return lwip_getsockopt(fd, level, name, value, len);
}

static int sockcall_setsockopt(void *handle, int fd, int level, int name,
			       const void *value, socklen_t len)
{
	int r;

	if (sockcall_fd(handle, fd) == NULL)
		return -1;
	r = lwip_setsockopt(fd, level, name, value, len);
	settle(handle);
	return r;
}

/* The script's O_NONBLOCK, kept here: lwIP's is always on. */
static int sockcall_fcntl(void *handle, int fd, int cmd, long arg)
{
	struct sockfd *sfd = sockcall_fd(handle, fd);

	if (sfd == NULL)
		return -1;
	switch (cmd) {
	case F_GETFL:
		return O_RDWR | (sfd->nonblock ? O_NONBLOCK : 0);
	case F_SETFL:
		sfd->nonblock = (arg & O_NONBLOCK) != 0;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

static int sockcall_poll(void *handle, struct pollfd *fds, nfds_t nfds)
{
	(void)handle;
	return lwip_poll(fds, nfds, 0);
}

void sockcall_close_all(struct lwip_stack *st)
{
	for (size_t fd = 0; fd < st->nfds; fd++) {
		if (!st->fds[fd].open)
			continue;
		/* Linger 0: lwIP aborts what has data in flight instead of
		 * refusing a non-blocking close. */
		set_linger((int)fd, 0);
		lwip_close((int)fd);
		st->fds[fd].open = false;
	}
}

void sockcall_fill_ops(struct tcpcheck_stack_ops *ops)
{
	ops->tcp_state = tcpstate_of_fd;
	ops->tcp_state_tuple = tcpstate_of_tuple;
	ops->socket = sockcall_socket;
	ops->bind = sockcall_bind;
	ops->listen = sockcall_listen;
	ops->accept = sockcall_accept;
	ops->connect = sockcall_connect;
	ops->read = sockcall_read;
	ops->write = sockcall_write;
	ops->readv = sockcall_readv;
	ops->writev = sockcall_writev;
	ops->send = sockcall_send;
	ops->recv = sockcall_recv;
	ops->sendto = sockcall_sendto;
	ops->recvfrom = sockcall_recvfrom;
	ops->sendmsg = sockcall_sendmsg;
	ops->recvmsg = sockcall_recvmsg;
	ops->close_fd = sockcall_close_fd;
	ops->shutdown = sockcall_shutdown;
	ops->getsockopt = sockcall_getsockopt;
	ops->setsockopt = sockcall_setsockopt;
	ops->fcntl = sockcall_fcntl;
	ops->poll = sockcall_poll;
}
