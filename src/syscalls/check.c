/* The verdict on a call that ran: result, errno and output arguments
 * against the script, and the fd map kept in step with the calls. */
#include "syscalls/internal.h"

#include <string.h>
#include <unistd.h>

/* "ECONNREFUSED (Connection refused)". */
static void fmt_errno(struct strbuf *f, int err)
{
	char buf[128];
	const char *name = errno_name(err);
	const char *text = strerror_r(err, buf, sizeof(buf));

	if (name)
		strbuf_printf(f, "%s (%s)", name, text);
	else
		strbuf_printf(f, "errno %d (%s)", err, text);
}

static void fmt_actual_result(struct strbuf *f, const struct prepared_call *pc,
			      const struct call_outcome *out)
{
	if (out->ret < 0) {
		strbuf_printf(f, "%ld ", out->ret);
		fmt_errno(f, out->err);
	} else if (pc->def->returns_fd) {
		/* The live number would mean nothing in script terms. */
		strbuf_printf(f, "<new fd>");
	} else {
		strbuf_printf(f, "%ld", out->ret);
	}
}

void callfmt_actual(struct strbuf *f, const struct prepared_call *pc,
		    const struct call_outcome *out, long index,
		    const char *arg_text)
{
	strbuf_printf(f, "%s(", pc->name);
	for (size_t i = 0; i < pc->argc; i++)
		strbuf_printf(f, "%s%s", i ? ", " : "",
			    (long)i == index ? arg_text : pc->arg[i].text);
	strbuf_printf(f, ") = ");
	fmt_actual_result(f, pc, out);
}

void syscall_add_expected_actual(const struct prepared_call *pc,
				 const struct call_outcome *out, long index,
				 const char *arg_text, struct diag *d)
{
	char buf[DIAG_TEXT_MAX];
	struct strbuf f;

	strbuf_init(&f, buf, sizeof(buf));
	callfmt_actual(&f, pc, out, index, arg_text);
	diag_expected(d, "%s", pc->text);
	diag_actual(d, "%s", buf);
}

int syscall_fail_output(const struct prepared_call *pc,
			const struct call_outcome *out, size_t index,
			const char *actual, struct diag *d)
{
	diag_set(d, EXIT_FAIL, &pc->arg[index].loc,
		 "%s returned %s in argument %zu, expected %s", pc->name,
		 actual, index + 1, pc->arg[index].text);
	syscall_add_expected_actual(pc, out, (long)index, actual, d);
	return -1;
}

static const struct src_loc *result_loc(const struct prepared_call *pc)
{
	return pc->result_loc.first_line > 0 ? &pc->result_loc : &pc->name_loc;
}

/* The call failed: was that scripted, and with that errno? */
static int check_failure(const struct prepared_call *pc,
			 const struct call_outcome *out, struct diag *d)
{
	char err[256];
	struct strbuf f;

	strbuf_init(&f, err, sizeof(err));
	if (pc->result != -1) {
		strbuf_printf(&f, "%ld ", out->ret);
		fmt_errno(&f, out->err);
		diag_set(d, EXIT_FAIL, result_loc(pc),
			 "%s returned %s, expected %s", pc->name, err,
			 pc->result_text);
	} else if (pc->err && pc->err != out->err) {
		fmt_errno(&f, out->err);
		diag_set(d, EXIT_FAIL,
			 pc->errno_loc.first_line > 0 ? &pc->errno_loc
						      : &pc->name_loc,
			 "%s failed with %s, expected %s", pc->name, err,
			 pc->errno_name);
	} else {
		return 0; /* -1 with no errno named: any errno will do */
	}
	syscall_add_expected_actual(pc, out, -1, NULL, d);
	return -1;
}

static int check_result(const struct prepared_call *pc,
			const struct call_outcome *out, struct diag *d)
{
	char expected[256];
	struct strbuf f;

	if (pc->result_any)
		return 0;
	if (out->ret < 0)
		return check_failure(pc, out, d);
	if (pc->result == -1) {
		strbuf_init(&f, expected, sizeof(expected));
		strbuf_printf(&f, "%s%s%s", pc->result_text,
			    pc->errno_name ? " " : "",
			    pc->errno_name ? pc->errno_name : "");
		if (pc->def->returns_fd)
			diag_set(d, EXIT_FAIL, result_loc(pc),
				 "%s returned a new fd, expected %s", pc->name,
				 expected);
		else
			diag_set(d, EXIT_FAIL, result_loc(pc),
				 "%s returned %ld, expected %s", pc->name,
				 out->ret, expected);
	} else if (!pc->def->returns_fd && out->ret != pc->result) {
		diag_set(d, EXIT_FAIL, result_loc(pc),
			 "%s returned %ld, expected %s", pc->name, out->ret,
			 pc->result_text);
	} else {
		return 0;
	}
	syscall_add_expected_actual(pc, out, -1, NULL, d);
	return -1;
}

/* The new live fd takes the number the script gave it (shadowing an older
 * fd the script still has under that number, as packetdrill does). */
static int map_new_fd(const struct prepared_call *pc,
		      const struct call_outcome *out,
		      const struct syscall_env *env, struct diag *d)
{
	if (fdmap_add(env->fds, (int)pc->result, (int)out->ret) < 0) {
		close((int)out->ret);
		return diag_set(d, EXIT_INTERNAL, &pc->name_loc,
				"out of memory");
	}
	return 0;
}

static int check_not_run(const struct prepared_call *pc,
			 const struct call_outcome *out, struct diag *d)
{
	if (out->unknown_fd >= 0)
		return diag_set(d, EXIT_USAGE,
				&pc->arg[out->unknown_fd_arg].loc,
				"unknown fd %d", out->unknown_fd);
	if (out->resolve_errno)
		return diag_set(d, EXIT_INTERNAL, &pc->name_loc,
				"%s: no memory for its buffer", pc->name);
	return diag_set(d, EXIT_INTERNAL, &pc->name_loc, "%s did not run",
			pc->name);
}

int syscall_check(const struct prepared_call *pc,
		  const struct call_outcome *out, const struct syscall_env *env,
		  struct diag *d)
{
	if (!out->performed)
		return check_not_run(pc, out, d);
	/* Linux frees the fd whatever close() returns. */
	if (pc->def->closes_fd && pc->arg[0].num >= 0)
		fdmap_remove(env->fds, (int)pc->arg[0].num);
	if (check_result(pc, out, d) < 0) {
		if (pc->def->returns_fd && out->ret >= 0)
			close((int)out->ret);
		return -1;
	}
	if (out->ret < 0)
		return 0;
	if (pc->def->returns_fd)
		return map_new_fd(pc, out, env, d);
	if (pc->def->check)
		return pc->def->check(pc, out, env, d);
	return 0;
}
