/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <tcpcheck/stack.h>: the interface between tcpcheck and a TCP stack it
 * tests as a plugin (tcpcheck --stack=PATH|NAME). See tcpcheck-stack(3).
 *
 * A plugin is a shared object with one entry point,
 *
 *     int tcpcheck_stack_init(struct tcpcheck_stack_ops *ops);
 *
 * which fills the table (tcpcheck zeroes it first) and returns 0. tcpcheck
 * loads it once per run, in a process of the run's own, opens one stack
 * in that process (never a second, even after close), and calls it from
 * one thread only. Everything a plugin gets and gives uses Linux's (glibc's)
 * numbers: AF_INET, SOCK_STREAM, SOL_SOCKET, SO_LINGER, O_NONBLOCK, errno
 * values, struct sockaddr_in/in6; a stack with other numbers translates.
 *
 * Time: tcpcheck owns the clock. With TCPCHECK_STACK_VIRTUAL_TIME the stack
 * reads no clock of its own: it is told the time by advance(), inject()
 * and every socket call happen at the time of the last advance(), and
 * tcpcheck jumps from one event to the next without sleeping. A stack
 * without the flag runs on CLOCK_MONOTONIC and its own timers, and is
 * judged with tolerances as the kernel is.
 *
 * Addresses: cfg's are those of the wire (cfg->family); the addresses of
 * socket calls and of tcp_state_tuple are those of the script's sockets,
 * which in an ipv4-mapped-ipv6 run are AF_INET6 with ::ffff:a.b.c.d on an
 * IPv4 wire. Datagrams the stack sends that are not of the script's TCP
 * connection (neighbour discovery, other ports) are ignored.
 */
#ifndef TCPCHECK_STACK_H
#define TCPCHECK_STACK_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The interface's version. A plugin sets ops->version to the value it was
 * built with; tcpcheck refuses a plugin of a version it does not know.
 * Version 1 is this file. */
#define TCPCHECK_STACK_VERSION 1

/* The entry point's name, for dlsym. */
#define TCPCHECK_STACK_INIT "tcpcheck_stack_init"

/* The 11 states of RFC 9293 section 3.3.2, as tcp_state() and
 * tcp_state_tuple() report them. */
enum tcpcheck_tcp_state {
	TCPCHECK_CLOSED = 0,
	TCPCHECK_LISTEN,
	TCPCHECK_SYN_SENT,
	TCPCHECK_SYN_RECV,
	TCPCHECK_ESTABLISHED,
	TCPCHECK_FIN_WAIT_1,
	TCPCHECK_FIN_WAIT_2,
	TCPCHECK_CLOSE_WAIT,
	TCPCHECK_CLOSING,
	TCPCHECK_LAST_ACK,
	TCPCHECK_TIME_WAIT,
};

/* ops->flags */
#define TCPCHECK_STACK_VIRTUAL_TIME 0x1u

/* A socket call on a blocking socket that would sleep returns this
 * (not -1): tcpcheck calls it again, with the same arguments (buffers at
 * the same addresses), after each later step of the clock, inject() or
 * socket call, until it returns something else; the stack then answers
 * as the first call would have when it woke up. A call on a non-blocking
 * socket never returns it (-1 with EAGAIN, EINPROGRESS...). What ends a
 * sleep on a timer of the stack's own (SO_RCVTIMEO, a linger time) is a
 * timer like any other: advance() reports it. */
#define TCPCHECK_STACK_ASLEEP (-2)

/* What tcpcheck gives the stack at open(). */
struct tcpcheck_stack_host {
	void *ctx; /* the first argument of the functions below */
	/* The stack sends one IP datagram (an IPv4 or IPv6 header first, no
	 * link-layer header). tcpcheck copies it before returning. With
	 * virtual time it is sent at the time of the last advance(); without,
	 * when output() is called (which may then be from any thread). */
	void (*output)(void *ctx, const void *datagram, size_t len);
	/* One line of the stack's own log, printed with tcpcheck -v. */
	void (*log)(void *ctx, const char *line);
};

/* The run's network, as tcpcheck's script options set it. */
struct tcpcheck_stack_config {
	int family; /* AF_INET or AF_INET6: the datagrams' IP version */
	/* The stack's address and the tool's (the peer's), port 0, in family;
	 * the peer is on the same link (prefix_len) or behind gateway. */
	struct sockaddr_storage local;
	struct sockaddr_storage remote;
	struct sockaddr_storage gateway; /* ss_family 0: none */
	unsigned int prefix_len;
	unsigned int mtu;
	/* Seed for whatever the stack draws at random (ISNs, ports): the same
	 * seed must give the same run, byte for byte. */
	uint64_t seed;
	/* --stack-options=TEXT, or NULL: the plugin's own settings. */
	const char *options;
};

/*
 * The operations. Socket calls have POSIX meaning, with the stack's handle
 * first: they return what the call returns, or -1 with errno set, or
 * TCPCHECK_STACK_ASLEEP. File descriptors are the stack's own numbers; any
 * non-negative int will do. An operation left NULL is a call the stack
 * does not have: a script that makes it fails with "the stack has no
 * CALL". Only version, name, open, close, inject and one of tcp_state or
 * tcp_state_tuple are required, and advance with virtual time.
 */
struct tcpcheck_stack_ops {
	unsigned int version; /* TCPCHECK_STACK_VERSION */
	const char *name;     /* shown in logs: "lwip 2.1.3" */
	unsigned int flags;   /* TCPCHECK_STACK_* */

	/* Make a fresh stack with an interface up on cfg's network; NULL and
	 * a message in err (errlen >= 1; tcpcheck reads it up to its NUL or
	 * errlen) on failure. The result is the handle. host->output may be
	 * called from here on: what is sent during open() has the start
	 * time. */
	void *(*open)(const struct tcpcheck_stack_config *cfg,
		      const struct tcpcheck_stack_host *host, char *err,
		      size_t errlen);
	/* Free everything: nothing is sent after it. */
	void (*close)(void *stack);

	/* Virtual time (then required): run everything due at or before now
	 * (nanoseconds; the first call, right after open(), gives the start,
	 * which is arbitrary) and return when the next timer is due, or -1
	 * if none is armed; a time not after now counts as now + 1 ns.
	 * tcpcheck calls it with every time at which the stack said a timer
	 * is due, in order, so each timer runs at its exact time; with the
	 * time of every script event; and, with the same time again, after
	 * every inject() and socket call, to learn what they armed. Without
	 * virtual time it may be NULL, or is called about every millisecond
	 * with the current time while tcpcheck waits. */
	int64_t (*advance)(void *stack, int64_t now);

	/* A datagram from the peer arrives (an IP header first). 0, or -1
	 * with errno when the stack cannot take it (not when it drops it as
	 * TCP says): the run then ends with an internal error. */
	int (*inject)(void *stack, const void *datagram, size_t len);

	/* The TCP state of the connection behind fd (a listener: LISTEN;
	 * a socket not yet connected: CLOSED), or -1 with errno (EBADF).
	 * It answers tcp_state(fd) in a script; without it that form is a
	 * usage error. */
	int (*tcp_state)(void *stack, int fd);
	/* The state of the connection from local to remote, with or without
	 * an fd (SYN_RECV before accept, TIME_WAIT after close); remote NULL
	 * asks for a listener on local. A connection the stack does not know
	 * is TCPCHECK_CLOSED. It answers tcp_state() without an fd, and the
	 * state trace of tcp_states() samples it at every step of time;
	 * without it those are usage errors. */
	int (*tcp_state_tuple)(void *stack, const struct sockaddr *local,
			       const struct sockaddr *remote);

	int (*socket)(void *stack, int domain, int type, int protocol);
	int (*bind)(void *stack, int fd, const struct sockaddr *addr,
		    socklen_t len);
	int (*listen)(void *stack, int fd, int backlog);
	int (*accept)(void *stack, int fd, struct sockaddr *addr,
		      socklen_t *len);
	int (*connect)(void *stack, int fd, const struct sockaddr *addr,
		       socklen_t len);
	ssize_t (*read)(void *stack, int fd, void *buf, size_t len);
	ssize_t (*write)(void *stack, int fd, const void *buf, size_t len);
	ssize_t (*readv)(void *stack, int fd, const struct iovec *iov,
			 int iovcnt);
	ssize_t (*writev)(void *stack, int fd, const struct iovec *iov,
			  int iovcnt);
	ssize_t (*send)(void *stack, int fd, const void *buf, size_t len,
			int flags);
	ssize_t (*recv)(void *stack, int fd, void *buf, size_t len,
			int flags);
	ssize_t (*sendto)(void *stack, int fd, const void *buf, size_t len,
			  int flags, const struct sockaddr *addr,
			  socklen_t addrlen);
	ssize_t (*recvfrom)(void *stack, int fd, void *buf, size_t len,
			    int flags, struct sockaddr *addr,
			    socklen_t *addrlen);
	ssize_t (*sendmsg)(void *stack, int fd, const struct msghdr *msg,
			   int flags);
	ssize_t (*recvmsg)(void *stack, int fd, struct msghdr *msg,
			   int flags);
	int (*close_fd)(void *stack, int fd); /* close() */
	int (*shutdown)(void *stack, int fd, int how);
	int (*getsockopt)(void *stack, int fd, int level, int name,
			  void *value, socklen_t *len);
	int (*setsockopt)(void *stack, int fd, int level, int name,
			  const void *value, socklen_t len);
	/* F_GETFL and F_SETFL (O_NONBLOCK) at least; arg is the third
	 * argument, 0 when there is none. */
	int (*fcntl)(void *stack, int fd, int cmd, long arg);
	/* Always called with timeout 0: tcpcheck waits, in its own time,
	 * for a poll the script gives a timeout. */
	int (*poll)(void *stack, struct pollfd *fds, nfds_t nfds);
};

/* The entry point every plugin defines (0: the table is filled; anything
 * else: tcpcheck refuses the plugin), exported even when the plugin
 * is built with -fvisibility=hidden:
 *     TCPCHECK_STACK_EXPORT int tcpcheck_stack_init(...) { ... } */
#define TCPCHECK_STACK_EXPORT __attribute__((visibility("default")))
TCPCHECK_STACK_EXPORT int tcpcheck_stack_init(struct tcpcheck_stack_ops *ops);

#ifdef __cplusplus
}
#endif

#endif
