/* Readiness calls: poll, epoll_create, epoll_ctl, epoll_wait. What they
 * report (revents, the events epoll_wait returns) is compared with the
 * script, flag by flag. */
#include "syscalls/internal.h"

#include <inttypes.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>

#define POLLFDS_MAX (SYSCALL_OPT_MAX / sizeof(struct pollfd))
#define EPOLL_EVENTS_MAX (SYSCALL_OPT_MAX / sizeof(struct epoll_event))

static const struct flag poll_flags[] = {
	{POLLIN, "POLLIN"},	  {POLLPRI, "POLLPRI"},
	{POLLOUT, "POLLOUT"},	  {POLLERR, "POLLERR"},
	{POLLHUP, "POLLHUP"},	  {POLLNVAL, "POLLNVAL"},
	{POLLRDNORM, "POLLRDNORM"}, {POLLRDBAND, "POLLRDBAND"},
	{POLLWRNORM, "POLLWRNORM"}, {POLLWRBAND, "POLLWRBAND"},
	{POLLMSG, "POLLMSG"},	  {POLLRDHUP, "POLLRDHUP"},
	{0, NULL},
};

static const struct flag epoll_flags[] = {
	{EPOLLIN, "EPOLLIN"},	    {EPOLLPRI, "EPOLLPRI"},
	{EPOLLOUT, "EPOLLOUT"},	    {EPOLLERR, "EPOLLERR"},
	{EPOLLHUP, "EPOLLHUP"},	    {EPOLLRDNORM, "EPOLLRDNORM"},
	{EPOLLRDBAND, "EPOLLRDBAND"}, {EPOLLWRNORM, "EPOLLWRNORM"},
	{EPOLLWRBAND, "EPOLLWRBAND"}, {EPOLLMSG, "EPOLLMSG"},
	{EPOLLRDHUP, "EPOLLRDHUP"},   {0, NULL},
};

static long do_poll(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return poll((struct pollfd *)o->ptr[0], (nfds_t)o->arg[1],
		    (int)o->arg[2]);
}

static long do_epoll_create(const struct prepared_call *pc,
			    struct call_outcome *o)
{
	(void)pc;
	return epoll_create((int)o->arg[0]);
}

static long do_epoll_ctl(const struct prepared_call *pc,
			 struct call_outcome *o)
{
	(void)pc;
	return epoll_ctl((int)o->arg[0], (int)o->arg[1], (int)o->arg[2],
			 o->ptr[3]);
}

static long do_epoll_wait(const struct prepared_call *pc,
			  struct call_outcome *o)
{
	(void)pc;
	return epoll_wait((int)o->arg[0], o->ptr[1], (int)o->arg[2],
			  (int)o->arg[3]);
}

static int prepare_poll(struct prepared_call *pc, struct diag *d)
{
	const struct prepared_arg *fds = &pc->arg[0], *n = &pc->arg[1];

	if (fds->evs_count > POLLFDS_MAX)
		return diag_set(d, EXIT_USAGE, &fds->loc,
				"at most %zu pollfds", (size_t)POLLFDS_MAX);
	if (n->num < 0 || (uint64_t)n->num > fds->evs_count)
		return diag_set(d, EXIT_USAGE, &n->loc,
				"nfds %" PRId64 " is not between 0 and the "
				"%zu pollfds given", n->num, fds->evs_count);
	return 0;
}

/* revents as the kernel set them, the whole list in script syntax. */
static int check_poll(const struct prepared_call *pc,
		      const struct call_outcome *out,
		      const struct syscall_env *env, struct diag *d)
{
	const struct prepared_arg *a = &pc->arg[0];
	const struct pollfd *p = (const struct pollfd *)out->opt;
	size_t n = (size_t)pc->arg[1].num;
	char text[DIAG_TEXT_MAX];
	struct strbuf f;
	bool same = true;

	(void)env;
	for (size_t k = 0; k < n; k++)
		if (a->evs[k].has_revents &&
		    (uint16_t)p[k].revents != (uint16_t)a->evs[k].revents)
			same = false;
	if (same)
		return 0;
	strbuf_init(&f, text, sizeof(text));
	strbuf_printf(&f, "[");
	for (size_t k = 0; k < n; k++) {
		strbuf_printf(&f, "%s{fd=%" PRId64 ", events=", k ? ", " : "",
			      a->evs[k].data);
		callfmt_flags(&f, (uint16_t)a->evs[k].events, poll_flags);
		strbuf_printf(&f, ", revents=");
		callfmt_flags(&f, (uint16_t)p[k].revents, poll_flags);
		strbuf_printf(&f, "}");
	}
	strbuf_printf(&f, "]");
	return syscall_fail_output(pc, out, 0, text, d);
}

static int prepare_epoll_wait(struct prepared_call *pc, struct diag *d)
{
	const struct prepared_arg *max = &pc->arg[2];

	if (max->num > (int64_t)EPOLL_EVENTS_MAX)
		return diag_set(d, EXIT_USAGE, &max->loc,
				"maxevents is at most %zu here",
				(size_t)EPOLL_EVENTS_MAX);
	return 0;
}

/* The first event returned against the one the script wrote. */
static int check_epoll_wait(const struct prepared_call *pc,
			    const struct call_outcome *out,
			    const struct syscall_env *env, struct diag *d)
{
	const struct prepared_arg *a = &pc->arg[1];
	struct epoll_event ev;
	char text[256];
	struct strbuf f;

	(void)env;
	if (a->shape != SHAPE_EPOLL_EVENT || out->ret < 1)
		return 0;
	memcpy(&ev, out->opt, sizeof(ev));
	if (ev.events == (uint32_t)a->evs[0].events &&
	    (a->evs[0].data_is_fd ? ev.data.fd == (int)a->evs[0].data
				  : ev.data.u64 == (uint64_t)a->evs[0].data))
		return 0;
	strbuf_init(&f, text, sizeof(text));
	strbuf_printf(&f, "{events=");
	callfmt_flags(&f, ev.events, epoll_flags);
	if (a->evs[0].data_is_fd)
		strbuf_printf(&f, ", fd=%d}", ev.data.fd);
	else
		strbuf_printf(&f, ", ptr=%#" PRIx64 "}", (uint64_t)ev.data.u64);
	return syscall_fail_output(pc, out, 1, text, d);
}

const struct syscall_def syscalls_poll_defs[] = {
	{.name = "poll",
	 .min_args = 3,
	 .max_args = 3,
	 .kinds = {ARG_POLLFDS, ARG_INT, ARG_INT},
	 .perform = do_poll,
	 .prepare = prepare_poll,
	 .check = check_poll},
	{.name = "epoll_create",
	 .min_args = 1,
	 .max_args = 1,
	 .kinds = {ARG_INT},
	 .returns_fd = true,
	 .perform = do_epoll_create},
	{.name = "epoll_ctl",
	 .min_args = 4,
	 .max_args = 4,
	 .kinds = {ARG_FD, ARG_INT, ARG_FD, ARG_EPOLL_EVENT_IN},
	 .perform = do_epoll_ctl},
	{.name = "epoll_wait",
	 .min_args = 4,
	 .max_args = 4,
	 .kinds = {ARG_FD, ARG_EPOLL_EVENTS_OUT, ARG_INT, ARG_INT},
	 .perform = do_epoll_wait,
	 .prepare = prepare_epoll_wait,
	 .check = check_epoll_wait},
	{.name = NULL},
};
