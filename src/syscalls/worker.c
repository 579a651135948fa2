/* Calls that may block run on worker threads (kept for the next call) so
 * the script goes on beside them; the scheduler learns when one sleeps in
 * the kernel and when it has returned. */
#include "syscalls/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Between the polls of the thread's state: short, and a sleep, not a spin. */
#define ASLEEP_POLL_NSECS 50000L
/* worker_cancel gives a call this long to notice the signal. */
#define CANCEL_TRIES 1000

struct worker {
	const struct prepared_call *pc;
	struct call_outcome out; /* the thread's until it sets done */
	pthread_t thread;
	int go;       /* eventfd: the main thread hands a call over */
	int efd;      /* eventfd: the call has returned */
	int stat_fd;  /* the main thread's view of /proc/self/task/<tid>/stat */
	int sched_fd; /* the thread's own /proc/thread-self/schedstat */
	atomic_int tid;
	atomic_bool in_call;
	atomic_bool done;
	bool cancelled; /* signalled: never handed another call */
	struct worker *next_idle;
};

/* Threads whose call has been collected wait here for the next one:
 * creating a thread per call cost some 100 us each, and a script that
 * makes ten calls at +0 would drift past its tolerance on a busy machine.
 * Only the run's main thread touches the list. */
static struct worker *idle_workers;

/* Nanoseconds this thread has spent runnable but waiting for a CPU
 * (schedstat's second field); -1 where the kernel does not say. */
static int64_t run_delay_ns(struct worker *w)
{
	char buf[128];
	long long on_cpu, delay;
	ssize_t n;

	if (w->sched_fd < 0)
		w->sched_fd = open("/proc/thread-self/schedstat",
				   O_RDONLY | O_CLOEXEC);
	if (w->sched_fd < 0)
		return -1;
	n = pread(w->sched_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%lld %lld", &on_cpu, &delay) != 2)
		return -1;
	return delay;
}

/* Block until the main thread hands over a call. The cancel signal may
 * cut the wait short; that is no call. */
static void wait_for_call(struct worker *w)
{
	uint64_t v;

	while (read(w->go, &v, sizeof(v)) != (ssize_t)sizeof(v))
		;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	sigset_t cancel;
	uint64_t one = 1;

	sigemptyset(&cancel);
	sigaddset(&cancel, WORKER_CANCEL_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &cancel, NULL);
	atomic_store(&w->tid, (int)syscall(SYS_gettid));
	for (;;) {
		int64_t delay;

		wait_for_call(w);
		delay = run_delay_ns(w);
		/* in_call brackets only the call, so a sleep seen while it
		 * is set is the call's, not the wait's or malloc's. */
		atomic_store(&w->in_call, true);
		syscall_perform(w->pc, &w->out);
		atomic_store(&w->in_call, false);
		/* On a busy machine a woken call may wait for a CPU before
		 * it gets back here: that wait is the machine's, not the
		 * stack's. */
		if (delay >= 0) {
			int64_t after = run_delay_ns(w);

			w->out.cpu_wait_ns = after >= delay ? after - delay : 0;
		}
		atomic_store(&w->done, true);
		if (write(w->efd, &one, sizeof(one)) < 0)
			perror("tcpcheck: worker eventfd");
	}
	return NULL;
}

static int start_thread(struct worker *w)
{
	sigset_t all, old;
	int rc;

	/* The thread inherits a mask with every signal blocked (it unblocks
	 * only the cancel signal), so the run's own signals can never cut a
	 * scripted call short with EINTR. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* A new thread, waiting for its first call. Returns NULL with errno. */
static struct worker *new_worker(void)
{
	struct worker *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return NULL;
	w->stat_fd = -1;
	w->sched_fd = -1;
	w->go = eventfd(0, EFD_CLOEXEC);
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->go < 0 || w->efd < 0) {
		rc = errno;
		goto fail;
	}
	rc = start_thread(w);
	if (rc == 0)
		return w;
fail:
	if (w->go >= 0)
		close(w->go);
	if (w->efd >= 0)
		close(w->efd);
	free(w);
	errno = rc;
	return NULL;
}

int worker_start(const struct prepared_call *pc, const struct syscall_env *env,
		 struct worker **out, struct diag *d)
{
	struct worker *w = idle_workers;
	uint64_t one = 1;

	*out = NULL;
	if (w) {
		idle_workers = w->next_idle;
	} else if (!(w = new_worker())) {
		int e = errno;

		return diag_set(d, EXIT_INTERNAL, &pc->name_loc,
				"cannot start a thread for %s: %s", pc->name,
				strerror(e));
	}
	w->pc = pc;
	w->next_idle = NULL;
	atomic_store(&w->done, false);
	syscall_resolve(pc, env, &w->out);
	if (write(w->go, &one, sizeof(one)) < 0) {
		int e = errno;

		syscall_release(&w->out);
		w->next_idle = idle_workers;
		idle_workers = w;
		return diag_set(d, EXIT_INTERNAL, &pc->name_loc,
				"cannot hand %s to its thread: %s", pc->name,
				strerror(e));
	}
	*out = w;
	return 0;
}

int worker_fd(const struct worker *w)
{
	return w->efd;
}

bool worker_done(const struct worker *w)
{
	return atomic_load(&w->done);
}

/* The state letter of a worker thread, from /proc/self/task/<tid>/stat:
 * "tid (comm) S ...", where comm may hold spaces and parentheses. */
static char thread_state(struct worker *w, int tid)
{
	char buf[512];
	const char *p;
	ssize_t n;

	if (w->stat_fd < 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
		w->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (w->stat_fd < 0)
			return 0;
	}
	n = pread(w->stat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	return p[2];
}

static bool asleep_in_call(struct worker *w)
{
	int tid = atomic_load(&w->tid);

	if (tid == 0 || !atomic_load(&w->in_call))
		return false;
	/* Still in the call after the read: the sleep was the call's. */
	return thread_state(w, tid) == 'S' && atomic_load(&w->in_call);
}

enum worker_state worker_wait_asleep(struct worker *w, long max_usecs)
{
	const struct timespec step = {0, ASLEEP_POLL_NSECS};
	struct pollfd pfd = {.fd = w->efd, .events = POLLIN};
	struct timespec now, end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += max_usecs / 1000000;
	end.tv_nsec += (max_usecs % 1000000) * 1000;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	for (;;) {
		if (atomic_load(&w->done))
			return WORKER_DONE;
		if (asleep_in_call(w))
			return WORKER_ASLEEP;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			return WORKER_RUNNING;
		/* Sleep on the eventfd: a call that returns wakes us at once,
		 * so quick calls are not held up by the step. The eventfd is
		 * not read, so it stays readable for the scheduler. */
		ppoll(&pfd, 1, &step, NULL);
	}
}

static void on_cancel_signal(int sig)
{
	(void)sig;
}

static void install_cancel_handler(void)
{
	struct sigaction sa = {.sa_handler = on_cancel_signal};

	/* No SA_RESTART: the interrupted call must return EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(WORKER_CANCEL_SIGNAL, &sa, NULL);
}

void worker_cancel(struct worker *w)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct pollfd pfd = {.fd = w->efd, .events = POLLIN};

	pthread_once(&once, install_cancel_handler);
	w->cancelled = true;
	/* Again and again: a signal that lands before the thread enters the
	 * call interrupts nothing. */
	for (int i = 0; i < CANCEL_TRIES && !atomic_load(&w->done); i++) {
		pthread_kill(w->thread, WORKER_CANCEL_SIGNAL);
		poll(&pfd, 1, 1);
	}
}

void worker_collect(struct worker *w, struct call_outcome *out)
{
	struct pollfd pfd = {.fd = w->efd, .events = POLLIN};
	uint64_t v;

	while (!atomic_load(&w->done))
		poll(&pfd, 1, -1);
	(void)!read(w->efd, &v, sizeof(v));
	syscall_release(&w->out);
	*out = w->out;
	/* Back to the pool, unless a cancel signal may still be on its way
	 * to it: such a thread just waits, unused, until the run exits. */
	if (w->cancelled)
		return;
	w->next_idle = idle_workers;
	idle_workers = w;
}
