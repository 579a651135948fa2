/* A tracefs instance of one run's own: one event, a kernel-side filter,
 * read as text, and removed on every way out. */
#include "tracefs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NAME_PREFIX "tcpcheck-"
/* Per CPU. An event is some 80 bytes of ring; a run reads after each of
 * its events, so a few hundred changes between two reads fit. */
#define BUFFER_KB "64"
/* How long a close waits for the kernel to let go of a just-closed
 * instance before leaving it to a later sweep. */
#define REMOVE_TRIES 50
#define REMOVE_PAUSE_NS 2000000L

struct tracefs {
	int dir;  /* .../instances */
	int inst; /* .../instances/<name> */
	int pipe; /* trace_pipe, non-blocking; -1 until enabled */
	char name[64];
	struct sigaction old[3];
};

static const int cleanup_signals[3] = {SIGTERM, SIGINT, SIGHUP};

/* What the signal handler removes: a run makes one instance at most. */
static volatile sig_atomic_t cleanup_armed;
static int cleanup_dir = -1;
static int cleanup_pipe = -1;
static int cleanup_inst = -1;
static char cleanup_name[64];

static void on_fatal_signal(int sig)
{
	int e = errno;

	if (cleanup_armed) {
		struct timespec pause = {0, REMOVE_PAUSE_NS};

		cleanup_armed = 0;
		if (cleanup_pipe >= 0)
			close(cleanup_pipe);
		if (cleanup_inst >= 0)
			close(cleanup_inst);
		/* As in tracefs_close: the pipe's reference may outlive the
		 * close by a moment (nanosleep is async-signal-safe). */
		for (int i = 0; i < REMOVE_TRIES; i++) {
			if (unlinkat(cleanup_dir, cleanup_name,
				     AT_REMOVEDIR) == 0 ||
			    errno != EBUSY)
				break;
			nanosleep(&pause, NULL);
		}
	}
	/* SA_RESETHAND: the default action ends the process once the
	 * handler returns and the signal is unblocked. */
	raise(sig);
	errno = e;
}

static void arm_cleanup(struct tracefs *t)
{
	struct sigaction sa;

	cleanup_dir = t->dir;
	cleanup_pipe = t->pipe;
	snprintf(cleanup_name, sizeof(cleanup_name), "%s", t->name);
	cleanup_armed = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++) {
		sigaction(cleanup_signals[i], NULL, &t->old[i]);
		/* A signal the process ignores stays ignored. */
		if (t->old[i].sa_handler != SIG_IGN)
			sigaction(cleanup_signals[i], &sa, NULL);
	}
}

static void disarm_cleanup(struct tracefs *t)
{
	cleanup_armed = 0;
	for (int i = 0; i < 3; i++)
		if (t->old[i].sa_handler != SIG_IGN)
			sigaction(cleanup_signals[i], &t->old[i], NULL);
}

static int open_instances(void)
{
	static const char *const roots[] = {
	    "/sys/kernel/tracing/instances",
	    "/sys/kernel/debug/tracing/instances",
	};

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		int fd = open(roots[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0)
			return fd;
	}
	return -1;
}

/* "tcpcheck-<pid>-<slot>": true with both, false for any other name. */
static bool parse_name(const char *name, long *pid, unsigned *slot)
{
	int end = 0;

	return sscanf(name, NAME_PREFIX "%ld-%u%n", pid, slot, &end) == 2 &&
	       name[end] == '\0' && *pid > 0;
}

static bool process_gone(long pid)
{
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* How many instances of ours hold slot, not counting pid's own. */
static int slot_holders(int dir, unsigned slot, long pid)
{
	int fd = dup(dir);
	DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int n = 0;

	if (!dp) {
		if (fd >= 0)
			close(fd);
		return 1; /* cannot tell: taken */
	}
	rewinddir(dp);
	while ((de = readdir(dp))) {
		long p;
		unsigned s;

		if (parse_name(de->d_name, &p, &s) && s == slot && p != pid)
			n++;
	}
	closedir(dp);
	return n;
}

static int sweep_dir(int dir)
{
	int fd = dup(dir);
	DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int left = 0;

	if (!dp) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(dp);
	while ((de = readdir(dp))) {
		long p;
		unsigned s;

		if (!parse_name(de->d_name, &p, &s) || !process_gone(p))
			continue;
		/* EBUSY: its files are still open (a process of another PID
		 * namespace, or one still dying). */
		if (unlinkat(dir, de->d_name, AT_REMOVEDIR) < 0 &&
		    errno != ENOENT)
			left++;
	}
	closedir(dp);
	return left;
}

int tracefs_sweep(void)
{
	int dir = open_instances();
	int left;

	if (dir < 0)
		return 0;
	left = sweep_dir(dir);
	close(dir);
	return left;
}

/* The cleanup signals wait while the instance is in a state the handler
 * cannot undo: made but not yet known to it, or with a file open that
 * it does not know of (the rmdir would fail EBUSY). */
static void block_cleanup_signals(sigset_t *was)
{
	sigset_t block;

	sigemptyset(&block);
	for (int i = 0; i < 3; i++)
		sigaddset(&block, cleanup_signals[i]);
	sigprocmask(SIG_BLOCK, &block, was);
}

static int write_at(int dir, const char *path, const char *text)
{
	sigset_t was;
	ssize_t n = -1;
	int fd, e;

	block_cleanup_signals(&was);
	fd = openat(dir, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd >= 0) {
		n = write(fd, text, strlen(text));
		e = errno;
		close(fd);
		errno = e;
	}
	e = errno;
	sigprocmask(SIG_SETMASK, &was, NULL);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void set_why(char *why, size_t len, const char *what, int err)
{
	snprintf(why, len, "%s: %s", what, strerror(err));
}

/* Announce, then look: of two processes after the same slot, the second
 * to look sees the first, so they never both keep it (at worst both
 * back off and try the next one). */
static int claim(struct tracefs *t, unsigned slots, unsigned *slot,
		 char *why, size_t why_len)
{
	long pid = (long)getpid();

	for (unsigned i = 0; i < slots; i++) {
		unsigned n = (unsigned)(pid + i) % slots;

		if (slot_holders(t->dir, n, pid))
			continue;
		snprintf(t->name, sizeof(t->name), NAME_PREFIX "%ld-%u", pid,
			 n);
		if (mkdirat(t->dir, t->name, 0700) < 0) {
			if (errno == EEXIST)
				continue;
			set_why(why, why_len, "tracefs", errno);
			return -1;
		}
		if (slot_holders(t->dir, n, pid)) {
			(void)unlinkat(t->dir, t->name, AT_REMOVEDIR);
			continue;
		}
		*slot = n;
		return 0;
	}
	snprintf(why, why_len, "no free port block");
	return -1;
}

int tracefs_open(struct tracefs **out, unsigned slots, unsigned *slot,
		 char *why, size_t why_len)
{
	struct tracefs *t = calloc(1, sizeof(*t));
	sigset_t was;

	*out = NULL;
	if (!t) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	t->inst = -1;
	t->pipe = -1;
	t->dir = open_instances();
	if (t->dir < 0) {
		snprintf(why, why_len, "no tracefs");
		free(t);
		return -1;
	}
	(void)sweep_dir(t->dir);
	block_cleanup_signals(&was);
	if (claim(t, slots, slot, why, why_len) < 0) {
		sigprocmask(SIG_SETMASK, &was, NULL);
		close(t->dir);
		free(t);
		return -1;
	}
	arm_cleanup(t);
	t->inst = openat(t->dir, t->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_inst = t->inst;
	sigprocmask(SIG_SETMASK, &was, NULL);
	if (t->inst < 0 || write_at(t->inst, "trace_clock", "mono") < 0 ||
	    write_at(t->inst, "buffer_size_kb", BUFFER_KB) < 0) {
		set_why(why, why_len, "tracefs instance", errno);
		tracefs_close(t);
		return -1;
	}
	*out = t;
	return 0;
}

int tracefs_enable(struct tracefs *t, const char *event, const char *filter,
		   char *why, size_t why_len)
{
	char path[256];
	sigset_t was;

	snprintf(path, sizeof(path), "events/%s/filter", event);
	if (write_at(t->inst, path, filter) < 0) {
		set_why(why, why_len, "tracefs filter", errno);
		return -1;
	}
	snprintf(path, sizeof(path), "events/%s/enable", event);
	if (write_at(t->inst, path, "1") < 0) {
		set_why(why, why_len, "tracefs event", errno);
		return -1;
	}
	block_cleanup_signals(&was);
	t->pipe = openat(t->inst, "trace_pipe",
			 O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	cleanup_pipe = t->pipe;
	sigprocmask(SIG_SETMASK, &was, NULL);
	if (t->pipe < 0) {
		set_why(why, why_len, "tracefs trace_pipe", errno);
		return -1;
	}
	return 0;
}

ssize_t tracefs_read(struct tracefs *t, char *buf, size_t len)
{
	ssize_t n;

	do
		n = read(t->pipe, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return 0;
	return n;
}

const char *tracefs_name(const struct tracefs *t)
{
	return t->name;
}

void tracefs_close(struct tracefs *t)
{
	struct timespec pause = {0, REMOVE_PAUSE_NS};

	if (!t)
		return;
	disarm_cleanup(t);
	cleanup_inst = -1;
	cleanup_pipe = -1;
	if (t->pipe >= 0)
		close(t->pipe);
	if (t->inst >= 0)
		close(t->inst);
	/* The kernel lets go of the pipe's reference as the close returns;
	 * EBUSY would be something else still reading. */
	for (int i = 0; i < REMOVE_TRIES; i++) {
		if (unlinkat(t->dir, t->name, AT_REMOVEDIR) == 0 ||
		    errno != EBUSY)
			break;
		nanosleep(&pause, NULL);
	}
	close(t->dir);
	free(t);
}
