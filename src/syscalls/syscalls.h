/* System call events: check a scripted call, run it against the kernel and
 * compare what it did with what the script says. */
#ifndef TCPCHECK_SYSCALLS_H
#define TCPCHECK_SYSCALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>

#include "diag.h"
#include "script.h"

/*
 * How the scheduler uses this part:
 *
 *   semantic pass   syscall_prepare(spec, &pc, d)      once per call event
 *   at the time     syscall_exec(pc, env, &out)         the call itself
 *                   syscall_check(pc, &out, env, d)     verdict, fd map
 *   or, for a call  worker_start(pc, env, &w, d)        resolve here, run there
 *   that may block  worker_wait_asleep(w, usecs)        go on once it sleeps
 *                   poll(worker_fd(w)) ... worker_collect(w, &out)
 *                   syscall_check(pc, &out, env, d)
 *   end of run      worker_cancel + worker_collect for calls still asleep,
 *                   fdmap_close_all(env->fds)
 *
 * Script forms: "..." is the run's value (address family, address and its
 * length, a buffer of the size in the next argument: zeros to send, scratch
 * to receive); NULL passes a null pointer; "= -1" with no errno accepts any
 * errno; "= ..." checks nothing but output arguments.
 *
 * Threads: a prepared_call never changes after syscall_prepare and the
 * symbol tables are constant, so both may be read from any thread.
 * syscall_resolve reads the fd map and env, so it runs on the main thread;
 * syscall_perform touches only its outcome. The fd map changes only in
 * syscall_check, on the main thread.
 *
 * The process must ignore SIGPIPE (main's job): scripts expect write() on a
 * reset connection to fail with EPIPE, not to kill the tool.
 */

#define SYSCALL_ARGS_MAX 6
/* getsockopt's output buffer: larger than any option the corpus reads. */
#define SYSCALL_OPT_MAX 512
/* A "..." data buffer of read/write/send/recv: the corpus goes up to 1 MB. */
#define SYSCALL_BUF_MAX (64 * 1024 * 1024)

/* --- the fd map: script fd numbers <-> live fds --------------------------- */

struct fdmap;

struct fdmap *fdmap_new(void);
/* Forget every mapping without closing anything; NULL is fine. */
void fdmap_free(struct fdmap *m);
/* The live fd behind a script fd, or -1 when the script never opened it. */
int fdmap_live(const struct fdmap *m, int script_fd);
/* Returns 0, or -1 when out of memory. A script_fd already mapped is
 * shadowed (packetdrill scripts reuse numbers of fds still open): lookups
 * find the newest until it is removed, and fdmap_close_all closes both. */
int fdmap_add(struct fdmap *m, int script_fd, int live_fd);
/* Drop the newest mapping of script_fd (the caller closed the fd); returns
 * the live fd or -1. */
int fdmap_remove(struct fdmap *m, int script_fd);
size_t fdmap_count(const struct fdmap *m);
/* End of run: every TCP socket gets SO_LINGER {1, 0} so close() resets it
 * and the namespace dies without connections in FIN_WAIT or TIME_WAIT;
 * then every live fd is closed and the map is empty. */
void fdmap_close_all(struct fdmap *m);

/* --- what the run supplies ------------------------------------------------ */

struct syscall_env {
	int family; /* AF_INET, or AF_INET6 for ipv6 and ipv4-mapped-ipv6 */
	/* The stack's address with bind_port: "..." in bind(). */
	struct sockaddr_storage local;
	socklen_t local_len;
	/* The tool's address with connect_port: "..." in connect(), sendto().
	 * For ipv4-mapped-ipv6 both are sockaddr_in6 with ::ffff:a.b.c.d. */
	struct sockaddr_storage remote;
	socklen_t remote_len;
	struct fdmap *fds;
	/* Script time 0 (CLOCK_MONOTONIC ns) and the timing tolerance, for
	 * the kernel's timestamps recvmsg returns. */
	int64_t t0;
	int64_t tolerance_ns;
	/* The stack under test when it is a plugin: calls go to it, not to
	 * the kernel. NULL: the kernel. */
	struct plugin *stack;
};

/* --- the three steps ------------------------------------------------------ */

struct prepared_call; /* opaque: the call with every word resolved */

/* What one execution of a call did. The scheduler reads ret, err, start and
 * end; the rest belongs to this part. Between syscall_resolve and
 * syscall_perform an outcome must stay where it is (it points into itself). */
struct call_outcome {
	long ret;              /* the call's return value */
	int err;               /* errno when ret == -1, else 0 */
	struct timespec start; /* CLOCK_MONOTONIC just before the call */
	struct timespec end;   /* CLOCK_MONOTONIC just after it returned */
	/* On a worker thread: how long, between start and end, the thread
	 * was runnable but not running (waiting for a CPU); 0 if unknown. */
	int64_t cpu_wait_ns;
	bool performed;        /* false: it never ran; syscall_check says why */
	/* A plugin stack's call that would sleep (TCPCHECK_STACK_ASLEEP):
	 * syscall_perform again, later, finishes it. */
	bool asleep;

	/* private */
	struct plugin *stack; /* env's, for perform */
	int unknown_fd;      /* >= 0: this script fd has no live fd */
	int unknown_fd_arg;  /* its argument index */
	int resolve_errno;   /* resolve ran out of memory */
	long arg[SYSCALL_ARGS_MAX];
	void *ptr[SYSCALL_ARGS_MAX];
	void *buf; /* the data buffer, freed by syscall_release */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	socklen_t opt_len;
	int msg_flags; /* recvmsg's msg_flags; its msg_control is in opt */
	/* getsockopt's value; poll's pollfds; epoll's events */
	unsigned char opt[SYSCALL_OPT_MAX] __attribute__((aligned(8)));
};

/* Semantic pass, before anything runs: the call is known and supported,
 * the argument count is right, every word is a known constant, every
 * argument has a shape the call accepts. Status EXIT_USAGE on error:
 *   unknown system call 'foo'
 *   not supported yet: readv                  (a call of the language)
 *   not supported yet: fcntl F_DUPFD
 *   unknown symbol 'SO_FOO'                   (at the word)
 *   unknown errno 'EFOO'                      (at the errno)
 *   write takes 3 arguments, got 2
 *   fcntl takes 2 or 3 arguments, got 4
 *   write argument 2 must be ... or NULL      (at the argument)
 *   an errno goes with a result of -1         (at the errno)
 *   the result of socket must be an fd number or -1
 *   buffer size 100000000 is too large (at most 67108864)
 *   option length 4096 is out of range (0 to 512)   (getsockopt [len])
 * tcp_state is not handled here: the scheduler keeps it. */
int syscall_prepare(const struct syscall_spec *spec,
		    struct prepared_call **out, struct diag *d);
void syscall_free(struct prepared_call *pc);

const char *syscall_name(const struct prepared_call *pc);
/* The call as the script wrote it, with the expected result:
 * "connect(3, ..., ...) = -1 EINPROGRESS". */
const char *syscall_text(const struct prepared_call *pc);

/* The fd number the script gives the call's new fd ("socket(...) = 3"),
 * or -1 for a call that makes none or whose result is not checked. */
int syscall_script_fd(const struct prepared_call *pc);
/* The script fd the call works on (its first argument), or -1. */
int syscall_fd_arg(const struct prepared_call *pc);
/* Argument i when it is a constant ("MSG_FASTOPEN", "0x20000000"): 0 and
 * its value in *value, else -1. */
int syscall_int_arg(const struct prepared_call *pc, int i, long *value);

/* Run the call now, on this thread: resolve + perform + release. */
void syscall_exec(const struct prepared_call *pc,
		  const struct syscall_env *env, struct call_outcome *out);

/* The steps of syscall_exec, for the worker. resolve (main thread)
 * translates fds and fills addresses and buffers; perform (any thread)
 * makes the call and nothing else, so that a call found asleep is asleep
 * in the call; release frees the buffers. */
void syscall_resolve(const struct prepared_call *pc,
		     const struct syscall_env *env, struct call_outcome *out);
void syscall_perform(const struct prepared_call *pc, struct call_outcome *out);
void syscall_release(struct call_outcome *out);

/* Compare the outcome with the script and update the fd map (a returned fd
 * is mapped to the script's number; close() drops its fd). Main thread.
 * Returns 0, or -1 with d set; status EXIT_FAIL, with expected and actual
 * lines in script syntax:
 *   write returned 60000, expected 61000
 *   connect returned -1 ECONNREFUSED (Connection refused), expected 0
 *   connect failed with EAGAIN (Resource temporarily unavailable),
 *     expected EINPROGRESS
 *   connect returned 0, expected -1 EINPROGRESS
 *   accept returned a new fd, expected -1 EAGAIN   (actual: "= <new fd>")
 *   getsockopt returned [1] in argument 4, expected [0]
 * located at the result, the errno or the argument concerned;
 * EXIT_USAGE "unknown fd 7" (at the argument) when the script used an
 * fd it never opened, EXIT_INTERNAL when resolve ran out of memory. */
int syscall_check(const struct prepared_call *pc,
		  const struct call_outcome *out,
		  const struct syscall_env *env, struct diag *d);

/* --- what a call does to the script's fds (--check) ---------------------- */

#define SYSCALL_FD_USES_MAX 16

struct syscall_fd_effects {
	bool known; /* the call is in the table (else nothing below is) */
	/* The fds it needs to exist, where the script names them. */
	size_t use_count;
	int use[SYSCALL_FD_USES_MAX];
	struct src_loc use_loc[SYSCALL_FD_USES_MAX];
	int closed; /* the fd it closes, -1: none */
	/* The script's numbers for the fds it makes (when it succeeds). */
	size_t made_count;
	int made[2];
};

/* Read from the script alone, whether or not the call is valid
 * otherwise: what is not a plain number is left out. A run translates
 * the uses (unknown fd N when the script never made N), then closes,
 * then maps the fds made. */
void syscall_fd_effects(const struct syscall_spec *spec,
			struct syscall_fd_effects *fx);

/* --- blocking calls on a thread of their own ------------------------------ */

struct worker;

enum worker_state {
	WORKER_RUNNING, /* neither asleep nor done within the wait */
	WORKER_ASLEEP,  /* in the call and sleeping in the kernel */
	WORKER_DONE,    /* the call returned */
};

/* Resolve on this thread, then perform on a worker thread: an idle one
 * of the process's, else a new one. Returns -1 with EXIT_INTERNAL when
 * the thread or its eventfds cannot be made. */
int worker_start(const struct prepared_call *pc,
		 const struct syscall_env *env, struct worker **out,
		 struct diag *d);
/* Becomes readable (POLLIN) when the call has returned. */
int worker_fd(const struct worker *w);
bool worker_done(const struct worker *w);
/* Wait at most max_usecs (a few ms) for the call to sleep in the kernel,
 * polling the thread's state in /proc with short sleeps. */
enum worker_state worker_wait_asleep(struct worker *w, long max_usecs);
/* Interrupt the call (it returns EINTR) when the run ends without it: the
 * first use installs a handler for WORKER_CANCEL_SIGNAL (no SA_RESTART) and
 * signals the thread until the call returns, for a second at most. The
 * worker thread blocks every other signal. */
#define WORKER_CANCEL_SIGNAL SIGUSR2
void worker_cancel(struct worker *w);
/* Wait for the call if it has not returned, copy its outcome to out and
 * give the thread back for the next call (w is not to be used again). */
void worker_collect(struct worker *w, struct call_outcome *out);

/* --- symbolic constants --------------------------------------------------- */

enum symbol_group {
	SYM_ERRNO,
	SYM_OTHER,
};

struct symbol {
	const char *name;
	int64_t value;
	enum symbol_group group;
};

/* Returns false when the name is not a known constant. */
bool symbol_lookup(const char *name, int64_t *value);
/* Errno names only (EAGAIN, EINPROGRESS, ...). */
bool errno_lookup(const char *name, int *value);
/* The usual name of an errno value (EAGAIN rather than EWOULDBLOCK), or
 * NULL. */
const char *errno_name(int value);
const struct symbol *symbol_table(size_t *count);

/* --- script syntax -------------------------------------------------------- */

/* snprintf-like: write e as a script would (..., 42, SOL_TCP, A|B, [1],
 * {a=1, b=2}, "text", f(x)); returns the length the text needs. */
size_t syscall_format_expr(char *buf, size_t size, const struct expr *e);
/* "name(args) = result ERRNO" (no note); "name(args)" without a result. */
size_t syscall_format_call(char *buf, size_t size,
			   const struct syscall_spec *spec);

#endif
