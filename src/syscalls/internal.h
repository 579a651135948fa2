/* What the files of src/syscalls share and nobody else sees: the handler
 * table entries, the prepared call's layout and a text builder. */
#ifndef TCPCHECK_SYSCALLS_INTERNAL_H
#define TCPCHECK_SYSCALLS_INTERNAL_H

/* GNU strerror_r, POLLRDHUP, SPLICE_F_*: before any system header, since
 * every file of this part includes this one first. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#include "strbuf.h"
#include "syscalls/syscalls.h"

/* --- text ----------------------------------------------------------------- */

/* Appends with truncation; len counts what the whole text needs. */
void callfmt_expr(struct strbuf *f, const struct expr *e);
/* A malloc'd copy of e in script syntax, or NULL when out of memory. */
char *callfmt_expr_dup(const struct expr *e);

/* recvmsg is done: keep the msghdr's flags and control (msg.c). */
void msg_recvmsg_done(struct call_outcome *o, long ret);

/* --- arguments ------------------------------------------------------------ */

/* What a call does with an argument; decides the shapes it accepts and how
 * resolve turns it into a live value. */
enum arg_kind {
	ARG_FD,          /* a script fd, translated to the live one */
	ARG_INT,         /* a constant */
	ARG_DOMAIN,      /* socket(): ... is the run's address family */
	ARG_BUF_IN,      /* ... (zero bytes) or NULL; size in the next arg */
	ARG_BUF_OUT,     /* ... (scratch) or NULL; size in the next arg */
	ARG_ADDR_LOCAL,  /* ... is the stack's address (bind) */
	ARG_ADDR_REMOTE, /* ... is the tool's address (connect, sendto) */
	ARG_ADDRLEN_IN,  /* ... is the length of the address before it */
	ARG_ADDR_OUT,    /* accept, recvfrom: ... or NULL */
	ARG_ADDRLEN_OUT, /* ... or NULL */
	ARG_OPTVAL_IN,   /* [int], "bytes", {onoff=N, linger=N} or NULL */
	ARG_OPTLEN_IN,   /* a number */
	ARG_OPTVAL_OUT,  /* ..., [int], {onoff=N, linger=N} or NULL */
	ARG_OPTLEN_OUT,  /* ..., [number] or NULL */
	ARG_POLLFDS,     /* [{fd=N, events=E, revents=R}, ...] */
	ARG_EPOLL_EVENT_IN,   /* {events=E, fd=N} or NULL */
	ARG_EPOLL_EVENTS_OUT, /* ... or {events=E, fd=N} */
	ARG_PIPEFDS,     /* pipe's [5, 6]: the script's numbers for the fds */
	ARG_PATH,        /* open's "path" */
	ARG_OFFSET,      /* splice, sendfile: [N] (in and out) or NULL */
	ARG_MSGHDR_IN,   /* sendmsg's {msg_name(...)=..., msg_iov(N)=[...], ...} */
	ARG_MSGHDR_OUT,  /* recvmsg's, whose msg_flags and msg_control are
			  * what the call should return */
};

enum arg_shape {
	SHAPE_ELLIPSIS, /* ... */
	SHAPE_NULL,     /* NULL */
	SHAPE_INT,      /* 42, SOL_TCP, O_RDWR|O_NONBLOCK */
	SHAPE_INTREF,   /* [42] */
	SHAPE_BYTES,    /* "text" */
	SHAPE_LINGER,   /* {onoff=1, linger=0} */
	SHAPE_POLLFDS,  /* [{fd=4, events=POLLIN, revents=POLLIN}, ...] */
	SHAPE_EPOLL_EVENT, /* {events=EPOLLIN, fd=4}, or ptr=, u32=, u64= */
	SHAPE_INTPAIR,  /* [5, 6] */
	SHAPE_MSGHDR,   /* {msg_name(...)=..., msg_iov(1)=[{..., 10}], ...} */
	SHAPE_OTHER,    /* anything else: never accepted */
};

/* One {fd=N, events=E, revents=R} of poll, or the {events=E, fd=N} of
 * epoll (whose data is the script's fd number, as the script wrote it). */
struct ev_spec {
	int64_t data;    /* fd=N: poll's fd, epoll's data; or ptr=, u32=, u64= */
	bool data_is_fd; /* it was fd=N */
	int64_t events;
	int64_t revents;
	bool has_revents;
};

/* One {cmsg_level=L, cmsg_type=T, cmsg_data=D} of msg_control. */
enum cmsg_data_kind {
	CMSG_DATA_INT, /* cmsg_data=9000 */
	CMSG_DATA_EE,  /* {ee_errno=E, ee_origin=O, ..., ee_data=D} */
	CMSG_DATA_TS,  /* {scm_sec=S, scm_nsec=N}: script time, ts[0] */
};

#define CMSG_EE_FIELDS 6 /* errno, origin, type, code, info, data */

struct cmsg_spec {
	int level, type;
	enum cmsg_data_kind kind;
	int64_t value;               /* CMSG_DATA_INT */
	int64_t ee[CMSG_EE_FIELDS];  /* CMSG_DATA_EE */
	int64_t ts_ns;               /* CMSG_DATA_TS; 0: not checked */
	size_t data_len;             /* the bytes the kernel puts there */
	struct src_loc loc;
	struct src_loc field_loc[CMSG_EE_FIELDS]; /* CMSG_DATA_EE */
	struct src_loc data_loc;
};

/* A msghdr literal: what sendmsg passes, or what recvmsg should return. */
struct msg_spec {
	bool has_name; /* msg_name(...)=...: the tool's address, or room */
	size_t iov_count;
	int64_t *iov_len;
	size_t data_len;      /* all iovecs */
	int64_t flags;        /* msg_flags */
	bool has_flags;
	struct src_loc flags_loc;
	bool has_control;     /* msg_control=[...] */
	struct src_loc control_loc;
	struct cmsg_spec *cmsgs;
	size_t cmsg_count;
	size_t control_len;   /* the sum of their CMSG_SPACE */
};

struct prepared_arg {
	enum arg_kind kind;
	enum arg_shape shape;
	int64_t num;       /* SHAPE_INT, SHAPE_INTREF */
	int64_t linger[2]; /* SHAPE_LINGER: onoff, linger */
	int64_t pair[2];   /* SHAPE_INTPAIR */
	unsigned char *bytes; /* SHAPE_BYTES */
	struct ev_spec *evs;  /* SHAPE_POLLFDS, SHAPE_EPOLL_EVENT */
	struct msg_spec *msg; /* SHAPE_MSGHDR */
	size_t evs_count;
	size_t len;
	struct src_loc loc;
	char *text; /* as the script wrote it */
};

struct syscall_def;

struct prepared_call {
	const struct syscall_def *def;
	char *name;
	struct src_loc name_loc;
	size_t argc;
	struct prepared_arg arg[SYSCALL_ARGS_MAX];
	bool result_any; /* "= ...": unchecked */
	int64_t result;
	struct src_loc result_loc;
	char *result_text;
	int err; /* the expected errno, 0 when the script names none */
	char *errno_name;
	struct src_loc errno_loc;
	char *text; /* the whole call with its expected result */
	/* setsockopt: the option bytes, built once; getsockopt: buffer size */
	unsigned char *optbuf;
	size_t optbuf_len;
	socklen_t out_len;
};

struct syscall_def {
	const char *name;
	unsigned char min_args, max_args;
	enum arg_kind kinds[SYSCALL_ARGS_MAX];
	bool returns_fd; /* map the result to the script's number */
	bool closes_fd;  /* argument 0 is gone once the call ran */
	/* The call itself: fds, pointers and sizes are in out->arg/ptr. */
	long (*perform)(const struct prepared_call *pc,
			struct call_outcome *out);
	/* Optional: checks beyond the argument shapes. */
	int (*prepare)(struct prepared_call *pc, struct diag *d);
	/* Optional: compare output arguments after a successful call. */
	int (*check)(const struct prepared_call *pc,
		     const struct call_outcome *out,
		     const struct syscall_env *env, struct diag *d);
};

/* The handler tables, one per family, each ended by a NULL name. */
extern const struct syscall_def syscalls_socket_defs[];
extern const struct syscall_def syscalls_io_defs[];
extern const struct syscall_def syscalls_sockopt_defs[];
extern const struct syscall_def syscalls_poll_defs[];
extern const struct syscall_def syscalls_msg_defs[];
extern const struct syscall_def syscalls_file_defs[];

/* msg.c: a msghdr literal into a->msg (shape SHAPE_MSGHDR), or left
 * SHAPE_OTHER when e is no msghdr; -1 with d set for a bad one. */
int msg_classify(const struct expr *e, struct prepared_arg *a,
		 struct diag *d);
void msg_spec_free(struct msg_spec *m);
/* The live msghdr in one block at out->buf (freed by release). */
int msg_resolve(const struct prepared_arg *a, const struct syscall_env *env,
		struct call_outcome *out, size_t i);

/* The names of a flag word's bits: POLLIN|POLLOUT; bits without a name
 * in hex; 0 for none. */
struct flag {
	uint32_t bit;
	const char *name;
};
void callfmt_flags(struct strbuf *f, uint32_t v, const struct flag *t);

/* The expected call, and the actual one with argument index replaced by
 * arg_text (index < 0: none), as d's expected and actual lines. */
void syscall_add_expected_actual(const struct prepared_call *pc,
				 const struct call_outcome *out, long index,
				 const char *arg_text, struct diag *d);

/* Shared by the checks: report a value in an output argument. */
int syscall_fail_output(const struct prepared_call *pc,
		      const struct call_outcome *out, size_t index,
		      const char *actual, struct diag *d);
/* The call with its actual result, one argument replaced (index < 0:
 * none), into f. */
void callfmt_actual(struct strbuf *f, const struct prepared_call *pc,
		     const struct call_outcome *out, long index,
		     const char *arg_text);

/* The handler of a call name, or NULL. */
const struct syscall_def *syscall_def_find(const char *name);

/* The known constant (errno_only: errno name) closest to an unknown
 * name, for "did you mean"; NULL when none is close. */
const char *symbol_suggest(const char *name, bool errno_only);

/* Constant expressions: numbers, symbols, A|B, htons(N). */
bool syscall_is_const(const struct expr *e);
int syscall_const_eval(const struct expr *e, int64_t *value, struct diag *d);

#endif
