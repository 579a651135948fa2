/* A stack plugin for tests/stacks.test whose close() crashes: a crash in
 * a run's tear-down, after its verdict, must not pass unseen. It takes
 * every datagram, sends nothing, and knows no connection. */
#include <stdlib.h>

#include "tcpcheck/stack.h"

static int handle;

static void *dying_open(const struct tcpcheck_stack_config *cfg,
			const struct tcpcheck_stack_host *host, char *err,
			size_t errlen)
{
	(void)cfg;
	(void)host;
	(void)err;
	(void)errlen;
	return &handle;
}

static void dying_close(void *stack)
{
	(void)stack;
	abort();
}

static int64_t dying_advance(void *stack, int64_t now)
{
	(void)stack;
	(void)now;
	return -1;
}

static int dying_inject(void *stack, const void *datagram, size_t len)
{
	(void)stack;
	(void)datagram;
	(void)len;
	return 0;
}

static int dying_state(void *stack, const struct sockaddr *local,
		       const struct sockaddr *remote)
{
	(void)stack;
	(void)local;
	(void)remote;
	return TCPCHECK_CLOSED;
}

TCPCHECK_STACK_EXPORT int tcpcheck_stack_init(struct tcpcheck_stack_ops *ops)
{
	ops->version = TCPCHECK_STACK_VERSION;
	ops->name = "dying";
	ops->flags = TCPCHECK_STACK_VIRTUAL_TIME;
	ops->open = dying_open;
	ops->close = dying_close;
	ops->advance = dying_advance;
	ops->inject = dying_inject;
	ops->tcp_state_tuple = dying_state;
	return 0;
}
