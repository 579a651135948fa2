/* The batch runner: many scripts, each run in a child process of its own
 * (and so in a network namespace of its own), several at once, their
 * output captured apart, judged and reported as each run ends. */
#include "batch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batch_internal.h"
#include "diag.h"
#include "report.h"
#include "ticks.h"

#define NS_PER_SEC 1000000000LL
/* After a run exits, how long something it left outside its process
 * group may keep its output pipes open. */
#define PIPE_GRACE_NS (2 * NS_PER_SEC)

/* Stands for a text when there is no memory even for "". */
static const char no_text[] = "";

/* A run in progress. */
struct slot {
	const struct batch_job *job; /* NULL: the slot is free */
	pid_t pid;		     /* its process group too */
	int fd[2];		     /* its stdout and stderr; -1: at EOF */
	struct batch_text text[2];
	int64_t started;
	int64_t deadline;  /* 0: no --timeout */
	int64_t exited_at; /* 0: not reaped yet */
	int wait_status;
	bool timed_out;
};

struct batch {
	const struct batch_options *o;
	struct batch_job *jobs;
	size_t job_count;
	size_t next; /* the next job to start */
	struct slot *slots;
	unsigned slot_count;
	unsigned active;
	struct pollfd *pfd;	    /* 1 + 2 per slot */
	struct run_result *results; /* in the order they finished */
	size_t done;
	size_t failed;
	int sigfd;
	sigset_t old_mask;
	struct sigaction old_chld;
	struct sigaction old_pipe;
	int64_t start;
	int64_t next_redraw;
	bool progress; /* a live line on a terminal */
	int stop_signal;
};

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * NS_PER_SEC + t.tv_nsec;
}

/* In the child: the script with the variant's option added; returns its
 * exit status. */
static int run_job(const struct batch *b, const struct batch_job *j)
{
	struct check_params p = *b->o->params;
	struct cli_option *opts = calloc(p.option_count + 1, sizeof(*opts));
	int status;

	if (!opts)
		return EXIT_INTERNAL;
	if (p.option_count)
		memcpy(opts, p.options, p.option_count * sizeof(*opts));
	if (!b->o->variants.implicit) {
		opts[p.option_count].name = "ip_version";
		opts[p.option_count].value = batch_variant_name(j->variant);
		p.option_count++;
	}
	p.options = opts;
	if (j->kind == BATCH_GOLDEN_AST)
		p.dump_ast = true;
	status = check_script(j->path, &p);
	free(opts);
	return status;
}

/* The child of one run: its own process group (so that the batch can kill
 * the run with everything it started), its output into the pipes. */
static void run_child(const struct batch *b, const struct slot *me, int out[2],
		      int err[2])
{
	int null = open("/dev/null", O_RDONLY);
	int status;

	setpgid(0, 0);
	sigaction(SIGCHLD, &b->old_chld, NULL);
	sigaction(SIGPIPE, &b->old_pipe, NULL);
	sigprocmask(SIG_SETMASK, &b->old_mask, NULL);
	close(b->sigfd);
	for (unsigned i = 0; i < b->slot_count; i++)
		for (int k = 0; k < 2 && b->slots[i].job; k++)
			if (&b->slots[i] != me && b->slots[i].fd[k] >= 0)
				close(b->slots[i].fd[k]);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	if (dup2(out[1], STDOUT_FILENO) < 0 || dup2(err[1], STDERR_FILENO) < 0)
		_exit(EXIT_INTERNAL);
	close(out[0]);
	close(out[1]);
	close(err[0]);
	close(err[1]);
	status = run_job(b, me->job);
	fflush(stdout);
	fflush(stderr);
	_exit(status);
}

static void close_pipes(int out[2], int err[2])
{
	for (int k = 0; k < 2; k++) {
		if (out[k] >= 0)
			close(out[k]);
		if (err[k] >= 0)
			close(err[k]);
	}
}

/* Fork the run of job into slot s; returns 0, or -1 with errno. */
static int start_job(struct batch *b, struct slot *s,
		     const struct batch_job *job)
{
	int out[2] = {-1, -1}, err[2] = {-1, -1};
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		int e = errno;

		close_pipes(out, err);
		errno = e;
		return -1;
	}
	memset(s, 0, sizeof(*s));
	s->job = job;
	s->fd[0] = out[0];
	s->fd[1] = err[0];
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		run_child(b, s, out, err);
	if (pid < 0) {
		int e = errno;

		close_pipes(out, err);
		memset(s, 0, sizeof(*s));
		errno = e;
		return -1;
	}
	/* Both sides set the group: whichever runs first, a kill finds it. */
	setpgid(pid, pid);
	close(out[1]);
	close(err[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	s->pid = pid;
	s->started = now_ns();
	if (b->o->timeout)
		s->deadline = s->started + b->o->timeout * NS_PER_SEC;
	b->active++;
	return 0;
}

static const char *verdict_name(int status)
{
	switch (status) {
	case EXIT_PASS:
		return "PASS";
	case EXIT_SKIP:
		return "SKIP";
	case EXIT_FAIL:
		return "FAIL";
	default:
		return "ERROR";
	}
}

static bool is_failure(int status)
{
	return status != EXIT_PASS && status != EXIT_SKIP;
}

static void draw_progress(struct batch *b, int64_t now)
{
	long elapsed = (long)((now - b->start) / NS_PER_SEC);

	printf("\r[%zu/%zu] %zu failed  elapsed %lds", b->done, b->job_count,
	       b->failed, elapsed);
	if (b->done)
		printf("  ETA %lds",
		       (long)((double)(now - b->start) / NS_PER_SEC *
			      (double)(b->job_count - b->done) /
			      (double)b->done));
	fputs("\033[K", stdout);
	fflush(stdout);
	b->next_redraw = now + NS_PER_SEC;
}

static void clear_progress(const struct batch *b)
{
	if (b->progress)
		fputs("\r\033[K", stdout);
}

/* Print a finished run: a TAP line, or a verdict line (on a terminal, for
 * failures only), then a failure's diagnostic. */
static void print_result(struct batch *b, const struct run_result *r)
{
	char name[PATH_MAX + 64];
	bool bad = is_failure(r->status);
	size_t len = strlen(r->diagnostic);

	if (b->o->tap) {
		report_tap_result(stdout, b->done, r);
		fflush(stdout);
		return;
	}
	if (b->progress && !bad)
		return;
	clear_progress(b);
	report_run_name(r, name, sizeof(name));
	printf("%-6s%s  %.2fs\n", verdict_name(r->status), name, r->seconds);
	if (bad && len)
		printf("%s%s", r->diagnostic,
		       r->diagnostic[len - 1] == '\n' ? "" : "\n");
	if (b->o->params->verbose && *r->log)
		fputs(r->log, stdout);
	fflush(stdout);
}

/* Record a finished run (its texts are taken) and print it. */
static void add_result(struct batch *b, const struct batch_job *j, int status,
		       char *diagnostic, char *log, double seconds,
		       bool timed_out)
{
	struct run_result *r = &b->results[b->done++];

	r->path = j->path;
	r->variant = batch_variant_name(j->variant);
	r->status = status;
	r->seconds = seconds;
	r->diagnostic = diagnostic ? diagnostic : no_text;
	r->log = log ? log : no_text;
	r->timed_out = timed_out;
	b->failed += is_failure(status);
	print_result(b, r);
}

static void fork_failed(struct batch *b, const struct batch_job *j)
{
	char *msg = NULL;
	size_t len;
	FILE *f = open_memstream(&msg, &len);

	if (f) {
		fprintf(f, "%s: internal error: cannot start the run: %s\n",
			j->path, strerror(errno));
		fclose(f);
	}
	add_result(b, j, EXIT_INTERNAL, msg, NULL, 0, false);
}

/* A run whose child was reaped and whose pipes are closed: judge it. */
static void finish_slot(struct batch *b, struct slot *s)
{
	char *diag = NULL;
	size_t len;
	FILE *f = open_memstream(&diag, &len);
	int status = EXIT_INTERNAL;

	batch_text_close(&s->text[0]);
	batch_text_close(&s->text[1]);
	if (f) {
		status = batch_judge(s->job, s->wait_status,
				     s->timed_out ? b->o->timeout : 0,
				     &s->text[0], &s->text[1], f);
		fclose(f);
	}
	free(s->text[1].data);
	add_result(b, s->job, status, diag, batch_text_take(&s->text[0]),
		   (double)(s->exited_at - s->started) / NS_PER_SEC,
		   s->timed_out);
	memset(s, 0, sizeof(*s));
	b->active--;
}

/* --- the loop --- */

static struct slot *slot_of(struct batch *b, pid_t pid)
{
	for (unsigned i = 0; i < b->slot_count; i++)
		if (b->slots[i].job && b->slots[i].pid == pid)
			return &b->slots[i];
	return NULL;
}

/* Reap every child that ended. A run's child is still a zombie when it
 * is found, so its pid, which names its process group, cannot be reused
 * yet: whatever the run left in its group is killed first. Other
 * children are descendants of runs whose parents died before them (the
 * batch is their subreaper). */
static void reap(struct batch *b)
{
	for (;;) {
		siginfo_t si;
		struct slot *s;
		int ws;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    si.si_pid == 0)
			return;
		s = slot_of(b, si.si_pid);
		if (s)
			kill(-si.si_pid, SIGKILL);
		if (waitpid(si.si_pid, &ws, 0) < 0)
			return;
		if (s) {
			s->wait_status = ws;
			s->exited_at = now_ns();
		}
	}
}

static void read_signals(struct batch *b)
{
	struct signalfd_siginfo si;

	while (read(b->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo != SIGCHLD && !b->stop_signal)
			b->stop_signal = (int)si.ssi_signo;
	reap(b);
}

/* Take what a run printed; a bounded amount per call, to be fair. */
static void read_output(struct slot *s, int k)
{
	char chunk[65536];

	for (int i = 0; i < 16; i++) {
		ssize_t n = read(s->fd[k], chunk, sizeof(chunk));

		if (n > 0) {
			batch_text_add(&s->text[k], chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close(s->fd[k]);
		s->fd[k] = -1;
		return;
	}
}

static void close_slot_pipes(struct slot *s)
{
	for (int k = 0; k < 2; k++)
		if (s->fd[k] >= 0) {
			close(s->fd[k]);
			s->fd[k] = -1;
		}
}

/* --timeout: the run's whole group is killed. A run that exited while
 * something outside its group still holds its pipes is not waited for
 * long. */
static void check_deadlines(struct batch *b, int64_t now)
{
	for (unsigned i = 0; i < b->slot_count; i++) {
		struct slot *s = &b->slots[i];

		if (!s->job)
			continue;
		if (!s->exited_at && s->deadline && now >= s->deadline &&
		    !s->timed_out) {
			s->timed_out = true;
			kill(-s->pid, SIGKILL);
		}
		if (s->exited_at && now >= s->exited_at + PIPE_GRACE_NS)
			close_slot_pipes(s);
	}
}

/* Until the next deadline or redraw, in ms; -1: none. */
static int poll_timeout(const struct batch *b, int64_t now)
{
	int64_t next = INT64_MAX;

	for (unsigned i = 0; i < b->slot_count; i++) {
		const struct slot *s = &b->slots[i];

		if (s->job && !s->exited_at && s->deadline && !s->timed_out &&
		    s->deadline < next)
			next = s->deadline;
		if (s->job && s->exited_at &&
		    s->exited_at + PIPE_GRACE_NS < next)
			next = s->exited_at + PIPE_GRACE_NS;
	}
	if (b->progress && b->next_redraw < next)
		next = b->next_redraw;
	if (next == INT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return (int)((next - now + 999999) / 1000000 > INT_MAX
			 ? INT_MAX
			 : (next - now + 999999) / 1000000);
}

/* One round: wait for output, a signal or a deadline; finish what ended.
 * Slot i's pipes are pfd[1 + 2i] and pfd[2 + 2i] (fd -1: poll skips). */
static int wait_events(struct batch *b)
{
	int64_t now = now_ns();
	size_t n = 1 + 2 * (size_t)b->slot_count;
	bool finished = false;

	b->pfd[0] = (struct pollfd){.fd = b->sigfd, .events = POLLIN};
	for (unsigned i = 0; i < b->slot_count; i++)
		for (int k = 0; k < 2; k++)
			b->pfd[1 + 2 * i + k] = (struct pollfd){
			    .fd = b->slots[i].job ? b->slots[i].fd[k] : -1,
			    .events = POLLIN};
	if (poll(b->pfd, n, poll_timeout(b, now)) < 0 && errno != EINTR)
		return -1;
	for (unsigned i = 0; i < b->slot_count; i++)
		for (int k = 0; k < 2; k++)
			if (b->pfd[1 + 2 * i + k].revents &&
			    b->slots[i].fd[k] >= 0)
				read_output(&b->slots[i], k);
	if (b->pfd[0].revents)
		read_signals(b);
	now = now_ns();
	check_deadlines(b, now);
	for (unsigned i = 0; i < b->slot_count; i++) {
		struct slot *s = &b->slots[i];

		if (s->job && s->exited_at && s->fd[0] < 0 && s->fd[1] < 0) {
			finish_slot(b, s);
			finished = true;
		}
	}
	if (b->progress && (finished || now >= b->next_redraw))
		draw_progress(b, now);
	return 0;
}

/* Start runs in the free slots. Out of processes or descriptors with runs
 * still going, a job waits for one of them to end; else it fails. */
static void fill(struct batch *b)
{
	for (unsigned i = 0; i < b->slot_count; i++) {
		const struct batch_job *j;

		if (b->slots[i].job)
			continue;
		if (b->next == b->job_count || b->stop_signal)
			return;
		j = &b->jobs[b->next++];
		if (start_job(b, &b->slots[i], j) == 0)
			continue;
		if (b->active && (errno == EAGAIN || errno == ENOMEM ||
				  errno == EMFILE || errno == ENFILE)) {
			b->next--;
			return;
		}
		fork_failed(b, j);
	}
}

/* Kill every run still going, with all it started, and wait for them;
 * unfinished runs are not counted. */
static void stop_all(struct batch *b)
{
	for (unsigned i = 0; i < b->slot_count; i++)
		if (b->slots[i].job && !b->slots[i].exited_at)
			kill(-b->slots[i].pid, SIGKILL);
	for (unsigned i = 0; i < b->slot_count; i++) {
		struct slot *s = &b->slots[i];

		if (!s->job)
			continue;
		while (!s->exited_at && waitpid(s->pid, NULL, 0) < 0 &&
		       errno == EINTR)
			;
		close_slot_pipes(s);
		free(s->text[0].data);
		free(s->text[1].data);
		memset(s, 0, sizeof(*s));
	}
	b->active = 0;
}

/* Wait, for a while at most, for descendants whose parents died first:
 * they were killed with their run's group, and nothing of the batch is
 * to outlive it. */
static void reap_orphans(void)
{
	const struct timespec pause = {0, 10 * 1000 * 1000};

	for (int naps = 0; naps < 200;) {
		pid_t p = waitpid(-1, NULL, WNOHANG);

		if (p < 0 && errno != EINTR)
			return;
		if (p == 0) {
			nanosleep(&pause, NULL);
			naps++;
		}
	}
}

/* --- the batch --- */

static int handle_signals(struct batch *b)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	struct sigaction ign = {.sa_handler = SIG_IGN};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* Blocked signals are queued for the signalfd even where the
	 * invoker ignored them (as sh does for SIGINT of a job run with &). */
	sigprocmask(SIG_BLOCK, &set, &b->old_mask);
	b->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (b->sigfd < 0) {
		fprintf(stderr, "tcpcheck: internal error: signalfd: %s\n",
			strerror(errno));
		return EXIT_INTERNAL;
	}
	/* Children must become zombies for reap(); a closed stdout must not
	 * kill the batch before it killed its runs. */
	sigaction(SIGCHLD, &dfl, &b->old_chld);
	sigaction(SIGPIPE, &ign, &b->old_pipe);
	prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL);
	return 0;
}

static int batch_open(struct batch *b, const struct batch_options *o,
		      struct batch_list *scripts)
{
	char err[PATH_MAX + 128] = "";
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	b->o = o;
	b->sigfd = -1;
	if (batch_find_scripts(o->paths, o->path_count, scripts, err,
			       sizeof(err))) {
		fprintf(stderr, "tcpcheck: %s\n", err);
		return EXIT_USAGE;
	}
	if (!scripts->count) {
		fprintf(stderr, "tcpcheck: no scripts (*.pkt) found\n");
		return EXIT_USAGE;
	}
	if (batch_plan(scripts, &o->variants, o->shard_index, o->shard_count,
		       &b->jobs, &b->job_count))
		goto no_memory;
	b->slot_count = o->jobs ? o->jobs : (cpus > 0 ? (unsigned)cpus : 1) * 4;
	if (b->slot_count > b->job_count)
		b->slot_count = b->job_count ? (unsigned)b->job_count : 1;
	b->slots = calloc(b->slot_count, sizeof(*b->slots));
	b->pfd = calloc(1 + 2 * (size_t)b->slot_count, sizeof(*b->pfd));
	b->results =
	    calloc(b->job_count ? b->job_count : 1, sizeof(*b->results));
	if (!b->slots || !b->pfd || !b->results)
		goto no_memory;
	return handle_signals(b);
no_memory:
	fprintf(stderr, "tcpcheck: internal error: out of memory\n");
	return EXIT_INTERNAL;
}

/* The summary, the JUnit file, and the exit status. */
static int conclude(struct batch *b)
{
	int status = EXIT_PASS;
	double seconds = (double)(now_ns() - b->start) / NS_PER_SEC;

	/* Stdout is TAP's alone. */
	FILE *out = b->o->tap ? stderr : stdout;

	clear_progress(b);
	for (size_t i = 0; i < b->done; i++)
		status = i ? batch_worse(status, b->results[i].status)
			   : b->results[i].status;
	report_summary(out, b->results, b->done);
	fflush(out);
	if (b->o->junit_file && report_junit_write(b->o->junit_file, b->results,
						   b->done, seconds) < 0) {
		fprintf(stderr, "tcpcheck: cannot write %s: %s\n",
			b->o->junit_file, strerror(errno));
		status = EXIT_INTERNAL;
	}
	return b->stop_signal ? 128 + b->stop_signal : status;
}

static int batch_go(struct batch *b)
{
	bool broken = false;

	/* Measured once here, inherited by every run. */
	ticks_calibrate();
	b->start = now_ns();
	b->progress = !b->o->tap && isatty(STDOUT_FILENO);
	if (b->o->tap) {
		report_tap_plan(stdout, b->job_count);
		fflush(stdout);
	}
	while (!broken && !b->stop_signal &&
	       (b->next < b->job_count || b->active)) {
		fill(b);
		if (b->active && wait_events(b) < 0) {
			fprintf(stderr, "tcpcheck: internal error: poll: %s\n",
				strerror(errno));
			broken = true;
		}
	}
	stop_all(b);
	reap_orphans();
	return broken ? batch_worse(conclude(b), EXIT_INTERNAL) : conclude(b);
}

static void batch_close(struct batch *b, struct batch_list *scripts)
{
	for (size_t i = 0; i < b->done; i++) {
		if (b->results[i].diagnostic != no_text)
			free((char *)b->results[i].diagnostic);
		if (b->results[i].log != no_text)
			free((char *)b->results[i].log);
	}
	if (b->sigfd >= 0)
		close(b->sigfd);
	free(b->results);
	free(b->pfd);
	free(b->slots);
	free(b->jobs);
	batch_list_free(scripts);
}

int batch_run(const struct batch_options *o)
{
	struct batch b;
	struct batch_list scripts = {0};
	int status;

	memset(&b, 0, sizeof(b));
	status = batch_open(&b, o, &scripts);
	if (status == 0)
		status = batch_go(&b);
	batch_close(&b, &scripts);
	return status;
}
