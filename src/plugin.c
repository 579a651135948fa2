/* Stack plugins: find, load, drive the clock, queue what the stack sends. */
#include "plugin.h"

#include <dlfcn.h>
#include <stddef.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "syscalls/syscalls.h"

#ifndef STACKDIR
#define STACKDIR "/usr/local/lib/tcpcheck/stacks"
#endif

/* Virtual time starts here: 1 s, so that no time is ever 0 or negative. */
#define VIRTUAL_START_NS 1000000000LL
/* A real-time stack is given its turn this often while tcpcheck waits. */
#define REAL_TIME_STEP_NS 1000000LL
/* What the stack may send in one run before something is wrong. */
#define OUTPUT_MAX 100000

struct datagram {
	int64_t ts;
	size_t len;
	uint8_t *bytes;
};

struct plugin {
	void *dl;
	struct tcpcheck_stack_ops ops;
	void *stack; /* ops->open's handle */
	bool verbose;
	int64_t now;  /* virtual time */
	int64_t next; /* the stack's next timer, or -1 */
	struct datagram *q;
	size_t q_head, q_count, q_cap;
	uint8_t *taken; /* the datagram plugin_next_output last gave */
	/* A stack without virtual time may send from threads of its own. */
	pthread_mutex_t lock;
	size_t sent;
	bool overflow;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static bool readable(const char *path)
{
	return access(path, R_OK) == 0;
}

int plugin_find(const char *spec, char *path, size_t len, struct diag *d)
{
	const char *env = getenv("TCPCHECK_STACK_PATH");
	char self[PATH_MAX];
	ssize_t n;

	if (strchr(spec, '/')) {
		if ((size_t)snprintf(path, len, "%s", spec) >= len ||
		    !readable(path))
			return diag_set(d, EXIT_USAGE, NULL,
					"--stack=%s: cannot read %s: %s", spec,
					spec, strerror(errno ? errno : ENAMETOOLONG));
		return 0;
	}
	if (!*spec || strchr(spec, '.'))
		return diag_set(d, EXIT_USAGE, NULL,
				"--stack=%s: not a stack name (a name is "
				"letters, digits, '-' and '_'; a file has a "
				"'/')", spec);
	while (env && *env) {
		const char *end = strchr(env, ':');
		size_t dl = end ? (size_t)(end - env) : strlen(env);

		if (dl && (size_t)snprintf(path, len, "%.*s/%s.so", (int)dl, env,
					   spec) < len &&
		    readable(path))
			return 0;
		env = end ? end + 1 : NULL;
	}
	/* An uninstalled tcpcheck: ./tcpcheck above src/stacks/. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if ((size_t)snprintf(path, len, "%s/src/stacks/%s/%s.so",
					     self, spec, spec) < len &&
			    readable(path))
				return 0;
		}
	}
	if ((size_t)snprintf(path, len, "%s/%s.so", STACKDIR, spec) < len &&
	    readable(path))
		return 0;
	return diag_set(d, EXIT_USAGE, NULL,
			"--stack=%s: no such stack (looked for %s.so in "
			"$TCPCHECK_STACK_PATH, beside tcpcheck and in %s)",
			spec, spec, STACKDIR);
}

int plugin_load(const char *path, struct plugin **out, struct diag *d)
{
	struct plugin *p = calloc(1, sizeof(*p));
	int (*init)(struct tcpcheck_stack_ops *);
	const struct tcpcheck_stack_ops *o;

	*out = NULL;
	if (!p)
		return diag_set(d, EXIT_INTERNAL, NULL, "out of memory");
	p->next = -1;
	p->now = VIRTUAL_START_NS;
	pthread_mutex_init(&p->lock, NULL);
	p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!p->dl) {
		diag_set(d, EXIT_USAGE, NULL, "cannot load stack %s: %s", path,
			 dlerror());
		free(p);
		return -1;
	}
	*(void **)&init = dlsym(p->dl, TCPCHECK_STACK_INIT);
	o = &p->ops;
	if (!init) {
		diag_set(d, EXIT_USAGE, NULL,
			 "%s is not a tcpcheck stack: it has no %s()", path,
			 TCPCHECK_STACK_INIT);
	} else if (init(&p->ops)) {
		diag_set(d, EXIT_USAGE, NULL, "stack %s: %s() failed", path,
			 TCPCHECK_STACK_INIT);
	} else if (o->version != TCPCHECK_STACK_VERSION) {
		diag_set(d, EXIT_USAGE, NULL,
			 "stack %s has interface version %u; this tcpcheck "
			 "knows version %d",
			 path, o->version, TCPCHECK_STACK_VERSION);
	} else if (!o->name || !o->open || !o->close || !o->inject ||
		   (!o->tcp_state && !o->tcp_state_tuple)) {
		diag_set(d, EXIT_USAGE, NULL,
			 "stack %s lacks a required operation (name, open, "
			 "close, inject, and tcp_state or tcp_state_tuple)",
			 path);
	} else if ((o->flags & TCPCHECK_STACK_VIRTUAL_TIME) && !o->advance) {
		diag_set(d, EXIT_USAGE, NULL,
			 "stack %s has virtual time but no advance()", path);
	} else {
		*out = p;
		return 0;
	}
	dlclose(p->dl);
	free(p);
	return -1;
}

static void queue_output(struct plugin *p, const void *datagram, size_t len);

static void host_output(void *ctx, const void *datagram, size_t len)
{
	struct plugin *p = ctx;

	pthread_mutex_lock(&p->lock);
	queue_output(p, datagram, len);
	pthread_mutex_unlock(&p->lock);
}

static void queue_output(struct plugin *p, const void *datagram, size_t len)
{
	struct datagram *g;

	if (p->sent >= OUTPUT_MAX) {
		p->overflow = true;
		return;
	}
	if (p->q_head + p->q_count == p->q_cap) {
		if (p->q_head > 0) {
			memmove(p->q, p->q + p->q_head,
				p->q_count * sizeof(*p->q));
			p->q_head = 0;
		} else {
			size_t cap = p->q_cap ? 2 * p->q_cap : 16;
			struct datagram *n = realloc(p->q, cap * sizeof(*n));

			if (!n) {
				p->overflow = true;
				return;
			}
			p->q = n;
			p->q_cap = cap;
		}
	}
	g = &p->q[p->q_head + p->q_count];
	g->bytes = malloc(len ? len : 1);
	if (!g->bytes) {
		p->overflow = true;
		return;
	}
	memcpy(g->bytes, datagram, len);
	g->len = len;
	g->ts = plugin_now(p);
	p->q_count++;
	p->sent++;
}

static void host_log(void *ctx, const char *line)
{
	const struct plugin *p = ctx;

	if (p->verbose) {
		printf("# %s: %s\n", p->ops.name, line);
		fflush(stdout);
	}
}

/* Virtual time: run what is due now and learn the next timer; one that
 * says now or earlier counts as the next nanosecond, so time never
 * stands still. */
static void advance_now(struct plugin *p)
{
	p->next = p->ops.advance(p->stack, p->now);
	if (p->next >= 0 && p->next <= p->now)
		p->next = p->now + 1;
}

int plugin_open(struct plugin *p, const struct tcpcheck_stack_config *cfg,
		bool verbose, struct diag *d)
{
	const struct tcpcheck_stack_host host = {
		.ctx = p, .output = host_output, .log = host_log};
	char err[256] = "";

	p->verbose = verbose;
	p->stack = p->ops.open(cfg, &host, err, sizeof(err));
	if (!p->stack)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"stack %s cannot start: %s", p->ops.name,
				err[0] ? err : "open() failed");
	if (plugin_virtual(p))
		advance_now(p);
	return 0;
}

void plugin_free(struct plugin *p)
{
	if (!p)
		return;
	if (p->stack)
		p->ops.close(p->stack);
	for (size_t i = 0; i < p->q_count; i++)
		free(p->q[p->q_head + i].bytes);
	free(p->q);
	free(p->taken);
	pthread_mutex_destroy(&p->lock);
	/* The stack's code may still be on some thread's stack (a real-time
	 * stack that failed to stop one): never unmapped under it. */
	free(p);
}

const char *plugin_name(const struct plugin *p)
{
	return p->ops.name;
}

bool plugin_virtual(const struct plugin *p)
{
	return p->ops.flags & TCPCHECK_STACK_VIRTUAL_TIME;
}

int64_t plugin_now(const struct plugin *p)
{
	return plugin_virtual(p) ? p->now : mono_ns();
}

int64_t plugin_next_timer(const struct plugin *p)
{
	return plugin_virtual(p) ? p->next : -1;
}

void plugin_advance(struct plugin *p, int64_t t, bool stop_on_output)
{
	if (!plugin_virtual(p)) {
		int64_t now = mono_ns();

		while (now < t &&
		       !(stop_on_output && plugin_output_waiting(p, NULL))) {
			int64_t step = t - now < REAL_TIME_STEP_NS
					       ? t - now
					       : REAL_TIME_STEP_NS;
			struct timespec ts = {0, step};

			nanosleep(&ts, NULL);
			now = mono_ns();
			if (p->ops.advance)
				(void)p->ops.advance(p->stack, now);
		}
		return;
	}
	/* Each timer at its own time, in order, so what it sends carries
	 * that time. */
	while (p->next >= 0 && p->next <= t &&
	       !(stop_on_output && p->q_count)) {
		if (p->next > p->now)
			p->now = p->next;
		advance_now(p);
	}
	if (stop_on_output && p->q_count)
		return;
	if (t > p->now) {
		p->now = t;
		advance_now(p);
	}
}

int plugin_inject(struct plugin *p, const void *datagram, size_t len,
		  struct diag *d)
{
	if (p->ops.inject(p->stack, datagram, len))
		return diag_set(d, EXIT_INTERNAL, NULL,
				"stack %s could not take a datagram of %zu "
				"bytes",
				p->ops.name, len);
	if (plugin_virtual(p))
		advance_now(p);
	return 0;
}

int plugin_next_output(struct plugin *p, const uint8_t **bytes, size_t *len,
		       int64_t *ts)
{
	struct datagram *g;

	free(p->taken);
	p->taken = NULL;
	pthread_mutex_lock(&p->lock);
	if (!p->q_count) {
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	g = &p->q[p->q_head++];
	p->q_count--;
	if (!p->q_count)
		p->q_head = 0;
	p->taken = g->bytes;
	*bytes = g->bytes;
	*len = g->len;
	*ts = g->ts;
	pthread_mutex_unlock(&p->lock);
	return 1;
}

size_t plugin_output_waiting(struct plugin *p, int64_t *ts)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->q_count;
	if (n && ts)
		*ts = p->q[p->q_head].ts;
	pthread_mutex_unlock(&p->lock);
	return n;
}

static int to_state(const struct plugin *p, int v, enum tcp_state_id *st,
		    struct diag *d)
{
	if (v < TCPCHECK_CLOSED || v > TCPCHECK_TIME_WAIT)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"stack %s reported TCP state %d, which is "
				"none of the 11",
				p->ops.name, v);
	*st = (enum tcp_state_id)v;
	return 0;
}

int plugin_state_fd(struct plugin *p, int fd, enum tcp_state_id *st,
		    struct diag *d)
{
	int v;

	if (!p->ops.tcp_state)
		return diag_set(d, EXIT_USAGE, NULL,
				"stack %s cannot say the state of an fd; "
				"write tcp_state() without one",
				p->ops.name);
	errno = 0;
	v = p->ops.tcp_state(p->stack, fd);
	if (v < 0)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"stack %s cannot say the state of its fd %d: "
				"%s",
				p->ops.name, fd, strerror(errno));
	return to_state(p, v, st, d);
}

int plugin_state_tuple(struct plugin *p, const struct sockaddr *local,
		       const struct sockaddr *remote, enum tcp_state_id *st,
		       struct diag *d)
{
	if (!p->ops.tcp_state_tuple)
		return diag_set(d, EXIT_USAGE, NULL,
				"stack %s cannot say the state of a "
				"connection without its fd; write "
				"tcp_state(fd)",
				p->ops.name);
	return to_state(p, p->ops.tcp_state_tuple(p->stack, local, remote),
			st, d);
}

bool plugin_lacks(const struct plugin *p, const char *call)
{
	static const struct {
		const char *name;
		size_t off;
	} ops[] = {
#define OP(n, f) {n, offsetof(struct tcpcheck_stack_ops, f)}
		OP("socket", socket),     OP("bind", bind),
		OP("listen", listen),     OP("accept", accept),
		OP("connect", connect),   OP("read", read),
		OP("write", write),       OP("send", send),
		OP("recv", recv),         OP("sendto", sendto),
		OP("recvfrom", recvfrom), OP("sendmsg", sendmsg),
		OP("recvmsg", recvmsg),   OP("close", close_fd),
		OP("shutdown", shutdown), OP("getsockopt", getsockopt),
		OP("setsockopt", setsockopt), OP("fcntl", fcntl),
		OP("poll", poll),
#undef OP
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(ops[i].name, call)) {
			void *fn;

			memcpy(&fn, (const char *)&p->ops + ops[i].off,
			       sizeof(fn));
			return fn == NULL;
		}
	return true; /* pipe, open, epoll...: not the stack's */
}

static long perform(struct plugin *p, const char *c, struct call_outcome *o);

long plugin_perform(struct plugin *p, const char *c, struct call_outcome *o)
{
	long ret = perform(p, c, o);
	int err = errno;

	/* What the call armed: the next timer may be sooner now. */
	if (plugin_virtual(p))
		advance_now(p);
	errno = err;
	return ret;
}

static long perform(struct plugin *p, const char *c, struct call_outcome *o)
{
	void *s = p->stack;
	int fd = (int)o->arg[0];

	if (plugin_lacks(p, c)) {
		errno = ENOSYS;
		return -1;
	}
	if (!strcmp(c, "socket"))
		return p->ops.socket(s, fd, (int)o->arg[1], (int)o->arg[2]);
	if (!strcmp(c, "bind"))
		return p->ops.bind(s, fd, o->ptr[1], (socklen_t)o->arg[2]);
	if (!strcmp(c, "listen"))
		return p->ops.listen(s, fd, (int)o->arg[1]);
	if (!strcmp(c, "accept"))
		return p->ops.accept(s, fd, o->ptr[1], o->ptr[2]);
	if (!strcmp(c, "connect"))
		return p->ops.connect(s, fd, o->ptr[1], (socklen_t)o->arg[2]);
	if (!strcmp(c, "read"))
		return p->ops.read(s, fd, o->ptr[1], (size_t)o->arg[2]);
	if (!strcmp(c, "write"))
		return p->ops.write(s, fd, o->ptr[1], (size_t)o->arg[2]);
	if (!strcmp(c, "send"))
		return p->ops.send(s, fd, o->ptr[1], (size_t)o->arg[2],
				   (int)o->arg[3]);
	if (!strcmp(c, "recv"))
		return p->ops.recv(s, fd, o->ptr[1], (size_t)o->arg[2],
				   (int)o->arg[3]);
	if (!strcmp(c, "sendto"))
		return p->ops.sendto(s, fd, o->ptr[1], (size_t)o->arg[2],
				     (int)o->arg[3], o->ptr[4],
				     (socklen_t)o->arg[5]);
	if (!strcmp(c, "recvfrom"))
		return p->ops.recvfrom(s, fd, o->ptr[1], (size_t)o->arg[2],
				       (int)o->arg[3], o->ptr[4], o->ptr[5]);
	if (!strcmp(c, "sendmsg"))
		return p->ops.sendmsg(s, fd, o->ptr[1], (int)o->arg[2]);
	if (!strcmp(c, "recvmsg"))
		return p->ops.recvmsg(s, fd, o->ptr[1], (int)o->arg[2]);
	if (!strcmp(c, "close"))
		return p->ops.close_fd(s, fd);
	if (!strcmp(c, "shutdown"))
		return p->ops.shutdown(s, fd, (int)o->arg[1]);
	if (!strcmp(c, "getsockopt"))
		return p->ops.getsockopt(s, fd, (int)o->arg[1], (int)o->arg[2],
					 o->ptr[3], o->ptr[4]);
	if (!strcmp(c, "setsockopt"))
		return p->ops.setsockopt(s, fd, (int)o->arg[1], (int)o->arg[2],
					 o->ptr[3], (socklen_t)o->arg[4]);
	if (!strcmp(c, "fcntl"))
		return p->ops.fcntl(s, fd, (int)o->arg[1], o->arg[2]);
	if (!strcmp(c, "poll")) {
		long ret = p->ops.poll(s, o->ptr[0], (nfds_t)o->arg[1]);

		/* Nothing ready, and the script's poll would wait: it sleeps
		 * until something is, or its timeout (the scheduler's). */
		if (ret == 0 && o->arg[2] != 0)
			return TCPCHECK_STACK_ASLEEP;
		return ret;
	}
	errno = ENOSYS;
	return -1;
}
