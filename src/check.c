/* One script from file to verdict; the run itself happens in a child
 * process, because a network namespace belongs to a process and every
 * script gets a fresh one. */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "diagram.h"
#include "keeper.h"
#include "run.h"
#include "netns.h"
#include "ticks.h"
#include "timeline.h"

static int configure(const struct script *s, const struct check_params *p,
		     struct config *c, struct diag *d)
{
	config_init(c);
	c->verbose = p->verbose;
	if (config_apply_script(c, s, d))
		return -1;
	for (size_t i = 0; i < p->option_count; i++)
		if (config_apply(c, p->options[i].name, p->options[i].value,
				 NULL, d))
			return -1;
	return config_finish(c, d);
}

/* s is NULL when the script could not even be read. */
static void report(const struct diag *d, const char *path,
		   const struct script *s)
{
	if (!diag_failed(d))
		return;
	if (s)
		diag_print_files(stderr, d, s->files, s->file_count);
	else
		diag_print(stderr, d, path, NULL);
}

/* The child's exit status for "I was late, run me again". */
#define EXIT_RETRY 3

struct verdict_ctx {
	const char *path;
	const struct script *s;
	const struct check_params *p;
	bool last_try;
	struct diagram *diagram; /* NULL: none asked for */
	bool auto_text; /* a failure's diagram to stderr, unasked */
	FILE *svg;      /* --diagram=svg FILE, opened by the parent */
};

/* A failed run's diagram follows its diagnostic; a passing run's is
 * output. The picture is written either way. */
static void show_diagram(const struct diag *d, const struct verdict_ctx *v)
{
	bool failed = diag_failed(d) && d->status != EXIT_SKIP;

	if (!v->diagram)
		return;
	if (failed && (v->p->diagram_text || v->auto_text) &&
	    diagram_count(v->diagram)) {
		fputc('\n', stderr);
		diagram_print_text(stderr, v->diagram);
	} else if (!failed && v->p->diagram_text) {
		diagram_print_text(stdout, v->diagram);
	}
	if (!v->svg)
		return;
	/* An attempt before this one may have written it. */
	rewind(v->svg);
	if (ftruncate(fileno(v->svg), 0) ||
	    diagram_write_svg(v->svg, v->diagram))
		fprintf(stderr, "tcpcheck: cannot write %s: %s\n",
			v->p->diagram_svg, strerror(errno));
}

/* The outcome of an attempt, which run_script hands over before the
 * tear-down: a late attempt is repeated quietly; else the diagnostic is
 * printed and a batch hears the status at once. */
static void verdict(const struct diag *d, void *arg)
{
	struct verdict_ctx *v = arg;
	unsigned char status = (unsigned char)d->status;

	if (d->tool_late && !v->last_try)
		return;
	report(d, v->path, v->s);
	show_diagram(d, v);
	fflush(stdout);
	fflush(stderr);
	if (v->p->gated)
		while (write(v->p->done_fd, &status, 1) < 0 && errno == EINTR)
			;
}

/* The child: run the timeline in a namespace and exit with the verdict. */
static void run_child(const char *path, const struct script *s,
		      const struct timeline *tl, const struct config *c,
		      const struct check_params *p, FILE *svg, int pcap_fd,
		      int attempt)
{
	struct diag d = {0};
	char *copy = strdup(path);
	/* Only a first attempt waits: a repeated one already has its turn. */
	struct run_gate gate = {.wait_fd = p->gate_fd};
	struct verdict_ctx v = {
		.path = path,
		.s = s,
		.p = p,
		.last_try = attempt == RUN_ATTEMPTS,
		.auto_text = !p->diagram_off && !p->diagram_text &&
			     isatty(STDERR_FILENO),
		.svg = svg,
	};
	struct run_input in = {
		.script = s,
		.timeline = tl,
		.config = c,
		.script_dir = copy ? dirname(copy) : ".",
		.gate = p->gated && attempt == 1 ? &gate : NULL,
		.pcap = pcap_fd >= 0,
		.pcap_fd = pcap_fd,
		.verdict = verdict,
		.verdict_arg = &v,
	};

	/* Without memory for it the run goes on without a diagram. */
	if (p->diagram_text || v.auto_text || svg || p->record)
		in.diagram = v.diagram = diagram_new(path);
	run_script(&in, &d);
	if (p->record && v.diagram)
		diagram_write_record(p->record, v.diagram);
	diagram_free(v.diagram);
	free(copy);
	if (d.tool_late && !v.last_try)
		_exit(EXIT_RETRY);
	_exit(d.status);
}

static int wait_child(pid_t pid, const char *path)
{
	int ws;

	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "%s: internal error: waitpid: %s\n",
				path, strerror(errno));
			return EXIT_INTERNAL;
		}
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	fprintf(stderr, "%s: internal error: the run died of signal %d (%s)\n",
		path, WTERMSIG(ws), strsignal(WTERMSIG(ws)));
	return EXIT_INTERNAL;
}

static int run_once(const char *path, const struct script *s,
		    const struct timeline *tl, const struct config *c,
		    const struct check_params *p, FILE *svg, int pcap_fd,
		    int attempt)
{
	pid_t pid;
	int status;

	/* A plugin stack has a clock of its own, and no namespace. */
	if (!c->stack[0]) {
		ticks_calibrate();
		(void)keeper_start(); /* watched while the run goes on */
		netns_prepare();
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: internal error: fork: %s\n", path,
			strerror(errno));
		return EXIT_INTERNAL;
	}
	if (pid == 0)
		run_child(path, s, tl, c, p, svg, pcap_fd, attempt);
	status = wait_child(pid, path);
	if (!c->stack[0])
		keeper_stop();
	return status;
}

static int run_in_child(const char *path, const struct script *s,
			const struct timeline *tl, const struct config *c,
			const struct check_params *p)
{
	int status = EXIT_RETRY;
	FILE *svg = NULL;
	int pcap_fd = -1;

	/* Opened here, on the host's side: the run writes them from inside
	 * namespaces (a private /tmp among them, scratch.c) where the path
	 * may not lead to the same place. */
	if (p->diagram_svg && !(svg = fopen(p->diagram_svg, "w"))) {
		fprintf(stderr, "tcpcheck: cannot write %s: %s\n",
			p->diagram_svg, strerror(errno));
		return EXIT_USAGE;
	}
	if (p->pcap_file) {
		pcap_fd = open(p->pcap_file,
			       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (pcap_fd < 0) {
			fprintf(stderr,
				"tcpcheck: cannot write the pcap file %s: %s\n",
				p->pcap_file, strerror(errno));
			if (svg)
				fclose(svg);
			return EXIT_USAGE;
		}
	}
	/* Each attempt gets a fresh namespace (and an empty pcap file): a
	 * late one is simply forgotten. */
	for (int try = 1; try <= RUN_ATTEMPTS && status == EXIT_RETRY; try++)
		status = run_once(path, s, tl, c, p, svg, pcap_fd, try);
	if (pcap_fd >= 0) {
		struct stat st;

		/* A run that never got to capture (skipped, or its set-up
		 * failed) wrote not even the file's header: better no file
		 * than one that no reader takes. */
		if (fstat(pcap_fd, &st) == 0 && st.st_size == 0)
			(void)unlink(p->pcap_file);
		close(pcap_fd);
	}
	if (svg && fclose(svg)) {
		fprintf(stderr, "tcpcheck: cannot write %s: %s\n",
			p->diagram_svg, strerror(errno));
		return status == EXIT_PASS ? EXIT_INTERNAL : status;
	}
	return status;
}

int check_script(const char *path, const struct check_params *p)
{
	struct diag d = {0};
	struct config c;
	struct timeline tl = {0};
	struct script *s = NULL;
	size_t len = 0;
	char *text = script_read_source(path, &len, &d);
	int status;

	if (text && script_load(path, text, len, p->defines, p->define_count,
				&s, &d)) {
		report(&d, path, s);
		script_free(s);
		s = NULL;
	}
	if (!s) {
		if (!text)
			report(&d, path, NULL);
		free(text);
		return d.status;
	}
	/* The parse keeps its own copy (s->source); the runs fork from here,
	 * so the less they inherit the better. */
	free(text);
	if (p->dump_ast)
		script_dump(stdout, s);
	if (p->dump_ast || p->parse_only) {
		status = EXIT_PASS;
		goto out;
	}
	if (configure(s, p, &c, &d) || timeline_build(s, &c, &tl, &d)) {
		report(&d, path, s);
		status = d.status;
		goto out;
	}
	status = run_in_child(path, s, &tl, &c, p);
	timeline_free(&tl);
out:
	script_free(s);
	return status;
}
