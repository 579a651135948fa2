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
#include "jobserver.h"
#include "tracefs.h"
#include "keeper.h"
#include "report.h"
#include "netns.h"
#include "ticks.h"

#define NS_PER_SEC 1000000000LL
/* After a run exits, how long something it left outside its process
 * group may keep its output pipes open. */
#define PIPE_GRACE_NS (2 * NS_PER_SEC)

/* Stands for a text when there is no memory even for "". */
static const char no_text[] = "";

/* The pipeline: a run sets up its namespace (the slow part: the kernel
 * waits for RCU grace periods) while the runs before it go on, then waits
 * at its gate; -j runs are past their gates at once. A run hands in its
 * verdict on its done pipe before it tears its namespace down, and that
 * tear-down goes on beside the next runs. A set-up takes some 25 ms of
 * waiting and little CPU, so a few runs ahead keep even trivial scripts
 * at -j 1 from waiting; more would only add namespace churn (kernel work
 * that delays the runs' wake-ups) at high -j. */
#define PREPARE_AHEAD 4

/* A run in progress. */
struct slot {
	const struct batch_job *job; /* NULL: the slot is free */
	char *pcap_file;	     /* --pcap-dir: the run's; else NULL */
	pid_t pid;		     /* its process group too */
	int fd[2];		     /* its stdout and stderr; -1: at EOF */
	int gate;		     /* write end; -1: opened */
	int done;		     /* read end; -1: closed */
	struct batch_text text[2];
	int64_t started;   /* when it was forked, then when its gate opened */
	int64_t deadline;  /* 0: no --timeout, or not running yet */
	int64_t exited_at; /* 0: not reaped yet */
	int64_t done_at;   /* 0: no verdict on the done pipe yet */
	int wait_status;
	int done_status;
	bool running;
	bool timed_out;
};

/* A run past its verdict, and where its result is. */
struct lingerer {
	pid_t pid;
	size_t result;
};

struct batch {
	const struct batch_options *o;
	struct batch_job *jobs;
	size_t job_count;
	size_t next; /* the next job to start */
	char stack_err_ext[64]; /* ".NAME.err" on --stack=NAME */
	struct slot *slots;
	unsigned slot_count; /* running and preparing */
	unsigned run_limit;  /* -j */
	unsigned active;
	unsigned running;
	struct lingerer *lingering; /* runs past their verdict, tearing down */
	size_t linger_count;
	struct pollfd *pfd; /* 1 + 3 per slot */
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
	/* Under make -jN: a run beyond the first needs one of make's job
	 * slots. */
	struct jobserver js; /* read_fd -1: none */
	bool want_slot; /* a run waits at its gate for a slot */
};

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * NS_PER_SEC + t.tv_nsec;
}

static void close_slot_pipes(struct slot *s)
{
	for (int k = 0; k < 2; k++)
		if (s->fd[k] >= 0) {
			close(s->fd[k]);
			s->fd[k] = -1;
		}
}

/* The batch's ends of all a slot's pipes. */
static void close_slot_fds(struct slot *s)
{
	close_slot_pipes(s);
	if (s->gate >= 0)
		close(s->gate);
	if (s->done >= 0)
		close(s->done);
	s->gate = -1;
	s->done = -1;
}

/* A free slot: no job, no pipes. */
static void clear_slot(struct slot *s)
{
	free(s->pcap_file);
	memset(s, 0, sizeof(*s));
	s->gate = s->done = -1;
}

/* In the child: the script with the variant's option added; returns its
 * exit status. */
static int run_job(const struct batch *b, const struct slot *me, int gate,
		   int done)
{
	const struct batch_job *j = me->job;
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
	if (me->pcap_file)
		p.pcap_file = me->pcap_file;
	if (j->kind == BATCH_GOLDEN_AST)
		p.dump_ast = true;
	/* Judged by its exact diagnostic, which has no diagram. */
	if (j->kind == BATCH_EXPECT_ERR) {
		p.diagram_text = false;
		p.diagram_off = true;
	}
	p.gated = true;
	p.gate_fd = gate;
	p.done_fd = done;
	status = check_script(j->path, &p);
	free(opts);
	return status;
}

/* The child of one run: its own process group (so that the batch can kill
 * the run with everything it started), its output into the pipes. */
static void run_child(const struct batch *b, const struct slot *me, int out[2],
		      int err[2], int gate, int done)
{
	int null = open("/dev/null", O_RDONLY);
	int status;
	struct sigaction ign = {.sa_handler = SIG_IGN};

	setpgid(0, 0);
	sigaction(SIGCHLD, &b->old_chld, NULL);
	/* What the run says after its verdict goes to pipes the batch may
	 * have closed: the write fails, and the exit status still tells. */
	sigaction(SIGPIPE, &ign, NULL);
	sigprocmask(SIG_SETMASK, &b->old_mask, NULL);
	close(b->sigfd);
	for (unsigned i = 0; i < b->slot_count; i++)
		if (&b->slots[i] != me && b->slots[i].job)
			close_slot_fds(&b->slots[i]);
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
	status = run_job(b, me, gate, done);
	fflush(stdout);
	fflush(stderr);
	_exit(status);
}

static void close_pipes(int p[4][2])
{
	for (int i = 0; i < 4; i++)
		for (int k = 0; k < 2; k++)
			if (p[i][k] >= 0)
				close(p[i][k]);
}

/* Fork the run of job into slot s; returns 0, or -1 with errno. The
 * pipes: stdout, stderr, the gate and the done pipe. */
static int start_job(struct batch *b, struct slot *s,
		     const struct batch_job *job)
{
	int p[4][2] = {{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}};
	char *pcap = NULL;
	pid_t pid;

	if (b->o->pcap_dir) {
		pcap = batch_pcap_name(b->o->pcap_dir, job->path,
				       batch_variant_name(job->variant));
		if (!pcap) {
			errno = ENOMEM;
			return -1;
		}
		/* The file there after the batch is this run's or none,
		 * never one an earlier batch left (a script error makes
		 * none). */
		(void)unlink(pcap);
	}
	for (int i = 0; i < 4; i++)
		if (pipe2(p[i], O_CLOEXEC) < 0) {
			int e = errno;

			close_pipes(p);
			free(pcap);
			errno = e;
			return -1;
		}
	memset(s, 0, sizeof(*s));
	s->job = job;
	s->pcap_file = pcap;
	s->fd[0] = p[0][0];
	s->fd[1] = p[1][0];
	s->gate = p[2][1];
	s->done = p[3][0];
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		run_child(b, s, p[0], p[1], p[2][0], p[3][1]);
	if (pid < 0) {
		int e = errno;

		close_pipes(p);
		clear_slot(s);
		errno = e;
		return -1;
	}
	/* Both sides set the group: whichever runs first, a kill finds it. */
	setpgid(pid, pid);
	close(p[0][1]);
	close(p[1][1]);
	close(p[2][0]);
	close(p[3][1]);
	fcntl(s->fd[0], F_SETFL, O_NONBLOCK);
	fcntl(s->fd[1], F_SETFL, O_NONBLOCK);
	fcntl(s->done, F_SETFL, O_NONBLOCK);
	s->pid = pid;
	s->started = now_ns();
	b->active++;
	return 0;
}

/* Let the run in s start; its time (and --timeout) counts from here. A
 * run that already ended (a script error) just reads EOF or nothing. */
static void open_gate(struct batch *b, struct slot *s)
{
	static const unsigned char go = 1;

	/* EPIPE: it exited before its turn; nothing to start. */
	(void)!write(s->gate, &go, 1);
	close(s->gate);
	s->gate = -1;
	s->running = true;
	b->running++;
	s->started = now_ns();
	if (b->o->timeout)
		s->deadline = s->started + b->o->timeout * NS_PER_SEC;
}

/* May one more run go? Within -j, and under make with a job slot: the
 * first run has make's own, each further one a byte from the
 * jobserver. */
static bool slot_free(struct batch *b)
{
	if (b->running >= b->run_limit)
		return false;
	if (b->js.read_fd < 0 || b->running == 0 || b->js.count >= b->running)
		return true;
	return jobserver_take(&b->js) == 1;
}

/* Open gates, oldest run first (jobs start in order), up to -j; give
 * make back the slots no run holds. */
static void promote(struct batch *b)
{
	b->want_slot = false;
	for (;;) {
		struct slot *next = NULL;

		for (unsigned i = 0; i < b->slot_count; i++) {
			struct slot *s = &b->slots[i];

			/* One that ended before its turn (a script error)
			 * needs none. */
			if (s->job && !s->running && !s->exited_at &&
			    (!next || s->job < next->job))
				next = s;
		}
		if (!next)
			break;
		if (!slot_free(b)) {
			b->want_slot = b->running < b->run_limit;
			break;
		}
		open_gate(b, next);
	}
	while (b->js.count > (b->running ? b->running - 1 : 0))
		jobserver_give(&b->js);
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

/* Its processes outlive the slot: killed with the batch if need be,
 * reaped when they end. */
static void linger(struct batch *b, pid_t pid, size_t result)
{
	b->lingering[b->linger_count].pid = pid;
	b->lingering[b->linger_count++].result = result;
}

/* A run that died of a signal in its tear-down, after its verdict (a
 * stack plugin's close() crashing, say), did not pass: the crash is
 * reported and counted, though the verdict line came first. */
static void died_after_verdict(struct batch *b, size_t i, int ws)
{
	struct run_result *r = &b->results[i];
	char *msg = NULL;
	size_t len;
	FILE *f = open_memstream(&msg, &len);

	if (!f)
		return;
	if (WIFSIGNALED(ws))
		fprintf(f, "%s%s: internal error: the run died of signal %d "
			   "(%s) in its tear-down, after its verdict (%s)\n",
			r->diagnostic, r->path, WTERMSIG(ws),
			strsignal(WTERMSIG(ws)), verdict_name(r->status));
	else
		fprintf(f, "%s%s: internal error: the run failed in its "
			   "tear-down, after its verdict (%s): exit status %d; "
			   "run it alone to see why\n",
			r->diagnostic, r->path, verdict_name(r->status),
			WEXITSTATUS(ws));
	fclose(f);
	if (r->diagnostic != no_text)
		free((char *)r->diagnostic);
	r->diagnostic = msg;
	if (!is_failure(r->status))
		b->failed++;
	r->status = EXIT_INTERNAL;
	if (b->o->tap) {
		/* TAP has said "ok" for it: a diagnostic, and the exit status. */
		printf("# %s", msg);
		fflush(stdout);
		return;
	}
	clear_progress(b);
	printf("%s", msg);
	fflush(stdout);
}

/* Signals, and the internal error of a run whose verdict was another. */
static bool failed_after_verdict(const struct batch *b, size_t i, int ws)
{
	const struct run_result *r = &b->results[b->lingering[i].result];

	return WIFSIGNALED(ws) ||
	       (WIFEXITED(ws) && WEXITSTATUS(ws) == EXIT_INTERNAL &&
		r->status != EXIT_INTERNAL);
}

static bool lingers(const struct batch *b, pid_t pid)
{
	for (size_t i = 0; i < b->linger_count; i++)
		if (b->lingering[i].pid == pid)
			return true;
	return false;
}

static bool unlinger(struct batch *b, pid_t pid, int ws)
{
	for (size_t i = 0; i < b->linger_count; i++)
		if (b->lingering[i].pid == pid) {
			if (ws >= 0 && failed_after_verdict(b, i, ws))
				died_after_verdict(b, b->lingering[i].result,
						   ws);
			b->lingering[i] = b->lingering[--b->linger_count];
			return true;
		}
	return false;
}

/* A run whose child was reaped and whose pipes are closed, or which
 * handed in its verdict: judge it. */
static void finish_slot(struct batch *b, struct slot *s)
{
	char *diag = NULL;
	size_t len;
	FILE *f = open_memstream(&diag, &len);
	int status = EXIT_INTERNAL;
	int64_t end = s->done_at ? s->done_at : s->exited_at;
	int ws = s->done_at ? W_EXITCODE(s->done_status, 0) : s->wait_status;

	/* A run that ended before its turn counts from when it was forked. */
	if (end < s->started)
		end = s->started;

	batch_text_close(&s->text[0]);
	batch_text_close(&s->text[1]);
	if (f) {
		status = batch_judge(s->job, ws,
				     s->timed_out ? b->o->timeout : 0,
				     &s->text[0], &s->text[1], f);
		fclose(f);
	}
	/* The run may still be writing its tear-down there: it goes on
	 * into a file that no longer has a name. */
	if (s->pcap_file && b->o->pcap_failed_only && !is_failure(status))
		(void)unlink(s->pcap_file);
	free(s->text[1].data);
	add_result(b, s->job, status, diag, batch_text_take(&s->text[0]),
		   (double)(end - s->started) / NS_PER_SEC, s->timed_out);
	close_slot_fds(s);
	if (!s->exited_at)
		linger(b, s->pid, b->done - 1);
	if (s->running)
		b->running--;
	clear_slot(s);
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
		if (s || lingers(b, si.si_pid))
			kill(-si.si_pid, SIGKILL);
		if (waitpid(si.si_pid, &ws, 0) < 0)
			return;
		if (!s)
			(void)unlinger(b, si.si_pid, ws);
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

/* Take what a run printed; a bounded amount per call, to be fair, or all
 * there is. */
static void read_output(struct slot *s, int k, bool all)
{
	char chunk[65536];

	for (int i = 0; all || i < 16; i++) {
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

/* The verdict byte: the run wrote all its output before it, so the output
 * pipes hold the rest of what it printed. */
static void read_done(struct slot *s)
{
	unsigned char status;
	ssize_t n;

	while ((n = read(s->done, &status, 1)) < 0 && errno == EINTR)
		;
	if (n < 0 && errno == EAGAIN)
		return;
	if (n == 1) {
		s->done_status = status;
		s->done_at = now_ns();
		for (int k = 0; k < 2; k++)
			if (s->fd[k] >= 0)
				read_output(s, k, true);
	}
	/* EOF (or an error): the run ended without a verdict byte; its exit
	 * status will tell. */
	close(s->done);
	s->done = -1;
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
		if (!s->exited_at && !s->done_at && s->deadline &&
		    now >= s->deadline && !s->timed_out) {
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

/* One round: wait for output, a signal, a deadline or a job slot; finish
 * what ended. Slot i's stdout, stderr and done pipes are pfd[1 + 3i + k],
 * k = 0, 1, 2 (fd -1: poll skips); the jobserver comes last. */
static int wait_events(struct batch *b)
{
	int64_t now = now_ns();
	size_t n = 2 + 3 * (size_t)b->slot_count;
	bool finished = false;

	b->pfd[0] = (struct pollfd){.fd = b->sigfd, .events = POLLIN};
	for (unsigned i = 0; i < b->slot_count; i++) {
		const struct slot *s = &b->slots[i];

		for (int k = 0; k < 3; k++)
			b->pfd[1 + 3 * i + k] = (struct pollfd){
			    .fd = !s->job ? -1 : k < 2 ? s->fd[k] : s->done,
			    .events = POLLIN};
	}
	b->pfd[n - 1] = (struct pollfd){
	    .fd = b->want_slot ? jobserver_fd(&b->js) : -1, .events = POLLIN};
	if (poll(b->pfd, n, poll_timeout(b, now)) < 0 && errno != EINTR)
		return -1;
	for (unsigned i = 0; i < b->slot_count; i++) {
		struct slot *s = &b->slots[i];

		for (int k = 0; k < 2; k++)
			if (b->pfd[1 + 3 * i + k].revents && s->fd[k] >= 0)
				read_output(s, k, false);
		if (b->pfd[3 + 3 * i].revents && s->done >= 0)
			read_done(s);
	}
	if (b->pfd[0].revents)
		read_signals(b);
	now = now_ns();
	check_deadlines(b, now);
	for (unsigned i = 0; i < b->slot_count; i++) {
		struct slot *s = &b->slots[i];

		if (s->job && (s->done_at || (s->exited_at && s->fd[0] < 0 &&
					      s->fd[1] < 0))) {
			finish_slot(b, s);
			finished = true;
		}
	}
	if (b->progress && (finished || now >= b->next_redraw))
		draw_progress(b, now);
	return 0;
}

/* Start runs in the free slots. */
static void fill_slots(struct batch *b)
{
	for (unsigned i = 0; i < b->slot_count; i++) {
		const struct batch_job *j;

		if (b->slots[i].job)
			continue;
		if (b->next == b->job_count || b->stop_signal ||
		    b->active - b->running >= PREPARE_AHEAD)
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

/* Start runs in the free slots and let the oldest waiting ones go. Out
 * of processes or descriptors with runs still going, a job waits for one
 * of them to end; else it fails. */
static void fill(struct batch *b)
{
	unsigned active, running;

	/* An opened gate makes room ahead for one more. */
	do {
		active = b->active;
		running = b->running;
		fill_slots(b);
		promote(b);
	} while (b->active != active || b->running != running);
}

/* Kill every run still going, with all it started, and wait for them;
 * unfinished runs are not counted. Runs tearing down are waited for. */
static void stop_all(struct batch *b)
{
	for (unsigned i = 0; i < b->slot_count; i++)
		if (b->slots[i].job && !b->slots[i].exited_at)
			kill(-b->slots[i].pid, SIGKILL);
	for (size_t i = 0; i < b->linger_count; i++)
		if (b->stop_signal)
			kill(-b->lingering[i].pid, SIGKILL);
	for (size_t i = 0; i < b->linger_count; i++) {
		int ws = 0;
		pid_t pid = b->lingering[i].pid;

		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		kill(-pid, SIGKILL);
		if (!b->stop_signal && failed_after_verdict(b, i, ws))
			died_after_verdict(b, b->lingering[i].result, ws);
	}
	b->linger_count = 0;
	for (unsigned i = 0; i < b->slot_count; i++) {
		struct slot *s = &b->slots[i];

		if (!s->job)
			continue;
		while (!s->exited_at && waitpid(s->pid, NULL, 0) < 0 &&
		       errno == EINTR)
			;
		close_slot_fds(s);
		free(s->text[0].data);
		free(s->text[1].data);
		clear_slot(s);
	}
	b->active = 0;
	b->running = 0;
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
	b->js.read_fd = b->js.write_fd = -1;
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
	for (size_t i = 0; i < o->params->option_count; i++) {
		const struct cli_option *opt = &o->params->options[i];

		if (!strcmp(opt->name, "stack") && opt->value &&
		    strcmp(opt->value, "kernel"))
			batch_use_stack_errs(b->jobs, b->job_count, opt->value,
					     b->stack_err_ext,
					     sizeof(b->stack_err_ext));
	}
	if (o->params->pcap_file && b->job_count > 1) {
		fprintf(stderr,
			"tcpcheck: --pcap FILE is for one run, and these are "
			"%zu; --pcap-dir DIR writes a file per run\n",
			b->job_count);
		return EXIT_USAGE;
	}
	if (o->pcap_dir && batch_pcap_dir_make(o->pcap_dir, err, sizeof(err))) {
		fprintf(stderr, "tcpcheck: %s\n", err);
		return EXIT_USAGE;
	}
	b->run_limit = o->jobs ? o->jobs : (cpus > 0 ? (unsigned)cpus : 1) * 4;
	if (b->run_limit > b->job_count)
		b->run_limit = b->job_count ? (unsigned)b->job_count : 1;
	if (b->run_limit > 1)
		batch_order_longest_first(b->jobs, b->job_count,
					  o->params->defines,
					  o->params->define_count);
	b->slot_count = b->run_limit + PREPARE_AHEAD;
	if (b->slot_count > b->job_count)
		b->slot_count = b->job_count ? (unsigned)b->job_count : 1;
	b->slots = calloc(b->slot_count, sizeof(*b->slots));
	b->pfd = calloc(2 + 3 * (size_t)b->slot_count, sizeof(*b->pfd));
	b->results =
	    calloc(b->job_count ? b->job_count : 1, sizeof(*b->results));
	b->lingering =
	    calloc(b->job_count ? b->job_count : 1, sizeof(*b->lingering));
	if (!b->slots || !b->pfd || !b->results || !b->lingering)
		goto no_memory;
	for (unsigned i = 0; i < b->slot_count; i++)
		clear_slot(&b->slots[i]);
	if (b->run_limit > 1)
		jobserver_open(&b->js, getenv("MAKEFLAGS"));
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

	/* Measured once here, inherited by every run; the keeper is watched
	 * all along, and every run sees what the watch finds. */
	ticks_calibrate();
	(void)keeper_start();
	netns_prepare();
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
	/* A run killed (--timeout, a signal) could not remove its state
	 * trace's tracefs instance; with every run gone, they go. */
	(void)tracefs_sweep();
	keeper_stop();
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
	jobserver_close(&b->js);
	free(b->results);
	free(b->lingering);
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
