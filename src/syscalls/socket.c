/* Socket life cycle calls: socket, bind, listen, accept, connect, close,
 * shutdown. */
#include "syscalls/internal.h"

#include <sys/socket.h>
#include <unistd.h>

static long do_socket(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return socket((int)o->arg[0], (int)o->arg[1], (int)o->arg[2]);
}

static long do_bind(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return bind((int)o->arg[0], o->ptr[1], (socklen_t)o->arg[2]);
}

static long do_listen(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return listen((int)o->arg[0], (int)o->arg[1]);
}

static long do_accept(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return accept((int)o->arg[0], o->ptr[1], o->ptr[2]);
}

static long do_connect(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return connect((int)o->arg[0], o->ptr[1], (socklen_t)o->arg[2]);
}

static long do_close(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return close((int)o->arg[0]);
}

static long do_shutdown(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return shutdown((int)o->arg[0], (int)o->arg[1]);
}

const struct syscall_def syscalls_socket_defs[] = {
	{.name = "socket",
	 .min_args = 3,
	 .max_args = 3,
	 .kinds = {ARG_DOMAIN, ARG_INT, ARG_INT},
	 .returns_fd = true,
	 .perform = do_socket},
	{.name = "bind",
	 .min_args = 3,
	 .max_args = 3,
	 .kinds = {ARG_FD, ARG_ADDR_LOCAL, ARG_ADDRLEN_IN},
	 .perform = do_bind},
	{.name = "listen",
	 .min_args = 2,
	 .max_args = 2,
	 .kinds = {ARG_FD, ARG_INT},
	 .perform = do_listen},
	{.name = "accept",
	 .min_args = 3,
	 .max_args = 3,
	 .kinds = {ARG_FD, ARG_ADDR_OUT, ARG_ADDRLEN_OUT},
	 .returns_fd = true,
	 .perform = do_accept},
	{.name = "connect",
	 .min_args = 3,
	 .max_args = 3,
	 .kinds = {ARG_FD, ARG_ADDR_REMOTE, ARG_ADDRLEN_IN},
	 .perform = do_connect},
	{.name = "close",
	 .min_args = 1,
	 .max_args = 1,
	 .kinds = {ARG_FD},
	 .closes_fd = true,
	 .perform = do_close},
	{.name = "shutdown",
	 .min_args = 2,
	 .max_args = 2,
	 .kinds = {ARG_FD, ARG_INT},
	 .perform = do_shutdown},
	{.name = NULL},
};
