/* Expressions and calls written back in script syntax, so diagnostics show
 * the call the way the script author wrote it. */
#include "syscalls/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void callfmt_init(struct callfmt *f, char *buf, size_t size)
{
	f->buf = buf;
	f->size = size;
	f->len = 0;
	if (size > 0)
		buf[0] = '\0';
}

void callfmt_add(struct callfmt *f, const char *format, ...)
{
	va_list ap;
	size_t room = f->len < f->size ? f->size - f->len : 0;
	int n;

	va_start(ap, format);
	n = vsnprintf(room ? f->buf + f->len : NULL, room, format, ap);
	va_end(ap);
	if (n > 0)
		f->len += (size_t)n;
}

/* Undo the lexer's escapes so the text reads back as the same string;
 * len, not a NUL, ends it (strings may hold NULs). */
static void fmt_string(struct callfmt *f, const struct expr *e)
{
	const unsigned char *p = (const unsigned char *)e->u.text;
	const unsigned char *end = p + (e->len ? e->len : strlen(e->u.text));

	callfmt_add(f, "\"");
	for (; p < end; p++) {
		if (*p == '"' || *p == '\\')
			callfmt_add(f, "\\%c", *p);
		else if (*p == '\n')
			callfmt_add(f, "\\n");
		else if (*p == '\t')
			callfmt_add(f, "\\t");
		else if (*p == '\r')
			callfmt_add(f, "\\r");
		else if (*p < 0x20 || *p >= 0x7f)
			callfmt_add(f, "\\x%02x", *p);
		else
			callfmt_add(f, "%c", *p);
	}
	callfmt_add(f, "\"");
}

static void fmt_list(struct callfmt *f, const struct expr_list *l)
{
	for (size_t i = 0; i < l->count; i++) {
		if (i > 0)
			callfmt_add(f, ", ");
		callfmt_expr(f, l->items[i]);
	}
}

void callfmt_expr(struct callfmt *f, const struct expr *e)
{
	if (!e) {
		callfmt_add(f, "...");
		return;
	}
	switch (e->kind) {
	case EXPR_ELLIPSIS:
		callfmt_add(f, "...");
		break;
	case EXPR_INT:
		callfmt_add(f, "%" PRId64, e->u.num);
		break;
	case EXPR_WORD:
		callfmt_add(f, "%s", e->u.text);
		break;
	case EXPR_STRING:
		fmt_string(f, e);
		break;
	case EXPR_BINARY:
		callfmt_expr(f, e->u.binary.lhs);
		callfmt_add(f, "%c", e->u.binary.op);
		callfmt_expr(f, e->u.binary.rhs);
		break;
	case EXPR_LIST:
		callfmt_add(f, "[");
		fmt_list(f, &e->u.items);
		callfmt_add(f, "]");
		break;
	case EXPR_STRUCT:
		callfmt_add(f, "{");
		fmt_list(f, &e->u.items);
		callfmt_add(f, "}");
		break;
	case EXPR_FIELD:
		callfmt_add(f, "%s", e->u.field.name);
		if (e->u.field.index) {
			callfmt_add(f, "(");
			callfmt_expr(f, e->u.field.index);
			callfmt_add(f, ")");
		}
		callfmt_add(f, "=");
		callfmt_expr(f, e->u.field.value);
		break;
	case EXPR_CALL:
		callfmt_add(f, "%s(", e->u.call.name);
		fmt_list(f, &e->u.call.args);
		callfmt_add(f, ")");
		break;
	}
}

char *callfmt_expr_dup(const struct expr *e)
{
	struct callfmt f;
	size_t need;
	char *s;

	callfmt_init(&f, NULL, 0);
	callfmt_expr(&f, e);
	need = f.len + 1;
	s = malloc(need);
	if (!s)
		return NULL;
	callfmt_init(&f, s, need);
	callfmt_expr(&f, e);
	return s;
}

size_t syscall_format_expr(char *buf, size_t size, const struct expr *e)
{
	struct callfmt f;

	callfmt_init(&f, buf, size);
	callfmt_expr(&f, e);
	return f.len;
}

size_t syscall_format_call(char *buf, size_t size,
			   const struct syscall_spec *spec)
{
	struct callfmt f;

	callfmt_init(&f, buf, size);
	callfmt_add(&f, "%s(", spec->name);
	fmt_list(&f, &spec->args);
	callfmt_add(&f, ")");
	if (spec->result) {
		callfmt_add(&f, " = ");
		callfmt_expr(&f, spec->result);
	}
	if (spec->errno_name)
		callfmt_add(&f, " %s", spec->errno_name);
	return f.len;
}
