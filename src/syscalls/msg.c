/* Message calls: sendmsg and recvmsg with msghdr literals. sendmsg sends
 * zeros from its iovecs (to the tool's address when msg_name is given);
 * recvmsg's msg_flags and msg_control are compared with the script,
 * control message by control message: levels, types and lengths exactly,
 * sock_extended_err field by field, SCM_TIMESTAMPING's software time
 * against script time within the tolerance, anything else byte for byte. */
#include "syscalls/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#ifndef SCM_TIMESTAMPING_OPT_STATS
#define SCM_TIMESTAMPING_OPT_STATS 54
#endif

/* More iovecs than this are surely a typo (UIO_MAXIOV is the kernel's). */
#define MSG_IOV_MAX 1024
/* Bytes between two iovecs' buffers: separate buffers, as a program's
 * would be, so MSG_ZEROCOPY pins one fragment per iovec instead of
 * merging neighbours (tcp/zerocopy/maxfrags.pkt counts them). */
#define MSG_IOV_GAP 64

static const char *const ee_names[CMSG_EE_FIELDS] = {
	"ee_errno", "ee_origin", "ee_type", "ee_code", "ee_info", "ee_data",
};

/* --- the literal ----------------------------------------------------------- */

void msg_spec_free(struct msg_spec *m)
{
	if (!m)
		return;
	free(m->iov_len);
	free(m->cmsgs);
	free(m);
}

static int field_const(const struct expr *f, int64_t *v, struct diag *d)
{
	const struct expr *e = f->u.field.value;

	if (!syscall_is_const(e))
		return diag_set(d, EXIT_USAGE, &e->loc,
				"%s must be a number or a symbol",
				f->u.field.name);
	return syscall_const_eval(e, v, d);
}

/* {..., 10} or {iov_base=..., iov_len=10}: the length. */
static int classify_iovec(const struct expr *e, int64_t *len, struct diag *d)
{
	const struct expr *base = NULL, *n = NULL;

	if (e->kind == EXPR_STRUCT && e->u.items.count == 2) {
		const struct expr *a = e->u.items.items[0];
		const struct expr *b = e->u.items.items[1];

		if (a->kind == EXPR_FIELD && b->kind == EXPR_FIELD &&
		    !strcmp(a->u.field.name, "iov_base") &&
		    !strcmp(b->u.field.name, "iov_len")) {
			base = a->u.field.value;
			n = b->u.field.value;
		} else if (a->kind != EXPR_FIELD && b->kind != EXPR_FIELD) {
			base = a;
			n = b;
		}
	}
	if (!base || base->kind != EXPR_ELLIPSIS || !syscall_is_const(n))
		return diag_set(d, EXIT_USAGE, &e->loc,
				"an iovec must be {..., N}");
	if (syscall_const_eval(n, len, d) < 0)
		return -1;
	if (*len < 0 || *len > SYSCALL_BUF_MAX)
		return diag_set(d, EXIT_USAGE, &n->loc,
				"iovec length %" PRId64
				" is out of range (0 to %d)",
				*len, SYSCALL_BUF_MAX);
	return 0;
}

static int classify_iov(const struct expr *f, struct msg_spec *m,
			struct diag *d)
{
	const struct expr *list = f->u.field.value;
	const struct expr *index = f->u.field.index;
	int64_t want;

	if (list->kind != EXPR_LIST)
		return diag_set(d, EXIT_USAGE, &list->loc,
				"msg_iov must be a list [{..., N}, ...]");
	m->iov_count = list->u.items.count;
	if (m->iov_count > MSG_IOV_MAX)
		return diag_set(d, EXIT_USAGE, &list->loc,
				"at most %d iovecs", MSG_IOV_MAX);
	if (index) {
		if (!syscall_is_const(index))
			return diag_set(d, EXIT_USAGE, &index->loc,
					"msg_iov(N) needs a number");
		if (syscall_const_eval(index, &want, d) < 0)
			return -1;
		if (want != (int64_t)m->iov_count)
			return diag_set(d, EXIT_USAGE, &index->loc,
					"msg_iov(%" PRId64 ") has %zu "
					"iovec%s",
					want, m->iov_count,
					m->iov_count == 1 ? "" : "s");
	}
	m->iov_len = calloc(m->iov_count ? m->iov_count : 1,
			    sizeof(*m->iov_len));
	if (!m->iov_len)
		return diag_set(d, EXIT_INTERNAL, &f->loc, "out of memory");
	for (size_t i = 0; i < m->iov_count; i++) {
		if (classify_iovec(list->u.items.items[i], &m->iov_len[i], d))
			return -1;
		m->data_len += (size_t)m->iov_len[i];
	}
	if (m->data_len > SYSCALL_BUF_MAX)
		return diag_set(d, EXIT_USAGE, &list->loc,
				"the iovecs hold %zu bytes (at most %d)",
				m->data_len, SYSCALL_BUF_MAX);
	return 0;
}

/* {ee_errno=E, ee_origin=O, ee_type=T, ee_code=C, ee_info=I, ee_data=D} */
static int classify_ee(const struct expr *e, struct cmsg_spec *c,
		       struct diag *d)
{
	bool seen[CMSG_EE_FIELDS] = {false};

	for (size_t i = 0; i < e->u.items.count; i++) {
		const struct expr *f = e->u.items.items[i];
		size_t k;

		if (f->kind != EXPR_FIELD)
			return diag_set(d, EXIT_USAGE, &f->loc,
					"expected ee_errno=..., ee_origin=..."
					", ee_type=..., ee_code=..., "
					"ee_info=..., ee_data=...");
		for (k = 0; k < CMSG_EE_FIELDS; k++)
			if (!strcmp(f->u.field.name, ee_names[k]))
				break;
		if (k == CMSG_EE_FIELDS)
			return diag_set(d, EXIT_USAGE, &f->loc,
					"unknown sock_extended_err field "
					"'%s'", f->u.field.name);
		if (field_const(f, &c->ee[k], d) < 0)
			return -1;
		c->field_loc[k] = f->u.field.value->loc;
		seen[k] = true;
	}
	for (size_t k = 0; k < CMSG_EE_FIELDS; k++)
		if (!seen[k])
			return diag_set(d, EXIT_USAGE, &e->loc,
					"sock_extended_err needs %s",
					ee_names[k]);
	c->kind = CMSG_DATA_EE;
	/* ip(v6)_recv_error puts the offender's address after it. */
	c->data_len = sizeof(struct sock_extended_err) +
		      (c->level == SOL_IP ? sizeof(struct sockaddr_in)
					  : sizeof(struct sockaddr_in6));
	return 0;
}

/* {scm_sec=S, scm_nsec=N}: when, in script time. */
static int classify_ts(const struct expr *e, struct cmsg_spec *c,
		       struct diag *d)
{
	int64_t v[2] = {0, 0};
	bool seen[2] = {false, false};

	for (size_t i = 0; i < e->u.items.count; i++) {
		const struct expr *f = e->u.items.items[i];
		int k;

		if (f->kind != EXPR_FIELD)
			return diag_set(d, EXIT_USAGE, &f->loc,
					"expected scm_sec=S, scm_nsec=N");
		if (!strcmp(f->u.field.name, "scm_sec"))
			k = 0;
		else if (!strcmp(f->u.field.name, "scm_nsec"))
			k = 1;
		else
			return diag_set(d, EXIT_USAGE, &f->loc,
					"unknown scm_timestamping field '%s'",
					f->u.field.name);
		if (field_const(f, &v[k], d) < 0)
			return -1;
		seen[k] = true;
	}
	if (!seen[0] || !seen[1])
		return diag_set(d, EXIT_USAGE, &e->loc,
				"scm_timestamping needs scm_sec and scm_nsec");
	if (v[0] < 0 || v[0] > 1000000 || v[1] < 0 || v[1] >= 1000000000)
		return diag_set(d, EXIT_USAGE, &e->loc,
				"scm_sec or scm_nsec is out of range");
	c->kind = CMSG_DATA_TS;
	c->ts_ns = v[0] * 1000000000 + v[1];
	c->data_len = sizeof(struct scm_timestamping);
	return 0;
}

static bool is_ts_struct(const struct expr *e)
{
	const struct expr *f = e->u.items.count ? e->u.items.items[0] : NULL;

	return f && f->kind == EXPR_FIELD &&
	       !strncmp(f->u.field.name, "scm_", 4);
}

/* {cmsg_level=L, cmsg_type=T, cmsg_data=D} */
static int classify_cmsg(const struct expr *e, struct cmsg_spec *c,
			 struct diag *d)
{
	const struct expr *data = NULL;
	bool level = false, type = false;
	int64_t v;

	c->loc = e->loc;
	if (e->kind != EXPR_STRUCT)
		return diag_set(d, EXIT_USAGE, &e->loc,
				"a control message must be {cmsg_level=L, "
				"cmsg_type=T, cmsg_data=D}");
	for (size_t i = 0; i < e->u.items.count; i++) {
		const struct expr *f = e->u.items.items[i];
		const char *n = f->kind == EXPR_FIELD ? f->u.field.name : "";

		if (!strcmp(n, "cmsg_level") || !strcmp(n, "cmsg_type")) {
			if (field_const(f, &v, d) < 0)
				return -1;
			if (v < INT32_MIN || v > INT32_MAX)
				return diag_set(d, EXIT_USAGE,
						&f->u.field.value->loc,
						"%s is out of range", n);
			if (n[5] == 'l') {
				c->level = (int)v;
				level = true;
			} else {
				c->type = (int)v;
				type = true;
			}
		} else if (!strcmp(n, "cmsg_data")) {
			data = f->u.field.value;
		} else {
			return diag_set(d, EXIT_USAGE, &f->loc,
					"expected cmsg_level=L, cmsg_type=T, "
					"cmsg_data=D");
		}
	}
	if (!level || !type || !data)
		return diag_set(d, EXIT_USAGE, &e->loc,
				"a control message needs cmsg_level, "
				"cmsg_type and cmsg_data");
	c->data_loc = data->loc;
	if (syscall_is_const(data)) {
		if (syscall_const_eval(data, &c->value, d) < 0)
			return -1;
		c->kind = CMSG_DATA_INT;
		c->data_len = sizeof(int);
		return 0;
	}
	if (data->kind != EXPR_STRUCT)
		return diag_set(d, EXIT_USAGE, &data->loc,
				"cmsg_data must be a number, "
				"{scm_sec=S, scm_nsec=N} or {ee_errno=E, ...}");
	return is_ts_struct(data) ? classify_ts(data, c, d)
				  : classify_ee(data, c, d);
}

static int classify_control(const struct expr *f, struct msg_spec *m,
			    struct diag *d)
{
	const struct expr *list = f->u.field.value;

	m->has_control = true;
	m->control_loc = list->loc;
	if (list->kind != EXPR_LIST)
		return diag_set(d, EXIT_USAGE, &list->loc,
				"msg_control must be a list [{cmsg_level=L, "
				"cmsg_type=T, cmsg_data=D}, ...]");
	m->cmsg_count = list->u.items.count;
	m->cmsgs = calloc(m->cmsg_count ? m->cmsg_count : 1,
			  sizeof(*m->cmsgs));
	if (!m->cmsgs)
		return diag_set(d, EXIT_INTERNAL, &f->loc, "out of memory");
	for (size_t i = 0; i < m->cmsg_count; i++) {
		if (classify_cmsg(list->u.items.items[i], &m->cmsgs[i], d))
			return -1;
		m->control_len += CMSG_SPACE(m->cmsgs[i].data_len);
	}
	if (m->control_len > SYSCALL_OPT_MAX)
		return diag_set(d, EXIT_USAGE, &list->loc,
				"the control messages need %zu bytes (at most "
				"%d)", m->control_len, SYSCALL_OPT_MAX);
	return 0;
}

static int classify_field(const struct expr *f, struct msg_spec *m,
			  struct diag *d)
{
	const char *n = f->u.field.name;

	if (!strcmp(n, "msg_name")) {
		if ((f->u.field.index &&
		     f->u.field.index->kind != EXPR_ELLIPSIS) ||
		    f->u.field.value->kind != EXPR_ELLIPSIS)
			return diag_set(d, EXIT_USAGE, &f->loc,
					"msg_name must be msg_name(...)=...");
		m->has_name = true;
		return 0;
	}
	if (!strcmp(n, "msg_iov"))
		return classify_iov(f, m, d);
	if (!strcmp(n, "msg_flags")) {
		m->has_flags = true;
		m->flags_loc = f->u.field.value->loc;
		return field_const(f, &m->flags, d);
	}
	if (!strcmp(n, "msg_control"))
		return classify_control(f, m, d);
	return diag_set(d, EXIT_USAGE, &f->loc, "unknown msghdr field '%s'",
			n);
}

int msg_classify(const struct expr *e, struct prepared_arg *a,
		 struct diag *d)
{
	const struct expr *first =
	    e->u.items.count ? e->u.items.items[0] : NULL;
	struct msg_spec *m;

	if (!first || first->kind != EXPR_FIELD ||
	    strncmp(first->u.field.name, "msg_", 4) != 0)
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m)
		return diag_set(d, EXIT_INTERNAL, &e->loc, "out of memory");
	a->msg = m;
	for (size_t i = 0; i < e->u.items.count; i++) {
		const struct expr *f = e->u.items.items[i];

		if (f->kind != EXPR_FIELD)
			return diag_set(d, EXIT_USAGE, &f->loc,
					"expected name=value in a msghdr");
		if (classify_field(f, m, d) < 0)
			return -1;
	}
	a->shape = SHAPE_MSGHDR;
	return 0;
}

/* --- the live msghdr ------------------------------------------------------- */

static void build_cmsg(const struct cmsg_spec *c, struct cmsghdr *h)
{
	unsigned char *data = CMSG_DATA(h);

	h->cmsg_level = c->level;
	h->cmsg_type = c->type;
	h->cmsg_len = CMSG_LEN(c->data_len);
	if (c->kind == CMSG_DATA_INT) {
		int v = (int)c->value;

		memcpy(data, &v, sizeof(v));
	} else if (c->kind == CMSG_DATA_EE) {
		struct sock_extended_err ee = {
			.ee_errno = (uint32_t)c->ee[0],
			.ee_origin = (uint8_t)c->ee[1],
			.ee_type = (uint8_t)c->ee[2],
			.ee_code = (uint8_t)c->ee[3],
			.ee_info = (uint32_t)c->ee[4],
			.ee_data = (uint32_t)c->ee[5],
		};

		memcpy(data, &ee, sizeof(ee));
	} else {
		struct scm_timestamping ts;

		memset(&ts, 0, sizeof(ts));
		ts.ts[0].tv_sec = c->ts_ns / 1000000000;
		ts.ts[0].tv_nsec = c->ts_ns % 1000000000;
		memcpy(data, &ts, sizeof(ts));
	}
}

/* One block: the msghdr, room for an address, the iovecs, the control
 * messages (built from the script: sendmsg passes them, recvmsg gets its
 * buffer of exactly their size) and the iovecs' buffers. */
int msg_resolve(const struct prepared_arg *a, const struct syscall_env *env,
		struct call_outcome *out, size_t i)
{
	const struct msg_spec *m = a->msg;
	size_t iov_off = sizeof(struct msghdr) + sizeof(struct sockaddr_storage);
	size_t ctl_off = iov_off + m->iov_count * sizeof(struct iovec);
	size_t data_off = ctl_off + m->control_len;
	unsigned char *block =
	    calloc(1, data_off + m->data_len + m->iov_count * MSG_IOV_GAP);
	struct msghdr *msg = (struct msghdr *)block;
	struct iovec *iov = (struct iovec *)(block + iov_off);
	unsigned char *data = block + data_off;

	if (!block) {
		out->resolve_errno = ENOMEM;
		return -1;
	}
	out->buf = block;
	if (m->has_name) {
		msg->msg_name = block + sizeof(*msg);
		if (a->kind == ARG_MSGHDR_IN) {
			memcpy(msg->msg_name, &env->remote, env->remote_len);
			msg->msg_namelen = env->remote_len;
		} else {
			msg->msg_namelen = sizeof(struct sockaddr_storage);
		}
	}
	for (size_t k = 0; k < m->iov_count; k++) {
		iov[k].iov_base = data;
		iov[k].iov_len = (size_t)m->iov_len[k];
		data += m->iov_len[k] + MSG_IOV_GAP;
	}
	msg->msg_iov = m->iov_count ? iov : NULL;
	msg->msg_iovlen = m->iov_count;
	if (m->control_len) {
		struct cmsghdr *h;

		msg->msg_control = block + ctl_off;
		msg->msg_controllen = m->control_len;
		h = CMSG_FIRSTHDR(msg);
		for (size_t k = 0; k < m->cmsg_count && h; k++) {
			build_cmsg(&m->cmsgs[k], h);
			h = CMSG_NXTHDR(msg, h);
		}
	}
	msg->msg_flags = (int)m->flags;
	out->ptr[i] = msg;
	return 0;
}

static long do_sendmsg(const struct prepared_call *pc, struct call_outcome *o)
{
	(void)pc;
	return sendmsg((int)o->arg[0], o->ptr[1], (int)o->arg[2]);
}

/* What recvmsg returned in its msghdr outlives the block: msg_flags, and
 * the control messages in opt. */
static long do_recvmsg(const struct prepared_call *pc, struct call_outcome *o)
{
	struct msghdr *msg = o->ptr[1];
	long ret;
	int err;

	(void)pc;
	ret = recvmsg((int)o->arg[0], msg, (int)o->arg[2]);
	err = errno;
	msg_recvmsg_done(o, ret);
	errno = err;
	return ret;
}

void msg_recvmsg_done(struct call_outcome *o, long ret)
{
	struct msghdr *msg = o->ptr[1];

	o->msg_flags = msg->msg_flags;
	o->opt_len = 0;
	if (ret >= 0 && msg->msg_control) {
		size_t n = msg->msg_controllen;

		if (n > sizeof(o->opt))
			n = sizeof(o->opt);
		memcpy(o->opt, msg->msg_control, n);
		o->opt_len = (socklen_t)n;
	}
}

/* --- names ----------------------------------------------------------------- */

static const struct flag msg_flags[] = {
	{MSG_OOB, "MSG_OOB"},
	{MSG_PEEK, "MSG_PEEK"},
	{MSG_DONTROUTE, "MSG_DONTROUTE"},
	{MSG_CTRUNC, "MSG_CTRUNC"},
	{MSG_TRUNC, "MSG_TRUNC"},
	{MSG_DONTWAIT, "MSG_DONTWAIT"},
	{MSG_EOR, "MSG_EOR"},
	{MSG_WAITALL, "MSG_WAITALL"},
	{MSG_ERRQUEUE, "MSG_ERRQUEUE"},
	{MSG_NOSIGNAL, "MSG_NOSIGNAL"},
	{MSG_MORE, "MSG_MORE"},
	{MSG_ZEROCOPY, "MSG_ZEROCOPY"},
	{MSG_FASTOPEN, "MSG_FASTOPEN"},
	{MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC"},
	{0, NULL},
};

struct name {
	int64_t value;
	const char *name;
};

static const struct name levels[] = {
	{SOL_IP, "SOL_IP"}, {SOL_SOCKET, "SOL_SOCKET"},
	{SOL_TCP, "SOL_TCP"}, {SOL_IPV6, "SOL_IPV6"}, {0, NULL},
};

static const struct name origins[] = {
	{SO_EE_ORIGIN_NONE, "SO_EE_ORIGIN_NONE"},
	{SO_EE_ORIGIN_LOCAL, "SO_EE_ORIGIN_LOCAL"},
	{SO_EE_ORIGIN_ICMP, "SO_EE_ORIGIN_ICMP"},
	{SO_EE_ORIGIN_ICMP6, "SO_EE_ORIGIN_ICMP6"},
	{SO_EE_ORIGIN_TIMESTAMPING, "SO_EE_ORIGIN_TIMESTAMPING"},
	{SO_EE_ORIGIN_ZEROCOPY, "SO_EE_ORIGIN_ZEROCOPY"},
	{0, NULL},
};

static const struct name tstamps[] = {
	{SCM_TSTAMP_SND, "SCM_TSTAMP_SND"},
	{SCM_TSTAMP_SCHED, "SCM_TSTAMP_SCHED"},
	{SCM_TSTAMP_ACK, "SCM_TSTAMP_ACK"},
	{0, NULL},
};

static void fmt_name(struct strbuf *f, int64_t v, const struct name *t)
{
	for (; t->name; t++)
		if (t->value == v) {
			strbuf_printf(f, "%s", t->name);
			return;
		}
	strbuf_printf(f, "%" PRId64, v);
}

static void fmt_type(struct strbuf *f, int level, int type)
{
	const char *n = NULL;

	if (level == SOL_SOCKET && type == SCM_TIMESTAMPING)
		n = "SCM_TIMESTAMPING";
	else if (level == SOL_SOCKET && type == SCM_TIMESTAMPING_OPT_STATS)
		n = "SCM_TIMESTAMPING_OPT_STATS";
	else if (level == SOL_IP && type == IP_RECVERR)
		n = "IP_RECVERR";
	else if (level == SOL_IPV6 && type == IPV6_RECVERR)
		n = "IPV6_RECVERR";
	else if (level == SOL_TCP && type == TCP_CM_INQ)
		n = "TCP_CM_INQ";
	if (n)
		strbuf_printf(f, "%s", n);
	else
		strbuf_printf(f, "%d", type);
}

/* "cmsg_level=SOL_IP, cmsg_type=IP_RECVERR" */
static void fmt_level_type(struct strbuf *f, int level, int type)
{
	strbuf_printf(f, "cmsg_level=");
	fmt_name(f, level, levels);
	strbuf_printf(f, ", cmsg_type=");
	fmt_type(f, level, type);
}

/* One sock_extended_err field as the script would write it. */
static void fmt_ee_field(struct strbuf *f, size_t k, const int64_t *ee)
{
	const char *e;

	strbuf_printf(f, "%s=", ee_names[k]);
	if (k == 0 && (e = errno_name((int)ee[0])) != NULL)
		strbuf_printf(f, "%s", e);
	else if (k == 1)
		fmt_name(f, ee[1], origins);
	else if (k == 3 && ee[1] == SO_EE_ORIGIN_ZEROCOPY &&
		 ee[3] == SO_EE_CODE_ZEROCOPY_COPIED)
		strbuf_printf(f, "SO_EE_CODE_ZEROCOPY_COPIED");
	else if (k == 4 && ee[1] == SO_EE_ORIGIN_TIMESTAMPING)
		fmt_name(f, ee[4], tstamps);
	else
		strbuf_printf(f, "%" PRId64, ee[k]);
}

static void fmt_script_time(struct strbuf *f, int64_t ns)
{
	strbuf_printf(f, "{scm_sec=%" PRId64 ", scm_nsec=%" PRId64 "}",
		      ns / 1000000000, ns % 1000000000);
}

/* --- the actual control messages ------------------------------------------ */

/* One control message the kernel returned, decoded as far as the script
 * language goes. */
struct cmsg_actual {
	int level, type;
	size_t data_len;
	const unsigned char *data;
};

static size_t actual_cmsgs(const struct call_outcome *out,
			   struct cmsg_actual *a, size_t max)
{
	struct msghdr msg;
	struct cmsghdr *h;
	size_t n = 0;

	memset(&msg, 0, sizeof(msg));
	msg.msg_control = (void *)out->opt;
	msg.msg_controllen = out->opt_len;
	for (h = CMSG_FIRSTHDR(&msg); h && h->cmsg_len >= CMSG_LEN(0);
	     h = CMSG_NXTHDR(&msg, h)) {
		if (n < max) {
			a[n].level = h->cmsg_level;
			a[n].type = h->cmsg_type;
			a[n].data_len = h->cmsg_len - CMSG_LEN(0);
			a[n].data = CMSG_DATA(h);
		}
		n++;
	}
	return n;
}

static void actual_ee(const struct cmsg_actual *a, int64_t *ee)
{
	struct sock_extended_err e;

	memcpy(&e, a->data, sizeof(e));
	ee[0] = e.ee_errno;
	ee[1] = e.ee_origin;
	ee[2] = e.ee_type;
	ee[3] = e.ee_code;
	ee[4] = e.ee_info;
	ee[5] = e.ee_data;
}

/* The software timestamp (CLOCK_REALTIME) in script time. */
static int64_t actual_ts(const struct cmsg_actual *a,
			 const struct syscall_env *env)
{
	struct scm_timestamping ts;
	struct timespec real, mono;
	int64_t when;

	memcpy(&ts, a->data, sizeof(ts));
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	when = (int64_t)ts.ts[0].tv_sec * 1000000000 + ts.ts[0].tv_nsec;
	when -= ((int64_t)real.tv_sec - mono.tv_sec) * 1000000000 +
		(real.tv_nsec - mono.tv_nsec);
	return when - env->t0;
}

static bool is_recverr(int level, int type)
{
	return (level == SOL_IP && type == IP_RECVERR) ||
	       (level == SOL_IPV6 && type == IPV6_RECVERR);
}

static bool is_tstamp(int level, int type)
{
	return level == SOL_SOCKET && type == SCM_TIMESTAMPING;
}

/* Within the tolerance of the script's time, or not checked (0). */
static bool ts_passes(int64_t when, const struct cmsg_spec *c,
		      const struct syscall_env *env)
{
	int64_t diff = when - c->ts_ns;

	return c->ts_ns == 0 ||
	       (diff <= env->tolerance_ns && -diff <= env->tolerance_ns);
}

/* A kernel timestamp as the script would write it to pass: its own value
 * when within the tolerance, else the actual one to the millisecond (the
 * microseconds vary from run to run; any value within the tolerance
 * passes). */
static int64_t shown_ts(int64_t when, const struct cmsg_spec *c,
			const struct syscall_env *env)
{
	if (c && c->kind == CMSG_DATA_TS && ts_passes(when, c, env))
		return c->ts_ns;
	return (when + 500000) / 1000000 * 1000000;
}

static void fmt_actual_cmsg(struct strbuf *f, const struct cmsg_actual *a,
			    const struct cmsg_spec *c,
			    const struct syscall_env *env)
{
	strbuf_printf(f, "{");
	fmt_level_type(f, a->level, a->type);
	strbuf_printf(f, ", cmsg_data=");
	if (is_recverr(a->level, a->type) &&
	    a->data_len >= sizeof(struct sock_extended_err)) {
		int64_t ee[CMSG_EE_FIELDS];

		actual_ee(a, ee);
		strbuf_printf(f, "{");
		for (size_t k = 0; k < CMSG_EE_FIELDS; k++) {
			strbuf_printf(f, "%s", k ? ", " : "");
			fmt_ee_field(f, k, ee);
		}
		strbuf_printf(f, "}");
	} else if (is_tstamp(a->level, a->type) &&
		   a->data_len >= sizeof(struct scm_timestamping)) {
		fmt_script_time(f, shown_ts(actual_ts(a, env), c, env));
	} else if (a->data_len == sizeof(int)) {
		int v;

		memcpy(&v, a->data, sizeof(v));
		strbuf_printf(f, "%d", v);
	} else {
		strbuf_printf(f, "<%zu bytes>", a->data_len);
	}
	strbuf_printf(f, "}");
}

/* The msghdr as the script would have to write it to pass. */
static void fmt_actual_msghdr(struct strbuf *f, const struct msg_spec *m,
			      const struct call_outcome *out,
			      const struct syscall_env *env)
{
	struct cmsg_actual a[16];
	size_t n = actual_cmsgs(out, a, 16);
	const char *sep = "";

	strbuf_printf(f, "{");
	if (m->has_name) {
		strbuf_printf(f, "msg_name(...)=...");
		sep = ", ";
	}
	strbuf_printf(f, "%smsg_iov(%zu)=[", sep, m->iov_count);
	for (size_t k = 0; k < m->iov_count; k++)
		strbuf_printf(f, "%s{..., %" PRId64 "}", k ? ", " : "",
			      m->iov_len[k]);
	strbuf_printf(f, "], msg_flags=");
	callfmt_flags(f, (uint32_t)out->msg_flags, msg_flags);
	if (m->has_control) {
		strbuf_printf(f, ", msg_control=[");
		for (size_t k = 0; k < n && k < 16; k++) {
			strbuf_printf(f, "%s", k ? ", " : "");
			fmt_actual_cmsg(f, &a[k],
					k < m->cmsg_count ? &m->cmsgs[k] : NULL,
					env);
		}
		strbuf_printf(f, "]");
	}
	strbuf_printf(f, "}");
}

/* --- the verdict ----------------------------------------------------------- */

/* "recvmsg returned <what> in control message N, expected <want>" at loc,
 * with the msghdr it would take to pass as the actual line. */
static int fail_msg(const struct prepared_call *pc,
		    const struct call_outcome *out,
		    const struct syscall_env *env, const struct src_loc *loc,
		    const char *what, const char *want, size_t cmsg,
		    struct diag *d)
{
	char text[DIAG_TEXT_MAX], where[48] = "";
	struct strbuf f;

	if (cmsg)
		snprintf(where, sizeof(where), " in control message %zu",
			 cmsg);
	diag_set(d, EXIT_FAIL, loc, "%s returned %s%s, expected %s", pc->name,
		 what, where, want);
	strbuf_init(&f, text, sizeof(text));
	fmt_actual_msghdr(&f, pc->arg[1].msg, out, env);
	syscall_add_expected_actual(pc, out, 1, text, d);
	return -1;
}

/* The data of control message k (counted from 1) against the script. */
static int check_data(const struct prepared_call *pc,
		      const struct call_outcome *out,
		      const struct syscall_env *env,
		      const struct cmsg_spec *c, const struct cmsg_actual *a,
		      size_t k, struct diag *d)
{
	char what[128], want[128];
	struct strbuf fw, fx;

	strbuf_init(&fw, what, sizeof(what));
	strbuf_init(&fx, want, sizeof(want));
	if (c->kind == CMSG_DATA_EE && is_recverr(a->level, a->type)) {
		int64_t ee[CMSG_EE_FIELDS];
		static const uint64_t mask[CMSG_EE_FIELDS] = {
			UINT32_MAX, UINT8_MAX, UINT8_MAX,
			UINT8_MAX,  UINT32_MAX, UINT32_MAX,
		};

		actual_ee(a, ee);
		for (size_t i = 0; i < CMSG_EE_FIELDS; i++) {
			if ((uint64_t)ee[i] == ((uint64_t)c->ee[i] & mask[i]))
				continue;
			fmt_ee_field(&fw, i, ee);
			fmt_ee_field(&fx, i, c->ee);
			return fail_msg(pc, out, env, &c->field_loc[i], what,
					want, k, d);
		}
		return 0;
	}
	if (c->kind == CMSG_DATA_TS && is_tstamp(a->level, a->type)) {
		int64_t when = actual_ts(a, env), diff = when - c->ts_ns;

		if (ts_passes(when, c, env))
			return 0;
		/* The actual time is on the actual line: here only which
		 * side of the window, so the message is the same each run. */
		strbuf_printf(&fw, "a timestamp %s than %.6f s",
			      diff > 0 ? "later" : "earlier",
			      (double)(c->ts_ns + (diff > 0 ? env->tolerance_ns
							    : -env->tolerance_ns)) /
				  1e9);
		strbuf_printf(&fx, "%.6f s (tolerance %.6f s)",
			      (double)c->ts_ns / 1e9,
			      (double)env->tolerance_ns / 1e9);
		return fail_msg(pc, out, env, &c->data_loc, what, want, k, d);
	}
	{
		unsigned char buf[CMSG_SPACE(sizeof(struct scm_timestamping)) +
				  CMSG_SPACE(64)];
		struct cmsghdr *h = (struct cmsghdr *)buf;

		memset(buf, 0, sizeof(buf));
		build_cmsg(c, h);
		if (!memcmp(CMSG_DATA(h), a->data, a->data_len))
			return 0;
	}
	if (a->data_len == sizeof(int)) {
		int v;

		memcpy(&v, a->data, sizeof(v));
		strbuf_printf(&fw, "cmsg_data=%d", v);
	} else {
		strbuf_printf(&fw, "other cmsg_data");
	}
	if (c->kind == CMSG_DATA_INT)
		strbuf_printf(&fx, "cmsg_data=%" PRId64, c->value);
	else
		strbuf_printf(&fx, "the scripted cmsg_data");
	return fail_msg(pc, out, env, &c->data_loc, what, want, k, d);
}

static int check_cmsg(const struct prepared_call *pc,
		      const struct call_outcome *out,
		      const struct syscall_env *env,
		      const struct cmsg_spec *c, const struct cmsg_actual *a,
		      size_t k, struct diag *d)
{
	char what[128], want[128];
	struct strbuf fw, fx;

	strbuf_init(&fw, what, sizeof(what));
	strbuf_init(&fx, want, sizeof(want));
	if (a->level != c->level || a->type != c->type) {
		fmt_level_type(&fw, a->level, a->type);
		fmt_level_type(&fx, c->level, c->type);
		return fail_msg(pc, out, env, &c->loc, what, want, k, d);
	}
	if (a->data_len != c->data_len) {
		strbuf_printf(&fw, "%zu bytes of cmsg_data", a->data_len);
		strbuf_printf(&fx, "%zu", c->data_len);
		return fail_msg(pc, out, env, &c->data_loc, what, want, k, d);
	}
	return check_data(pc, out, env, c, a, k, d);
}

/* msg_flags, then the control messages in order, then their number. */
static int check_recvmsg(const struct prepared_call *pc,
			 const struct call_outcome *out,
			 const struct syscall_env *env, struct diag *d)
{
	const struct msg_spec *m = pc->arg[1].msg;
	struct cmsg_actual a[SYSCALL_OPT_MAX / CMSG_SPACE(0)];
	size_t n;
	char what[128], want[128];
	struct strbuf fw, fx;

	strbuf_init(&fw, what, sizeof(what));
	strbuf_init(&fx, want, sizeof(want));
	if (m->has_flags && out->msg_flags != (int)m->flags) {
		strbuf_printf(&fw, "msg_flags=");
		callfmt_flags(&fw, (uint32_t)out->msg_flags, msg_flags);
		strbuf_printf(&fx, "msg_flags=");
		callfmt_flags(&fx, (uint32_t)m->flags, msg_flags);
		return fail_msg(pc, out, env, &m->flags_loc, what, want, 0, d);
	}
	if (!m->has_control)
		return 0;
	n = actual_cmsgs(out, a, sizeof(a) / sizeof(a[0]));
	for (size_t k = 0; k < n && k < m->cmsg_count; k++)
		if (check_cmsg(pc, out, env, &m->cmsgs[k], &a[k], k + 1, d))
			return -1;
	if (n == m->cmsg_count)
		return 0;
	strbuf_printf(&fw, "%zu control message%s", n, n == 1 ? "" : "s");
	strbuf_printf(&fx, "%zu", m->cmsg_count);
	return fail_msg(pc, out, env, &m->control_loc, what, want, 0, d);
}

const struct syscall_def syscalls_msg_defs[] = {
	{.name = "sendmsg",
	 .min_args = 3,
	 .max_args = 3,
	 .kinds = {ARG_FD, ARG_MSGHDR_IN, ARG_INT},
	 .perform = do_sendmsg},
	{.name = "recvmsg",
	 .min_args = 3,
	 .max_args = 3,
	 .kinds = {ARG_FD, ARG_MSGHDR_OUT, ARG_INT},
	 .perform = do_recvmsg,
	 .check = check_recvmsg},
	{.name = NULL},
};
