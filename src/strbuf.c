/* Text built by appending, for the formatters of packets and calls. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>

void strbuf_init(struct strbuf *sb, char *buf, size_t cap)
{
	sb->buf = buf;
	sb->cap = cap;
	sb->len = 0;
	if (cap)
		buf[0] = '\0';
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	size_t room = sb->len < sb->cap ? sb->cap - sb->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? sb->buf + sb->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->len += (size_t)n;
}
