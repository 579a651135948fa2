/* Option calls: setsockopt and getsockopt with int and linger values, and
 * fcntl's flag commands. */
#include "syscalls/internal.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

/* setsockopt lengths beyond this are surely typos, and we allocate them. */
#define OPTLEN_IN_MAX 65536

/* The bytes setsockopt passes, built once: at least optlen of them, so
 * that a length larger than the value cannot make the kernel read past
 * our buffer. */
static int prepare_setsockopt(struct prepared_call *pc, struct diag *d)
{
	const struct prepared_arg *val = &pc->arg[3], *len = &pc->arg[4];
	struct linger l;
	int32_t v;
	const void *src = NULL;
	size_t natural = 0;

	if (len->num < 0 || len->num > OPTLEN_IN_MAX)
		return diag_set(d, EXIT_USAGE, &len->loc,
				"option length %" PRId64
				" is out of range (0 to %d)",
				len->num, OPTLEN_IN_MAX);
	if (val->shape == SHAPE_NULL)
		return 0;
	if (val->shape == SHAPE_INTREF) {
		v = (int32_t)val->num;
		src = &v;
		natural = sizeof(v);
	} else if (val->shape == SHAPE_LINGER) {
		l.l_onoff = (int)val->linger[0];
		l.l_linger = (int)val->linger[1];
		src = &l;
		natural = sizeof(l);
	} else {
		src = val->bytes;
		natural = val->len;
	}
	pc->optbuf_len =
	    natural > (size_t)len->num ? natural : (size_t)len->num;
	pc->optbuf = calloc(1, pc->optbuf_len ? pc->optbuf_len : 1);
	if (!pc->optbuf)
		return diag_set(d, EXIT_INTERNAL, &val->loc, "out of memory");
	memcpy(pc->optbuf, src, natural);
	return 0;
}

static long do_setsockopt(const struct prepared_call *pc,
			  struct call_outcome *o)
{
	(void)pc;
	return setsockopt((int)o->arg[0], (int)o->arg[1], (int)o->arg[2],
			  o->ptr[3], (socklen_t)o->arg[4]);
}

/* getsockopt's in/out length: the script's [len], else the size of the
 * value it expects. */
static int prepare_getsockopt(struct prepared_call *pc, struct diag *d)
{
	const struct prepared_arg *val = &pc->arg[3], *len = &pc->arg[4];

	if (len->shape == SHAPE_INTREF) {
		if (len->num < 0 || len->num > SYSCALL_OPT_MAX)
			return diag_set(d, EXIT_USAGE, &len->loc,
					"option length %" PRId64
					" is out of range (0 to %d)",
					len->num, SYSCALL_OPT_MAX);
		pc->out_len = (socklen_t)len->num;
	} else if (val->shape == SHAPE_INTREF) {
		pc->out_len = sizeof(int);
	} else if (val->shape == SHAPE_LINGER) {
		pc->out_len = sizeof(struct linger);
	} else {
		pc->out_len = SYSCALL_OPT_MAX;
	}
	return 0;
}

static long do_getsockopt(const struct prepared_call *pc,
			  struct call_outcome *o)
{
	(void)pc;
	return getsockopt((int)o->arg[0], (int)o->arg[1], (int)o->arg[2],
			  o->ptr[3], o->ptr[4]);
}

/* SO_ERROR holds an errno: show its name, as a script would write it. */
static void int_text(char *buf, size_t size, const struct prepared_call *pc,
		     int value)
{
	const char *name = errno_name(value);

	if (pc->arg[1].num == SOL_SOCKET && pc->arg[2].num == SO_ERROR &&
	    value != 0 && name)
		snprintf(buf, size, "[%s]", name);
	else
		snprintf(buf, size, "[%d]", value);
}

static int check_optval(const struct prepared_call *pc,
			const struct call_outcome *out, struct diag *d)
{
	const struct prepared_arg *val = &pc->arg[3];
	char text[64];
	uint32_t v = 0;
	struct linger l = {0, 0};

	if (val->shape == SHAPE_INTREF) {
		/* Compared as 32 bits: [0xffffffff] is how scripts write -1. */
		memcpy(&v, out->opt,
		       out->opt_len < sizeof(v) ? out->opt_len : sizeof(v));
		if (v == (uint32_t)val->num)
			return 0;
		int_text(text, sizeof(text), pc, (int)v);
		return syscall_fail_output(pc, out, 3, text, d);
	}
	if (val->shape == SHAPE_LINGER) {
		memcpy(&l, out->opt,
		       out->opt_len < sizeof(l) ? out->opt_len : sizeof(l));
		if (l.l_onoff == val->linger[0] && l.l_linger == val->linger[1])
			return 0;
		snprintf(text, sizeof(text), "{onoff=%d, linger=%d}", l.l_onoff,
			 l.l_linger);
		return syscall_fail_output(pc, out, 3, text, d);
	}
	return 0;
}

static int check_getsockopt(const struct prepared_call *pc,
			    const struct call_outcome *out,
			    const struct syscall_env *env, struct diag *d)
{
	const struct prepared_arg *len = &pc->arg[4];
	char text[32];

	(void)env;
	if (check_optval(pc, out, d) < 0)
		return -1;
	if (len->shape != SHAPE_INTREF || out->opt_len == len->num)
		return 0;
	snprintf(text, sizeof(text), "[%u]", (unsigned int)out->opt_len);
	return syscall_fail_output(pc, out, 4, text, d);
}

/* Only the commands whose argument is an int: the others pass pointers. */
static int prepare_fcntl(struct prepared_call *pc, struct diag *d)
{
	const struct prepared_arg *cmd = &pc->arg[1];
	bool sets = cmd->num == F_SETFL || cmd->num == F_SETFD;

	if (cmd->num != F_GETFL && cmd->num != F_GETFD && !sets)
		return diag_set(d, EXIT_USAGE, &cmd->loc,
				"not supported yet: fcntl %s", cmd->text);
	if (sets && pc->argc != 3)
		return diag_set(d, EXIT_USAGE, &pc->name_loc,
				"fcntl %s takes 3 arguments, got %zu",
				cmd->text, pc->argc);
	return 0;
}

static long do_fcntl(const struct prepared_call *pc, struct call_outcome *o)
{
	if (pc->argc == 2)
		return fcntl((int)o->arg[0], (int)o->arg[1]);
	return fcntl((int)o->arg[0], (int)o->arg[1], (int)o->arg[2]);
}

/* ioctl: the queue sizes a socket reports, into an int. */
static long do_ioctl(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	o->opt_len = sizeof(int);
	return ioctl((int)o->arg[0], (unsigned long)o->arg[1], o->ptr[2]);
}

static int prepare_ioctl(struct prepared_call *pc, struct diag *d)
{
	const struct prepared_arg *req = &pc->arg[1], *val = &pc->arg[2];

	if (req->num != SIOCINQ && req->num != SIOCOUTQ &&
	    req->num != SIOCOUTQNSD)
		return diag_set(d, EXIT_USAGE, &req->loc,
				"not supported yet: ioctl %s", req->text);
	if (val->shape != SHAPE_INTREF && val->shape != SHAPE_ELLIPSIS)
		return diag_set(d, EXIT_USAGE, &val->loc,
				"ioctl argument 3 must be [int] or ...");
	return 0;
}

static int check_ioctl(const struct prepared_call *pc,
		       const struct call_outcome *out,
		       const struct syscall_env *env, struct diag *d)
{
	const struct prepared_arg *val = &pc->arg[2];
	char text[32];
	int v;

	(void)env;
	if (val->shape != SHAPE_INTREF)
		return 0;
	memcpy(&v, out->opt, sizeof(v));
	if (v == val->num)
		return 0;
	snprintf(text, sizeof(text), "[%d]", v);
	return syscall_fail_output(pc, out, 2, text, d);
}

const struct syscall_def syscalls_sockopt_defs[] = {
	{.name = "ioctl",
	 .min_args = 3,
	 .max_args = 3,
	 .kinds = {ARG_FD, ARG_INT, ARG_OPTVAL_OUT},
	 .perform = do_ioctl,
	 .prepare = prepare_ioctl,
	 .check = check_ioctl},
	{.name = "setsockopt",
	 .min_args = 5,
	 .max_args = 5,
	 .kinds = {ARG_FD, ARG_INT, ARG_INT, ARG_OPTVAL_IN, ARG_OPTLEN_IN},
	 .perform = do_setsockopt,
	 .prepare = prepare_setsockopt},
	{.name = "getsockopt",
	 .min_args = 5,
	 .max_args = 5,
	 .kinds = {ARG_FD, ARG_INT, ARG_INT, ARG_OPTVAL_OUT, ARG_OPTLEN_OUT},
	 .perform = do_getsockopt,
	 .prepare = prepare_getsockopt,
	 .check = check_getsockopt},
	{.name = "fcntl",
	 .min_args = 2,
	 .max_args = 3,
	 .kinds = {ARG_FD, ARG_INT, ARG_INT},
	 .perform = do_fcntl,
	 .prepare = prepare_fcntl},
	{.name = NULL},
};
