/* Script fd numbers and the live fds behind them: a script says "3" for
 * the socket it made, the kernel may have given us 7. */
#include "syscalls/internal.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fd_pair {
	int script;
	int live;
};

/* A handful of fds per script: a small array beats a hash. A script may
 * give a new fd a number that is still open (packetdrill allows it: the
 * corpus reuses "accept(...) = 4"); the newest pair then shadows the older
 * one, which comes back when the newest is closed and is closed at the end
 * like any other. So pairs stay in order and lookups go newest first. */
struct fdmap {
	struct fd_pair *pairs;
	size_t count;
	size_t cap;
};

struct fdmap *fdmap_new(void)
{
	return calloc(1, sizeof(struct fdmap));
}

void fdmap_free(struct fdmap *m)
{
	if (!m)
		return;
	free(m->pairs);
	free(m);
}

static struct fd_pair *find(const struct fdmap *m, int script_fd)
{
	for (size_t i = m->count; i > 0; i--)
		if (m->pairs[i - 1].script == script_fd)
			return &m->pairs[i - 1];
	return NULL;
}

int fdmap_live(const struct fdmap *m, int script_fd)
{
	const struct fd_pair *p = find(m, script_fd);

	return p ? p->live : -1;
}

int fdmap_add(struct fdmap *m, int script_fd, int live_fd)
{
	if (m->count == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct fd_pair *p = realloc(m->pairs, cap * sizeof(*p));

		if (!p)
			return -1;
		m->pairs = p;
		m->cap = cap;
	}
	m->pairs[m->count].script = script_fd;
	m->pairs[m->count].live = live_fd;
	m->count++;
	return 0;
}

int fdmap_remove(struct fdmap *m, int script_fd)
{
	struct fd_pair *p = find(m, script_fd);
	int live;

	if (!p)
		return -1;
	live = p->live;
	memmove(p, p + 1, (size_t)(m->pairs + m->count - (p + 1)) * sizeof(*p));
	m->count--;
	return live;
}

size_t fdmap_count(const struct fdmap *m)
{
	return m->count;
}

static bool is_tcp_socket(int fd)
{
	int proto = 0;
	socklen_t len = sizeof(proto);

	return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
	       proto == IPPROTO_TCP;
}

void fdmap_close_all(struct fdmap *m)
{
	static const struct linger reset = {.l_onoff = 1, .l_linger = 0};

	for (size_t i = 0; i < m->count; i++) {
		int fd = m->pairs[i].live;

		/* Errors are of no use here: the run is over either way. */
		if (is_tcp_socket(fd))
			(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset,
					 sizeof(reset));
		close(fd);
	}
	m->count = 0;
}
