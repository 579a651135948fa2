/* SPDX-License-Identifier: BSD-2-Clause */
/* The lwIP plugin's shared state: one lwIP stack per process, driven from
 * tcpcheck's single thread with no tcpip thread. */
#ifndef TCPCHECK_STACKS_LWIP_PLUGIN_H
#define TCPCHECK_STACKS_LWIP_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/netif.h"
#include "lwip/opt.h"
#include "lwip/tcpip.h"

#include "tcpcheck/stack.h"

/* What the plugin keeps per lwIP socket: the script's view of it, and the
 * progress of a blocking call that sleeps (tcpcheck repeats the call until
 * it stops answering TCPCHECK_STACK_ASLEEP). */
struct sockfd {
	bool open;
	bool nonblock;	 /* the script's O_NONBLOCK; lwIP's is always set */
	bool connecting; /* a blocking connect() sleeps */
	bool lingering;	 /* a blocking close() waits for its data's ACK */
	/* A blocking write of len bytes sleeps after sending sent of them. */
	bool writing;
	size_t write_len;
	size_t sent;
	/* When a sleeping call gives up (SO_LINGER, SO_RCVTIMEO,
	 * SO_SNDTIMEO), in lwIP milliseconds; meaningful when has_deadline. */
	bool has_deadline;
	uint32_t deadline_ms;
	/* The pcb last seen on one of lwIP's pcb lists, to notice when lwIP
	 * frees it without telling the netconn (see sockcall_sweep). */
	void *pcb_seen;
};

/* A callback lwIP hands to the tcpip thread it thinks it has. */
struct deferred_call {
	tcpip_callback_fn fn;
	void *ctx;
};

#define DEFERRED_MAX 64

struct lwip_stack {
	struct tcpcheck_stack_host host;
	int family;
	bool debug;
	bool closing; /* close() runs: output is dropped */
	struct netif netif;

	/* Virtual time: lwIP's milliseconds since the first advance(),
	 * which happened at origin_ns. */
	bool started;
	int64_t origin_ns;
	uint32_t now_ms;

	unsigned char *outbuf; /* a chained pbuf made contiguous */
	size_t outcap;

	struct sockfd *fds; /* indexed by lwIP's fd */
	size_t nfds;

	struct deferred_call deferred[DEFERRED_MAX];
	size_t ndeferred;
};

/* lwip.c */
void lwstack_log(struct lwip_stack *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void lwstack_lock(void);
void lwstack_unlock(void);
/* Run what lwIP deferred to its tcpip thread; with the core lock held. */
void lwstack_run_deferred(struct lwip_stack *st);

/* sockcalls.c */
void sockcall_fill_ops(struct tcpcheck_stack_ops *ops);
/* The plugin's record of fd, or NULL and EBADF. */
struct sockfd *sockcall_fd(struct lwip_stack *st, int fd);
/* The earliest deadline of a sleeping call, if any. */
bool sockcall_next_deadline(struct lwip_stack *st, uint32_t *ms);
/* Close every socket still open (stack close). */
void sockcall_close_all(struct lwip_stack *st);

/* tcpstate.c (the core lock held) */
struct netconn *tcpstate_conn(int fd);
bool tcpstate_is_tcp(const struct netconn *conn);
/* Whether lwIP has pcb on one of its lists (a pcb on none is new, or freed). */
bool tcpstate_pcb_listed(const void *pcb);
/* Forget a netconn's pcb that lwIP freed behind its back: after input,
 * timers and socket calls. */
void tcpstate_sweep(struct lwip_stack *st);
/* ops->tcp_state and ops->tcp_state_tuple (they take the lock). */
int tcpstate_of_fd(void *stack, int fd);
int tcpstate_of_tuple(void *stack, const struct sockaddr *local,
		      const struct sockaddr *remote);

#endif
