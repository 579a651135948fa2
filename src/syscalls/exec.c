/* Running a prepared call: turn script arguments into live ones (fds,
 * addresses, buffers), make the call, time it. */
#include "syscalls/internal.h"

#include "plugin.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

/* "..." in bind is the stack's address, in connect/sendto the tool's; an
 * address family instead of "..." keeps the address but not its family
 * (sendto(..., AF_UNSPEC, ...) tests the kernel's check of it). */
static void resolve_addr_in(const struct prepared_arg *a,
			    const struct sockaddr_storage *addr, socklen_t len,
			    struct call_outcome *out, size_t i)
{
	if (a->shape == SHAPE_NULL) {
		out->ptr[i] = NULL;
		out->addr_len = 0;
		return;
	}
	memcpy(&out->addr, addr, sizeof(out->addr));
	out->addr_len = len;
	if (a->shape == SHAPE_INT)
		out->addr.ss_family = (sa_family_t)a->num;
	out->ptr[i] = &out->addr;
}

/* A "..." buffer: zero bytes to send, or room to receive into. */
static int resolve_buffer(const struct prepared_call *pc, size_t i,
			  struct call_outcome *out)
{
	size_t size;

	if (pc->arg[i].shape == SHAPE_NULL)
		return 0;
	size = (size_t)pc->arg[i + 1].num;
	out->buf = pc->arg[i].kind == ARG_BUF_IN ? calloc(1, size ? size : 1)
						 : malloc(size ? size : 1);
	if (!out->buf) {
		out->resolve_errno = ENOMEM;
		return -1;
	}
	out->ptr[i] = out->buf;
	return 0;
}

/* The live fd behind script fd n, met in argument i; -1 (noted in out)
 * when the script never opened it. Negative fds go through as they are:
 * scripts test EBADF so, and poll skips them. */
static int live_fd(int64_t n, const struct syscall_env *env,
		   struct call_outcome *out, size_t i, int *live)
{
	if (n < 0) {
		*live = (int)n;
		return 0;
	}
	*live = fdmap_live(env->fds, (int)n);
	if (*live >= 0)
		return 0;
	out->unknown_fd = (int)n;
	out->unknown_fd_arg = (int)i;
	return -1;
}

static int resolve_fd(const struct prepared_arg *a,
		      const struct syscall_env *env, struct call_outcome *out,
		      size_t i)
{
	int live;

	if (live_fd(a->num, env, out, i, &live) < 0)
		return -1;
	out->arg[i] = live;
	return 0;
}

/* poll's pollfds, with live fds. */
static int resolve_pollfds(const struct prepared_arg *a,
			   const struct syscall_env *env,
			   struct call_outcome *out, size_t i)
{
	struct pollfd *p = (struct pollfd *)out->opt;

	for (size_t k = 0; k < a->evs_count; k++) {
		if (live_fd(a->evs[k].data, env, out, i, &p[k].fd) < 0)
			return -1;
		p[k].events = (short)a->evs[k].events;
		p[k].revents = 0;
	}
	out->ptr[i] = p;
	return 0;
}

/* epoll_ctl's event: its data is what the script wrote (the script's fd
 * number for fd=N), and comes back as that from epoll_wait. */
static void resolve_epoll_event(const struct prepared_arg *a,
				struct call_outcome *out, size_t i)
{
	struct epoll_event ev;

	if (a->shape == SHAPE_NULL) {
		out->ptr[i] = NULL;
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = (uint32_t)a->evs[0].events;
	if (a->evs[0].data_is_fd)
		ev.data.fd = (int)a->evs[0].data;
	else
		ev.data.u64 = (uint64_t)a->evs[0].data;
	memcpy(out->opt, &ev, sizeof(ev));
	out->ptr[i] = out->opt;
}

static int resolve_arg(const struct prepared_call *pc, size_t i,
		       const struct syscall_env *env, struct call_outcome *out)
{
	const struct prepared_arg *a = &pc->arg[i];

	out->arg[i] = (long)a->num;
	switch (a->kind) {
	case ARG_FD:
		return resolve_fd(a, env, out, i);
	case ARG_DOMAIN:
		if (a->shape == SHAPE_ELLIPSIS)
			out->arg[i] = env->family;
		return 0;
	case ARG_BUF_IN:
	case ARG_BUF_OUT:
		return resolve_buffer(pc, i, out);
	case ARG_ADDR_LOCAL:
		resolve_addr_in(a, &env->local, env->local_len, out, i);
		return 0;
	case ARG_ADDR_REMOTE:
		resolve_addr_in(a, &env->remote, env->remote_len, out, i);
		return 0;
	case ARG_ADDRLEN_IN:
		if (a->shape == SHAPE_ELLIPSIS)
			out->arg[i] = (long)out->addr_len;
		return 0;
	case ARG_ADDR_OUT:
		out->addr_len = sizeof(out->addr);
		out->ptr[i] = a->shape == SHAPE_NULL ? NULL : &out->addr;
		return 0;
	case ARG_ADDRLEN_OUT:
		out->ptr[i] = a->shape == SHAPE_NULL ? NULL : &out->addr_len;
		return 0;
	case ARG_OPTVAL_IN:
		out->ptr[i] = pc->optbuf;
		return 0;
	case ARG_OPTVAL_OUT:
		out->ptr[i] = a->shape == SHAPE_NULL ? NULL : out->opt;
		return 0;
	case ARG_OPTLEN_OUT:
		out->opt_len = pc->out_len;
		out->ptr[i] = a->shape == SHAPE_NULL ? NULL : &out->opt_len;
		return 0;
	case ARG_POLLFDS:
		return resolve_pollfds(a, env, out, i);
	case ARG_EPOLL_EVENT_IN:
		resolve_epoll_event(a, out, i);
		return 0;
	case ARG_EPOLL_EVENTS_OUT:
		out->ptr[i] = out->opt;
		return 0;
	case ARG_PIPEFDS:
		out->ptr[i] = out->opt;
		return 0;
	case ARG_PATH:
		out->ptr[i] = a->bytes;
		return 0;
	case ARG_OFFSET:
		if (a->shape == SHAPE_NULL) {
			out->ptr[i] = NULL;
		} else {
			/* splice has two: each its own 8 bytes of opt */
			int64_t *off = (int64_t *)out->opt + i;

			*off = a->num;
			out->ptr[i] = off;
		}
		return 0;
	case ARG_MSGHDR_IN:
	case ARG_MSGHDR_OUT:
		return msg_resolve(a, env, out, i);
	case ARG_INT:
	case ARG_OPTLEN_IN:
		return 0;
	}
	return 0;
}

void syscall_resolve(const struct prepared_call *pc,
		     const struct syscall_env *env, struct call_outcome *out)
{
	memset(out, 0, sizeof(*out));
	out->ret = -1;
	out->unknown_fd = -1;
	out->unknown_fd_arg = -1;
	out->stack = env->stack;
	for (size_t i = 0; i < pc->argc; i++) {
		if (resolve_arg(pc, i, env, out) < 0) {
			syscall_release(out);
			return;
		}
	}
}

static void ns_to_ts(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = ns / 1000000000LL;
	ts->tv_nsec = ns % 1000000000LL;
}

/* On a plugin stack, in its time; again and again while it sleeps. */
static void perform_on_stack(const struct prepared_call *pc,
			     struct call_outcome *out)
{
	long ret;
	int err;

	if (!out->asleep)
		ns_to_ts(plugin_now(out->stack), &out->start);
	errno = 0;
	ret = plugin_perform(out->stack, pc->def->name, out);
	err = errno;
	ns_to_ts(plugin_now(out->stack), &out->end);
	out->asleep = ret == TCPCHECK_STACK_ASLEEP;
	if (out->asleep)
		return;
	if (!strcmp(pc->def->name, "recvmsg"))
		msg_recvmsg_done(out, ret);
	out->ret = ret;
	out->err = ret < 0 ? err : 0;
	out->performed = true;
}

void syscall_perform(const struct prepared_call *pc, struct call_outcome *out)
{
	long ret;
	int err;

	if (out->unknown_fd >= 0 || out->resolve_errno)
		return;
	if (out->stack) {
		perform_on_stack(pc, out);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &out->start);
	errno = 0;
	ret = pc->def->perform(pc, out);
	err = errno;
	clock_gettime(CLOCK_MONOTONIC, &out->end);
	out->ret = ret;
	out->err = ret < 0 ? err : 0;
	out->performed = true;
}

void syscall_release(struct call_outcome *out)
{
	free(out->buf);
	out->buf = NULL;
	for (size_t i = 0; i < SYSCALL_ARGS_MAX; i++)
		out->ptr[i] = NULL;
}

void syscall_exec(const struct prepared_call *pc, const struct syscall_env *env,
		  struct call_outcome *out)
{
	syscall_resolve(pc, env, out);
	syscall_perform(pc, out);
	syscall_release(out);
}
