/* Calls on other kinds of fd: pipe, open, and the copies between fds,
 * splice and sendfile. */
#include "syscalls/internal.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sys/sendfile.h>
#include <unistd.h>

static long do_pipe(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return pipe((int *)o->ptr[0]);
}

/* pipe([5, 6]) = 0: the script's numbers take the two new fds. */
static int check_pipe(const struct prepared_call *pc,
		      const struct call_outcome *out,
		      const struct syscall_env *env, struct diag *d)
{
	const int *live = (const int *)out->opt;

	for (int k = 0; k < 2; k++)
		if (fdmap_add(env->fds, (int)pc->arg[0].pair[k], live[k]) < 0) {
			for (int j = k; j < 2; j++)
				close(live[j]);
			return diag_set(d, EXIT_INTERNAL, &pc->name_loc,
					"out of memory");
		}
	return 0;
}

static int prepare_pipe(struct prepared_call *pc, struct diag *d)
{
	const struct prepared_arg *a = &pc->arg[0];

	for (int k = 0; k < 2; k++)
		if (a->pair[k] < 0 || a->pair[k] > INT32_MAX)
			return diag_set(d, EXIT_USAGE, &a->loc,
					"fd %" PRId64 " is out of range",
					a->pair[k]);
	return 0;
}

static long do_open(const struct prepared_call *pc, struct call_outcome *o)
{
	return open((const char *)o->ptr[0], (int)o->arg[1],
		    pc->argc > 2 ? (mode_t)o->arg[2] : (mode_t)0);
}

static long do_splice(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return splice((int)o->arg[0], o->ptr[1], (int)o->arg[2], o->ptr[3],
		      (size_t)o->arg[4], (unsigned int)o->arg[5]);
}

static long do_sendfile(const struct prepared_call *pc,
			struct call_outcome *o)
{
	(void)pc;
	return sendfile((int)o->arg[0], (int)o->arg[1], o->ptr[2],
			(size_t)o->arg[3]);
}

const struct syscall_def syscalls_file_defs[] = {
	{.name = "pipe",
	 .min_args = 1,
	 .max_args = 1,
	 .kinds = {ARG_PIPEFDS},
	 .perform = do_pipe,
	 .prepare = prepare_pipe,
	 .check = check_pipe},
	{.name = "open",
	 .min_args = 2,
	 .max_args = 3,
	 .kinds = {ARG_PATH, ARG_INT, ARG_INT},
	 .returns_fd = true,
	 .perform = do_open},
	{.name = "splice",
	 .min_args = 6,
	 .max_args = 6,
	 .kinds = {ARG_FD, ARG_OFFSET, ARG_FD, ARG_OFFSET, ARG_INT, ARG_INT},
	 .perform = do_splice},
	{.name = "sendfile",
	 .min_args = 4,
	 .max_args = 4,
	 .kinds = {ARG_FD, ARG_FD, ARG_OFFSET, ARG_INT},
	 .perform = do_sendfile},
	{.name = NULL},
};
