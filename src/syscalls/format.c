/* Expressions and calls written back in script syntax, so diagnostics show
 * the call the way the script author wrote it. */
#include "syscalls/internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Undo the lexer's escapes so the text reads back as the same string;
 * len, not a NUL, ends it (strings may hold NULs). */
static void fmt_string(struct strbuf *f, const struct expr *e)
{
	const unsigned char *p = (const unsigned char *)e->u.text;
	const unsigned char *end = p + (e->len ? e->len : strlen(e->u.text));

	strbuf_printf(f, "\"");
	for (; p < end; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_printf(f, "\\%c", *p);
		else if (*p == '\n')
			strbuf_printf(f, "\\n");
		else if (*p == '\t')
			strbuf_printf(f, "\\t");
		else if (*p == '\r')
			strbuf_printf(f, "\\r");
		else if (*p < 0x20 || *p >= 0x7f)
			strbuf_printf(f, "\\x%02x", *p);
		else
			strbuf_printf(f, "%c", *p);
	}
	strbuf_printf(f, "\"");
}

static void fmt_list(struct strbuf *f, const struct expr_list *l)
{
	for (size_t i = 0; i < l->count; i++) {
		if (i > 0)
			strbuf_printf(f, ", ");
		callfmt_expr(f, l->items[i]);
	}
}

void callfmt_expr(struct strbuf *f, const struct expr *e)
{
	if (!e) {
		strbuf_printf(f, "...");
		return;
	}
	switch (e->kind) {
	case EXPR_ELLIPSIS:
		strbuf_printf(f, "...");
		break;
	case EXPR_INT:
		strbuf_printf(f, "%" PRId64, e->u.num);
		break;
	case EXPR_WORD:
		strbuf_printf(f, "%s", e->u.text);
		break;
	case EXPR_STRING:
		fmt_string(f, e);
		break;
	case EXPR_BINARY:
		callfmt_expr(f, e->u.binary.lhs);
		strbuf_printf(f, "%c", e->u.binary.op);
		callfmt_expr(f, e->u.binary.rhs);
		break;
	case EXPR_LIST:
		strbuf_printf(f, "[");
		fmt_list(f, &e->u.items);
		strbuf_printf(f, "]");
		break;
	case EXPR_STRUCT:
		strbuf_printf(f, "{");
		fmt_list(f, &e->u.items);
		strbuf_printf(f, "}");
		break;
	case EXPR_FIELD:
		strbuf_printf(f, "%s", e->u.field.name);
		if (e->u.field.index) {
			strbuf_printf(f, "(");
			callfmt_expr(f, e->u.field.index);
			strbuf_printf(f, ")");
		}
		strbuf_printf(f, "=");
		callfmt_expr(f, e->u.field.value);
		break;
	case EXPR_CALL:
		strbuf_printf(f, "%s(", e->u.call.name);
		fmt_list(f, &e->u.call.args);
		strbuf_printf(f, ")");
		break;
	}
}

char *callfmt_expr_dup(const struct expr *e)
{
	struct strbuf f;
	size_t need;
	char *s;

	strbuf_init(&f, NULL, 0);
	callfmt_expr(&f, e);
	need = f.len + 1;
	s = malloc(need);
	if (!s)
		return NULL;
	strbuf_init(&f, s, need);
	callfmt_expr(&f, e);
	return s;
}

size_t syscall_format_expr(char *buf, size_t size, const struct expr *e)
{
	struct strbuf f;

	strbuf_init(&f, buf, size);
	callfmt_expr(&f, e);
	return f.len;
}

size_t syscall_format_call(char *buf, size_t size,
			   const struct syscall_spec *spec)
{
	struct strbuf f;

	strbuf_init(&f, buf, size);
	strbuf_printf(&f, "%s(", spec->name);
	fmt_list(&f, &spec->args);
	strbuf_printf(&f, ")");
	if (spec->result) {
		strbuf_printf(&f, " = ");
		callfmt_expr(&f, spec->result);
	}
	if (spec->errno_name)
		strbuf_printf(&f, " %s", spec->errno_name);
	return f.len;
}

void callfmt_flags(struct strbuf *f, uint32_t v, const struct flag *t)
{
	bool any = false;

	for (; t->name; t++)
		if (v & t->bit) {
			strbuf_printf(f, "%s%s", any ? "|" : "", t->name);
			v &= ~t->bit;
			any = true;
		}
	if (v || !any)
		strbuf_printf(f, "%s%#" PRIx32, any ? "|" : "", v);
}
