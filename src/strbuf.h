/* Text built by appending, counted the way snprintf counts: the length is
 * everything asked for, the buffer holds what fits, NUL-terminated. */
#ifndef TCPCHECK_STRBUF_H
#define TCPCHECK_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf;
	size_t cap;
	size_t len;
};

/* buf may be NULL with cap 0, to measure. */
void strbuf_init(struct strbuf *sb, char *buf, size_t cap);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
