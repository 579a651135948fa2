/* GNU make's jobserver protocol, client side (see jobserver.h and the
 * "Job Slots" node of make's manual). */
#include "jobserver.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const auth_words[] = {
    "--jobserver-auth=",
    "--jobserver-fds=", /* make before 4.2 */
};

static int parse_fd(const char *s, size_t len, int *out)
{
	long v = 0;

	if (len == 0 || len > 9)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = (int)v;
	return 0;
}

int jobserver_parse(const char *makeflags, char **fifo, int *r, int *w)
{
	const char *value = NULL;
	size_t len = 0;

	*fifo = NULL;
	*r = *w = -1;
	if (!makeflags)
		return 0;
	/* Words are separated by blanks; the last mention wins, as make's
	 * own flags after a sub-make's arguments do. */
	for (const char *p = makeflags; *p;) {
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		for (size_t k = 0; k < sizeof(auth_words) / sizeof(*auth_words);
		     k++) {
			size_t a = strlen(auth_words[k]);

			if (n >= a && !strncmp(p, auth_words[k], a)) {
				value = p + a;
				len = n - a;
			}
		}
		p += n;
	}
	if (!value)
		return 0;
	if (len > 5 && !strncmp(value, "fifo:", 5)) {
		*fifo = strndup(value + 5, len - 5);
		return *fifo ? 1 : -1;
	}
	const char *comma = memchr(value, ',', len);

	if (!comma || parse_fd(value, (size_t)(comma - value), r) ||
	    parse_fd(comma + 1, len - (size_t)(comma - value) - 1, w))
		return -1;
	return 1;
}

/* Open, and open for reading (mode O_RDONLY) or writing (O_WRONLY). */
static bool open_for(int fd, int mode)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return false;
	fl &= O_ACCMODE;
	return fl == mode || fl == O_RDWR;
}

bool jobserver_open(struct jobserver *js, const char *makeflags)
{
	char *fifo = NULL;
	int r, w;

	memset(js, 0, sizeof(*js));
	js->read_fd = js->write_fd = -1;
	if (jobserver_parse(makeflags, &fifo, &r, &w) != 1)
		return false;
	if (fifo) {
		/* Read and write on our own description: O_NONBLOCK on it
		 * touches nobody else's. */
		js->read_fd = open(fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		js->write_fd = js->read_fd;
		free(fifo);
		return js->read_fd >= 0;
	}
	if (!open_for(r, O_RDONLY) || !open_for(w, O_WRONLY))
		return false;
	/* make's read end is shared with every other job: a new open of
	 * the same pipe gives a description of our own to make
	 * non-blocking, so that a byte another job took first between our
	 * poll and our read leaves us waiting in poll, not in read. */
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", r);
	js->read_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	js->write_fd = w;
	return js->read_fd >= 0;
}

int jobserver_fd(const struct jobserver *js)
{
	return js->read_fd;
}

int jobserver_take(struct jobserver *js)
{
	unsigned char c;
	ssize_t n;

	if (js->read_fd < 0)
		return -1;
	if (js->count == js->cap) {
		size_t cap = js->cap ? 2 * js->cap : 16;
		unsigned char *p = realloc(js->held, cap);

		if (!p)
			return -1;
		js->held = p;
		js->cap = cap;
	}
	do
		n = read(js->read_fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1) {
		js->held[js->count++] = c;
		return 1;
	}
	return n < 0 && errno == EAGAIN ? 0 : -1;
}

void jobserver_give(struct jobserver *js)
{
	ssize_t n;

	if (!js->count)
		return;
	do
		n = write(js->write_fd, &js->held[js->count - 1], 1);
	while (n < 0 && errno == EINTR);
	/* Lost if make's pipe is gone: make is gone too. */
	js->count--;
}

void jobserver_close(struct jobserver *js)
{
	while (js->count)
		jobserver_give(js);
	if (js->read_fd >= 0)
		close(js->read_fd);
	free(js->held);
	memset(js, 0, sizeof(*js));
	js->read_fd = js->write_fd = -1;
}
