/* %{ }% code events. The snapshot is all that happens at the event's time
 * (three getsockopt calls and some formatting), so python never runs
 * while the stack is being timed; the snippets run after the last event,
 * in one process, in order, sharing their globals as packetdrill's do
 * ("cwnd = 58" in one, "cwnd += 1" in the next). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#include "code.h"

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

/* Fixed fds of the python process: the program and the failure report. */
#define PROGRAM_FD 3
#define REPORT_FD 4

struct code_log {
	const char *path; /* the script, as python's file name */
	FILE *calls;      /* one _snippet(...) call per event */
	char *calls_buf;
	size_t calls_len;
	const struct event **events;
	size_t count, cap;
};

/* The driver. Each snippet is compiled with the script's path as its
 * file name and padded with newlines so that python's line numbers are
 * the script's. Text on the %{ line starts the snippet; a snippet that
 * starts on the next line may be indented as a whole. A failure is
 * written to the report fd as "snippet-number python-line message": the
 * number, not the line, names the snippet, as included files may have
 * snippets on the same line. */
static const char preamble[] =
	"import os, sys, textwrap\n"
	"_file, _report = sys.argv[1], int(sys.argv[2])\n"
	"_g = {'__name__': '__main__', '__builtins__': __builtins__}\n"
	"def _snippet(num, line, values, text):\n"
	"    first, nl, rest = text.partition('\\n')\n"
	"    if first.strip():\n"
	"        src = first.strip() + nl + rest\n"
	"    else:\n"
	"        src = nl + textwrap.dedent(rest)\n"
	"    _g.update(_consts)\n"
	"    _g.update(values)\n"
	"    try:\n"
	"        exec(compile('\\n' * (line - 1) + src + '\\n', _file,\n"
	"                     'exec'), _g)\n"
	"    except SystemExit as e:\n"
	"        if e.code in (None, 0):\n"
	"            sys.stdout.flush()\n"
	"            os._exit(0)\n"
	"        _fail(num, line, e)\n"
	"    except BaseException as e:\n"
	"        _fail(num, line, e)\n"
	"def _fail(num, line, e):\n"
	"    at = line\n"
	"    if isinstance(e, SyntaxError) and e.filename == _file:\n"
	"        at, what = e.lineno or line, 'SyntaxError: %s' % e.msg\n"
	"    else:\n"
	"        tb = e.__traceback__\n"
	"        while tb is not None:\n"
	"            if tb.tb_frame.f_code.co_filename == _file:\n"
	"                at = tb.tb_lineno\n"
	"            tb = tb.tb_next\n"
	"        what = type(e).__name__\n"
	"        if str(e):\n"
	"            what += ': ' + str(e)\n"
	"    sys.stdout.flush()\n"
	"    msg = '%d %d %s' % (num, at, ' '.join(what.split()))\n"
	"    os.write(_report, msg.encode('utf-8', 'replace')[:3000])\n"
	"    os._exit(1)\n";

struct name_value {
	const char *name;
	long value;
};

/* What every snippet may name (SCRIPT-LANGUAGE.md 5), as packetdrill
 * defines them. */
static const struct name_value constants[] = {
	{"TCP_ESTABLISHED", 1}, {"TCP_SYN_SENT", 2},  {"TCP_SYN_RECV", 3},
	{"TCP_FIN_WAIT1", 4},	{"TCP_FIN_WAIT2", 5}, {"TCP_TIME_WAIT", 6},
	{"TCP_CLOSE", 7},	{"TCP_CLOSE_WAIT", 8}, {"TCP_LAST_ACK", 9},
	{"TCP_LISTEN", 10},	{"TCP_CLOSING", 11},
	{"TCP_CA_Open", 0},	{"TCP_CA_Disorder", 1}, {"TCP_CA_CWR", 2},
	{"TCP_CA_Recovery", 3}, {"TCP_CA_Loss", 4},
	{"TCPI_OPT_TIMESTAMPS", TCPI_OPT_TIMESTAMPS},
	{"TCPI_OPT_SACK", TCPI_OPT_SACK},
	{"TCPI_OPT_WSCALE", TCPI_OPT_WSCALE},
	{"TCPI_OPT_ECN", TCPI_OPT_ECN},
	{"TCPI_OPT_ECN_SEEN", TCPI_OPT_ECN_SEEN},
	{"TCPI_OPT_SYN_DATA", TCPI_OPT_SYN_DATA},
	{"TCPI_OPT_USEC_TS", 64},
};

struct code_log *code_log_new(const char *script_path)
{
	struct code_log *log = calloc(1, sizeof(*log));

	if (!log)
		return NULL;
	log->path = script_path;
	log->calls = open_memstream(&log->calls_buf, &log->calls_len);
	if (!log->calls) {
		free(log);
		return NULL;
	}
	return log;
}

void code_log_free(struct code_log *log)
{
	if (!log)
		return;
	fclose(log->calls);
	free(log->calls_buf);
	free(log->events);
	free(log);
}

size_t code_log_count(const struct code_log *log)
{
	return log ? log->count : 0;
}

static void put(FILE *f, const char *name, unsigned long long value)
{
	fprintf(f, "'%s': %llu, ", name, value);
}

/* A field the kernel filled in (older kernels return a shorter struct). */
#define TCPI(f, info, len, field)                                           \
	do {                                                                \
		if (offsetof(struct tcp_info, field) +                      \
			    sizeof((info)->field) <=                        \
		    (size_t)(len))                                          \
			put(f, #field, (unsigned long long)(info)->field); \
	} while (0)

static void put_tcp_info(FILE *f, const struct tcp_info *i, socklen_t len)
{
	/* The bit-fields share the byte after tcpi_options. */
	put(f, "tcpi_state", i->tcpi_state);
	put(f, "tcpi_ca_state", i->tcpi_ca_state);
	put(f, "tcpi_retransmits", i->tcpi_retransmits);
	put(f, "tcpi_probes", i->tcpi_probes);
	put(f, "tcpi_backoff", i->tcpi_backoff);
	put(f, "tcpi_options", i->tcpi_options);
	put(f, "tcpi_snd_wscale", i->tcpi_snd_wscale);
	put(f, "tcpi_rcv_wscale", i->tcpi_rcv_wscale);
	put(f, "tcpi_delivery_rate_app_limited",
	    i->tcpi_delivery_rate_app_limited);
	put(f, "tcpi_fastopen_client_fail", i->tcpi_fastopen_client_fail);
	TCPI(f, i, len, tcpi_rto);
	TCPI(f, i, len, tcpi_ato);
	TCPI(f, i, len, tcpi_snd_mss);
	TCPI(f, i, len, tcpi_rcv_mss);
	TCPI(f, i, len, tcpi_unacked);
	TCPI(f, i, len, tcpi_sacked);
	TCPI(f, i, len, tcpi_lost);
	TCPI(f, i, len, tcpi_retrans);
	TCPI(f, i, len, tcpi_fackets);
	TCPI(f, i, len, tcpi_last_data_sent);
	TCPI(f, i, len, tcpi_last_ack_sent);
	TCPI(f, i, len, tcpi_last_data_recv);
	TCPI(f, i, len, tcpi_last_ack_recv);
	TCPI(f, i, len, tcpi_pmtu);
	TCPI(f, i, len, tcpi_rcv_ssthresh);
	TCPI(f, i, len, tcpi_rtt);
	TCPI(f, i, len, tcpi_rttvar);
	TCPI(f, i, len, tcpi_snd_ssthresh);
	TCPI(f, i, len, tcpi_snd_cwnd);
	TCPI(f, i, len, tcpi_advmss);
	TCPI(f, i, len, tcpi_reordering);
	TCPI(f, i, len, tcpi_rcv_rtt);
	TCPI(f, i, len, tcpi_rcv_space);
	TCPI(f, i, len, tcpi_total_retrans);
	TCPI(f, i, len, tcpi_pacing_rate);
	TCPI(f, i, len, tcpi_max_pacing_rate);
	TCPI(f, i, len, tcpi_bytes_acked);
	TCPI(f, i, len, tcpi_bytes_received);
	TCPI(f, i, len, tcpi_segs_out);
	TCPI(f, i, len, tcpi_segs_in);
	TCPI(f, i, len, tcpi_notsent_bytes);
	TCPI(f, i, len, tcpi_min_rtt);
	TCPI(f, i, len, tcpi_data_segs_in);
	TCPI(f, i, len, tcpi_data_segs_out);
	TCPI(f, i, len, tcpi_delivery_rate);
	TCPI(f, i, len, tcpi_busy_time);
	TCPI(f, i, len, tcpi_rwnd_limited);
	TCPI(f, i, len, tcpi_sndbuf_limited);
	TCPI(f, i, len, tcpi_delivered);
	TCPI(f, i, len, tcpi_delivered_ce);
	TCPI(f, i, len, tcpi_bytes_sent);
	TCPI(f, i, len, tcpi_bytes_retrans);
	TCPI(f, i, len, tcpi_dsack_dups);
	TCPI(f, i, len, tcpi_reord_seen);
	TCPI(f, i, len, tcpi_rcv_ooopack);
	TCPI(f, i, len, tcpi_snd_wnd);
}

/* TCP_CC_INFO, by the congestion control in use (the kernel returns
 * nothing for those without it, cubic and reno among them). */
static void put_cc_info(FILE *f, int fd)
{
	union tcp_cc_info cc;
	char name[16] = "";
	socklen_t len = sizeof(name) - 1;

	if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len) < 0)
		return;
	len = sizeof(cc);
	memset(&cc, 0, sizeof(cc));
	if (getsockopt(fd, IPPROTO_TCP, TCP_CC_INFO, &cc, &len) < 0)
		return;
	if (!strcmp(name, "bbr") && len >= sizeof(cc.bbr)) {
		put(f, "bbr_bw_lo", cc.bbr.bbr_bw_lo);
		put(f, "bbr_bw_hi", cc.bbr.bbr_bw_hi);
		put(f, "bbr_bw",
		    ((unsigned long long)cc.bbr.bbr_bw_hi << 32) +
			    cc.bbr.bbr_bw_lo);
		put(f, "bbr_min_rtt", cc.bbr.bbr_min_rtt);
		put(f, "bbr_pacing_gain", cc.bbr.bbr_pacing_gain);
		put(f, "bbr_cwnd_gain", cc.bbr.bbr_cwnd_gain);
	} else if (!strcmp(name, "dctcp") && len >= sizeof(cc.dctcp)) {
		put(f, "dctcp_enabled", cc.dctcp.dctcp_enabled);
		put(f, "dctcp_ce_state", cc.dctcp.dctcp_ce_state);
		put(f, "dctcp_alpha", cc.dctcp.dctcp_alpha);
		put(f, "dctcp_ab_ecn", cc.dctcp.dctcp_ab_ecn);
		put(f, "dctcp_ab_tot", cc.dctcp.dctcp_ab_tot);
	} else if (!strcmp(name, "vegas") && len >= sizeof(cc.vegas)) {
		put(f, "tcpv_enabled", cc.vegas.tcpv_enabled);
		put(f, "tcpv_rttcnt", cc.vegas.tcpv_rttcnt);
		put(f, "tcp_rtt", cc.vegas.tcpv_rtt);
		put(f, "tcp_minrtt", cc.vegas.tcpv_minrtt);
	}
}

static void put_meminfo(FILE *f, int fd)
{
	static const char *const names[SK_MEMINFO_VARS] = {
		[SK_MEMINFO_RMEM_ALLOC] = "SK_MEMINFO_RMEM_ALLOC",
		[SK_MEMINFO_RCVBUF] = "SK_MEMINFO_RCVBUF",
		[SK_MEMINFO_WMEM_ALLOC] = "SK_MEMINFO_WMEM_ALLOC",
		[SK_MEMINFO_SNDBUF] = "SK_MEMINFO_SNDBUF",
		[SK_MEMINFO_FWD_ALLOC] = "SK_MEMINFO_FWD_ALLOC",
		[SK_MEMINFO_WMEM_QUEUED] = "SK_MEMINFO_WMEM_QUEUED",
		[SK_MEMINFO_OPTMEM] = "SK_MEMINFO_OPTMEM",
		[SK_MEMINFO_BACKLOG] = "SK_MEMINFO_BACKLOG",
		[SK_MEMINFO_DROPS] = "SK_MEMINFO_DROPS",
	};
	uint32_t mem[SK_MEMINFO_VARS + 8];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0)
		return;
	for (size_t i = 0; i < SK_MEMINFO_VARS; i++)
		if ((i + 1) * sizeof(mem[0]) <= len)
			put(f, names[i], mem[i]);
}

static int remember(struct code_log *log, const struct event *ev)
{
	if (log->count == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : 16;
		const struct event **v =
			realloc(log->events, cap * sizeof(*v));

		if (!v)
			return -1;
		log->events = v;
		log->cap = cap;
	}
	log->events[log->count++] = ev;
	return 0;
}

int code_snapshot(struct code_log *log, int fd, int script_fd,
		  const struct event *ev, struct diag *d)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);
	FILE *f = log->calls;

	memset(&info, 0, sizeof(info));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
		return diag_set(d, EXIT_FAIL, &ev->loc,
				"cannot read TCP_INFO of fd %d for the code: "
				"%s", script_fd, strerror(errno));
	if (remember(log, ev))
		return diag_set(d, EXIT_INTERNAL, &ev->loc, "out of memory");
	fprintf(f, "_snippet(%zu, %d, {", log->count - 1, ev->loc.first_line);
	put_tcp_info(f, &info, len);
	put_cc_info(f, fd);
	put_meminfo(f, fd);
	/* Any bytes at all reach python intact as hex. */
	fputs("}, bytes.fromhex('", f);
	for (const unsigned char *p = (const unsigned char *)ev->u.code; *p;
	     p++)
		fprintf(f, "%02x", *p);
	fputs("').decode('utf-8', 'replace'))\n", f);
	if (ferror(f))
		return diag_set(d, EXIT_INTERNAL, &ev->loc, "out of memory");
	return 0;
}

char *code_program(struct code_log *log)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fputs(preamble, f);
	fputs("_consts = {", f);
	for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++)
		fprintf(f, "'%s': %ld, ", constants[i].name,
			constants[i].value);
	fputs("}\n", f);
	fflush(log->calls);
	if (log->calls_len)
		fwrite(log->calls_buf, 1, log->calls_len, f);
	if (ferror(f)) {
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	return text;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The program as a memory file: nothing on disk to clean up. */
static int program_fd(struct code_log *log)
{
	char *text = code_program(log);
	int fd;

	if (!text)
		return -1;
	fd = memfd_create("tcpcheck-code", MFD_CLOEXEC);
	if (fd >= 0 && write_all(fd, text, strlen(text)) < 0) {
		close(fd);
		fd = -1;
	}
	free(text);
	return fd;
}

static void exec_python(int prog, int report, const char *path)
{
	char report_arg[16];

	/* Out of the way of the fixed numbers first, then onto them (dup2
	 * clears close-on-exec). */
	prog = fcntl(prog, F_DUPFD, 10);
	report = fcntl(report, F_DUPFD, 10);
	if (prog < 0 || report < 0 || dup2(prog, PROGRAM_FD) < 0 ||
	    dup2(report, REPORT_FD) < 0)
		_exit(126);
	snprintf(report_arg, sizeof(report_arg), "%d", REPORT_FD);
	execlp("python3", "python3", "-B", "/proc/self/fd/3", path,
	       report_arg, (char *)NULL);
	dprintf(REPORT_FD, "! %d", errno);
	_exit(127);
}

static const struct event *event_at(const struct code_log *log, int num)
{
	return num >= 0 && (size_t)num < log->count ? log->events[num]
						    : log->events[0];
}

static int judge(const struct code_log *log, const char *report, int ws,
		 struct diag *d)
{
	const struct event *first = log->events[0];
	int num, at, n = 0, err;

	if (sscanf(report, "! %d", &err) == 1) {
		if (err == ENOENT)
			return diag_set(d, EXIT_SKIP, &first->loc,
					"python3 is not installed; %%{ }%% "
					"code events need it");
		return diag_set(d, EXIT_INTERNAL, &first->loc,
				"cannot run python3: %s", strerror(err));
	}
	if (sscanf(report, "%d %d %n", &num, &at, &n) == 2 && n > 0) {
		const struct event *ev = event_at(log, num);

		if (at != ev->loc.first_line)
			return diag_set(d, EXIT_FAIL, &ev->loc,
					"error in python code (line %d): %s",
					at, report + n);
		return diag_set(d, EXIT_FAIL, &ev->loc,
				"error in python code: %s", report + n);
	}
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
		return 0;
	if (WIFSIGNALED(ws))
		return diag_set(d, EXIT_INTERNAL, &first->loc,
				"python3 was killed by signal %d (%s)",
				WTERMSIG(ws), strsignal(WTERMSIG(ws)));
	return diag_set(d, EXIT_INTERNAL, &first->loc,
			"python3 exited with status %d", WEXITSTATUS(ws));
}

int code_run(struct code_log *log, struct diag *d)
{
	char report[3100];
	size_t got = 0;
	int pipefd[2], prog, ws;
	pid_t child;

	if (!log || log->count == 0)
		return 0;
	prog = program_fd(log);
	if (prog < 0)
		return diag_set(d, EXIT_INTERNAL, &log->events[0]->loc,
				"cannot build the python program: %s",
				strerror(errno));
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		close(prog);
		return diag_set(d, EXIT_INTERNAL, &log->events[0]->loc,
				"pipe: %s", strerror(errno));
	}
	fflush(stdout);
	fflush(stderr);
	child = fork();
	if (child == 0)
		exec_python(prog, pipefd[1], log->path);
	close(prog);
	close(pipefd[1]);
	if (child < 0) {
		close(pipefd[0]);
		return diag_set(d, EXIT_INTERNAL, &log->events[0]->loc,
				"fork: %s", strerror(errno));
	}
	for (;;) {
		ssize_t n = read(pipefd[0], report + got,
				 sizeof(report) - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(report) - 1)
			break;
	}
	report[got] = '\0';
	close(pipefd[0]);
	while (waitpid(child, &ws, 0) < 0)
		if (errno != EINTR)
			return diag_set(d, EXIT_INTERNAL,
					&log->events[0]->loc, "waitpid: %s",
					strerror(errno));
	return judge(log, report, ws, d);
}
