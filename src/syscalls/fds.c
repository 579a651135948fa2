/* What a call does to the script's fds, read from the script alone: the
 * part of the semantic pass that --check runs in script order (lint.c). */
#include "syscalls/internal.h"

#include <limits.h>

/* A plain number the script wrote, an fd or -1 as the call sees it. */
static bool int_value(const struct expr *e, int *out)
{
	if (!e || e->kind != EXPR_INT || e->u.num < INT_MIN ||
	    e->u.num > INT_MAX)
		return false;
	*out = (int)e->u.num;
	return true;
}

static void add_use(struct syscall_fd_effects *fx, int fd,
		    const struct src_loc *loc)
{
	/* Negative fds go to the call as they are (scripts test EBADF). */
	if (fd < 0 || fx->use_count == SYSCALL_FD_USES_MAX)
		return;
	fx->use[fx->use_count] = fd;
	fx->use_loc[fx->use_count] = *loc;
	fx->use_count++;
}

/* poll's [{fd=N, events=E}, ...]: each fd must be one. */
static void add_pollfds(struct syscall_fd_effects *fx, const struct expr *e)
{
	if (e->kind != EXPR_LIST)
		return;
	for (size_t i = 0; i < e->u.items.count; i++) {
		const struct expr *s = e->u.items.items[i];

		if (s->kind != EXPR_STRUCT)
			continue;
		for (size_t k = 0; k < s->u.items.count; k++) {
			const struct expr *f = s->u.items.items[k];
			int fd;

			if (f->kind == EXPR_FIELD && !f->u.field.index &&
			    strcmp(f->u.field.name, "fd") == 0 &&
			    int_value(f->u.field.value, &fd))
				add_use(fx, fd, &f->u.field.value->loc);
		}
	}
}

/* pipe([5, 6]): the numbers the two new fds take. */
static void add_pipe_fds(struct syscall_fd_effects *fx, const struct expr *e)
{
	int fd;

	if (e->kind != EXPR_LIST || e->u.items.count != 2)
		return;
	for (size_t k = 0; k < 2; k++)
		if (int_value(e->u.items.items[k], &fd) && fd >= 0)
			fx->made[fx->made_count++] = fd;
}

void syscall_fd_effects(const struct syscall_spec *spec,
			struct syscall_fd_effects *fx)
{
	const struct syscall_def *def = syscall_def_find(spec->name);
	int result = 0, fd;
	bool has_result = int_value(spec->result, &result);

	memset(fx, 0, sizeof(*fx));
	fx->closed = -1;
	if (!def)
		return;
	fx->known = true;
	for (size_t i = 0; i < spec->args.count && i < def->max_args; i++) {
		const struct expr *a = spec->args.items[i];

		if (def->kinds[i] == ARG_FD && int_value(a, &fd))
			add_use(fx, fd, &a->loc);
		else if (def->kinds[i] == ARG_POLLFDS)
			add_pollfds(fx, a);
		else if (def->kinds[i] == ARG_PIPEFDS &&
			 !(has_result && result < 0))
			add_pipe_fds(fx, a);
	}
	/* The fd goes whatever close() returns (syscall_check). */
	if (def->closes_fd && spec->args.count &&
	    int_value(spec->args.items[0], &fd) && fd >= 0)
		fx->closed = fd;
	if (def->returns_fd && has_result && result >= 0)
		fx->made[fx->made_count++] = result;
}
