/* Data calls: read, write, send, recv, sendto, recvfrom. Payload bytes are
 * zeros going out and are not looked at coming in. */
#include "syscalls/internal.h"

#include <sys/socket.h>
#include <unistd.h>

static long do_read(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return read((int)o->arg[0], o->ptr[1], (size_t)o->arg[2]);
}

static long do_write(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return write((int)o->arg[0], o->ptr[1], (size_t)o->arg[2]);
}

static long do_send(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return send((int)o->arg[0], o->ptr[1], (size_t)o->arg[2],
		    (int)o->arg[3]);
}

static long do_recv(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return recv((int)o->arg[0], o->ptr[1], (size_t)o->arg[2],
		    (int)o->arg[3]);
}

static long do_sendto(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return sendto((int)o->arg[0], o->ptr[1], (size_t)o->arg[2],
		      (int)o->arg[3], o->ptr[4], (socklen_t)o->arg[5]);
}

static long do_recvfrom(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return recvfrom((int)o->arg[0], o->ptr[1], (size_t)o->arg[2],
			(int)o->arg[3], o->ptr[4], o->ptr[5]);
}

const struct syscall_def syscalls_io_defs[] = {
	{.name = "read",
	 .min_args = 3,
	 .max_args = 3,
	 .kinds = {ARG_FD, ARG_BUF_OUT, ARG_INT},
	 .perform = do_read},
	{.name = "write",
	 .min_args = 3,
	 .max_args = 3,
	 .kinds = {ARG_FD, ARG_BUF_IN, ARG_INT},
	 .perform = do_write},
	{.name = "send",
	 .min_args = 4,
	 .max_args = 4,
	 .kinds = {ARG_FD, ARG_BUF_IN, ARG_INT, ARG_INT},
	 .perform = do_send},
	{.name = "recv",
	 .min_args = 4,
	 .max_args = 4,
	 .kinds = {ARG_FD, ARG_BUF_OUT, ARG_INT, ARG_INT},
	 .perform = do_recv},
	{.name = "sendto",
	 .min_args = 6,
	 .max_args = 6,
	 .kinds = {ARG_FD, ARG_BUF_IN, ARG_INT, ARG_INT, ARG_ADDR_REMOTE,
		   ARG_ADDRLEN_IN},
	 .perform = do_sendto},
	{.name = "recvfrom",
	 .min_args = 6,
	 .max_args = 6,
	 .kinds = {ARG_FD, ARG_BUF_OUT, ARG_INT, ARG_INT, ARG_ADDR_OUT,
		   ARG_ADDRLEN_OUT},
	 .perform = do_recvfrom},
	{.name = NULL},
};
