/* GNU make's jobserver, as a client: under `make -jN` a batch shares
 * make's N job slots with every other job instead of adding its own -j.
 * make hands its children a pipe (or a named pipe) holding one byte per
 * free slot; a client owns one slot for nothing and reads a byte for
 * each further job it runs at once, writing the same byte back when that
 * job ends. */
#ifndef TCPCHECK_JOBSERVER_H
#define TCPCHECK_JOBSERVER_H

#include <stdbool.h>
#include <stddef.h>

struct jobserver {
	int read_fd;  /* our own open of the pipe, non-blocking; -1: none */
	int write_fd; /* make's descriptor, or read_fd for a named pipe */
	unsigned char *held; /* the bytes taken, to give the same back */
	size_t count;
	size_t cap;
};

/* Where MAKEFLAGS says the jobserver is: the last --jobserver-auth= (or
 * the older --jobserver-fds=) word, "fifo:PATH" or "R,W". Returns 1 and
 * sets *fifo (malloc'd) or *r and *w; 0 when MAKEFLAGS names none; -1
 * when the word is malformed or there is no memory. */
int jobserver_parse(const char *makeflags, char **fifo, int *r, int *w);

/* Join the jobserver MAKEFLAGS names, if any and if usable: make closes
 * the pipe for commands it does not count as sub-makes, and then there
 * is none. Returns true when joined. */
bool jobserver_open(struct jobserver *js, const char *makeflags);

/* The descriptor to poll (POLLIN) while waiting for a slot. */
int jobserver_fd(const struct jobserver *js);

/* Take a slot if one is free now: 1, 0 if none, -1 on error. */
int jobserver_take(struct jobserver *js);

/* Give the last slot taken back. */
void jobserver_give(struct jobserver *js);

/* Give every slot back and leave. */
void jobserver_close(struct jobserver *js);

#endif
