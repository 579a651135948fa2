/* tcpcheck's entry point: the command line and the exit status. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "batch.h"
#include "check.h"
#include "config.h"
#include "diag.h"
#include "lint.h"
#include "frompcap.h"

#define MAX_ARGS 256
#define MAX_PATHS 4096

static void usage(FILE *out)
{
	fputs("usage: tcpcheck [options] PATH...\n"
	      "       tcpcheck --from-pcap FILE [--stack-side ADDR:PORT]\n"
	      "                [--connection N] [-o OUT]\n"
	      "\n"
	      "Run packetdrill-style TCP scripts against the Linux kernel, each\n"
	      "in a private network namespace, or against a stack plugin, and\n"
	      "report the first difference.\n"
	      "A PATH is a script or a directory (every *.pkt below it).\n"
	      "\n"
	      "  -j, --jobs N               runs at once (default: CPUs x 4)\n"
	      "      --timeout SECS         kill a run after SECS (default: none)\n"
	      "      --shard I/N            only the runs of shard I of N\n"
	      "      --junit FILE           write JUnit XML to FILE\n"
	      "      --tap                  TAP 13 on standard output\n"
	      "      --pcap FILE            write the run's packets (both ways) to\n"
	      "                             FILE, a pcap file; one run only\n"
	      "      --pcap-dir DIR         a pcap file per run in DIR, named after\n"
	      "                             the run: PATH with / as %2F and %\n"
	      "                             as %25, then .VARIANT.pcap\n"
	      "      --pcap-dir-failed      with --pcap-dir: keep the failed runs'\n"
	      "                             files only\n"
	      "      --stack=NAME|PATH      test a stack plugin (lwip, example, or\n"
	      "                             a .so file) in virtual time, not the\n"
	      "                             kernel; --stack=kernel is the default\n"
	      "      --stack_options=TEXT   settings for the stack plugin\n"
	      "      --compare=A,B          run one script on stacks A and B (each\n"
	      "                             kernel or a plugin) and show where\n"
	      "                             their segments and states first differ\n"
	      "  -v, --verbose              print every event as it happens\n"
	      "  -D, --define NAME=VALUE    substitute VALUE for the word NAME\n"
	      "      --check                report every problem of the scripts\n"
	      "                             that shows without running them;\n"
	      "                             run nothing (exit 2 if any)\n"
	      "      --parse-only           check the syntax only\n"
	      "      --dump-ast             print the syntax tree and stop\n"
	      "      --diagram[=text]       print the run as a ladder diagram\n"
	      "                             (unasked after a failure on a terminal)\n"
	      "      --diagram=svg FILE     draw it as an SVG picture in FILE\n"
	      "      --diagram=off          no diagram, not even on a terminal\n"
	      "      --ip_version=V         ipv4 (default), ipv6, ipv4-mapped-ipv6;\n"
	      "                             a comma list or all: run each\n"
	      "      --local_ip=A           the stack's address\n"
	      "      --remote_ip=A          the tool's (remote peer's) address\n"
	      "      --gateway_ip=A         gateway for the route to the remote\n"
	      "      --netmask_ip=M         netmask of the local address (IPv4)\n"
	      "      --mtu=N                MTU of tun0 (default 1500)\n"
	      "      --mss=N                inject long segments as GRO packets\n"
	      "                             of N-byte segments\n"
	      "      --bind_port=N          port bind() uses (default 8080)\n"
	      "      --connect_port=N       port connect() uses (default 8080)\n"
	      "      --state_trace=sampling read states over sock_diag, not the\n"
	      "                             tracepoint (default auto)\n"
	      "      --tolerance_usecs=N    timing tolerance (default 4000)\n"
	      "      --tolerance_percent=P  relative tolerance (default 12.5)\n"
	      "      --strict_segments      never merge outbound segments\n"
	      "      --tcp_ts_tick_usecs=N  check TS val at N us a tick\n"
	      "      --tcp_ts_ecr_scaled    (accepted; TS ecr is always scaled)\n"
	      "      --stats                print a run's scheduling error and cost\n"
	      "      --realtime             run in SCHED_FIFO (lowest priority) if allowed\n"
	      "      --from-pcap FILE       write a draft script for one TCP\n"
	      "                             connection of a capture, run nothing\n"
	      "      --stack-side ADDR:PORT the end under test ([ADDR]:PORT for\n"
	      "                             IPv6; default: see tcpcheck(1))\n"
	      "      --connection N         the capture's Nth connection\n"
	      "  -o OUT                     the draft to OUT, not stdout\n"
	      "  -h, --help                 this text\n"
	      "      --version              the version\n"
	      "\n"
	      "Option names take '-' or '_' alike. Exit status: 0 pass, 1 a script\n"
	      "failed, 2 usage or script error, 77 skipped, 99 internal error.\n"
	      "See tcpcheck(1) and tcpcheck-script(5).\n",
	      out);
}

struct cli {
	struct check_params params;
	struct cli_option options[MAX_ARGS];
	struct script_define defines[MAX_ARGS];
	const char *scripts[MAX_PATHS];
	size_t script_count;
	struct batch_options batch;
	const char *ip_version; /* as given; NULL: not given */
	const char *compare;    /* --compare=A,B; NULL: not given */
	bool lint;              /* --check */
	struct frompcap_options frompcap; /* .file NULL: not asked */
	const char *frompcap_only; /* the first of its options, if given */
	bool batch_asked;	/* an option only a batch has */
};

static int add_define(struct cli *cli, char *arg)
{
	char *eq = strchr(arg, '=');
	struct check_params *p = &cli->params;

	if (!eq || eq == arg) {
		fprintf(stderr, "tcpcheck: -D wants NAME=VALUE, got '%s'\n",
			arg);
		return -1;
	}
	if (p->define_count == MAX_ARGS) {
		fprintf(stderr, "tcpcheck: too many -D options\n");
		return -1;
	}
	*eq = '\0';
	cli->defines[p->define_count].name = arg;
	cli->defines[p->define_count].value = eq + 1;
	p->define_count++;
	return 0;
}

static int push_option(struct cli *cli, const char *name, const char *value)
{
	struct check_params *p = &cli->params;

	if (p->option_count == MAX_ARGS) {
		fprintf(stderr, "tcpcheck: too many options\n");
		return -1;
	}
	cli->options[p->option_count].name = name;
	cli->options[p->option_count].value = value;
	p->option_count++;
	return 0;
}

/* A --name[=value] that is a run setting (config.c knows them all). */
static int add_setting(struct cli *cli, char *name, char *value, int *argi,
		       int argc, char **argv)
{
	int takes = config_option_takes_value(name);

	if (takes == -1 && config_option_suggest(name)) {
		fprintf(stderr,
			"tcpcheck: unknown option --%s; did you mean --%s?\n",
			name, config_option_suggest(name));
		return -1;
	}
	if (takes == -1) {
		fprintf(stderr, "tcpcheck: unknown option --%s\n", name);
		return -1;
	}
	if (takes == -2) {
		fprintf(stderr, "tcpcheck: not supported yet: option --%s\n",
			name);
		return -1;
	}
	if (takes && !value) {
		if (*argi + 1 >= argc) {
			fprintf(stderr, "tcpcheck: option --%s needs a value\n",
				name);
			return -1;
		}
		value = argv[++*argi];
	}
	return push_option(cli, name, value);
}

static int is_name(const char *arg, const char *a, const char *b)
{
	return !strcmp(arg, a) || (b && !strcmp(arg, b));
}

static int parse_number(const char *opt, const char *value, unsigned min,
			unsigned *out)
{
	unsigned long v = 0;
	char *end = NULL;

	errno = 0;
	if (value && *value >= '0' && *value <= '9')
		v = strtoul(value, &end, 10);
	if (!end || *end || errno || v < min || v > UINT_MAX) {
		fprintf(stderr,
			"tcpcheck: %s wants a whole number%s, got '%s'\n", opt,
			min ? " of at least 1" : "", value ? value : "");
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* The options of a batch (and --ip_version, whose lists make one).
 * Returns 1 if name is one of them, 0 if not, -1 after an error. */
static int parse_batch_option(struct cli *cli, const char *name, char *value,
			      int *argi, int argc, char **argv)
{
	struct batch_options *b = &cli->batch;

	if (is_name(name, "tap", NULL)) {
		cli->batch_asked = b->tap = true;
		return 1;
	}
	if (is_name(name, "pcap_dir_failed", NULL)) {
		cli->batch_asked = b->pcap_failed_only = true;
		return 1;
	}
	if (!is_name(name, "jobs", "timeout") &&
	    !is_name(name, "shard", "junit") &&
	    !is_name(name, "ip_version", "pcap") &&
	    !is_name(name, "pcap_dir", NULL))
		return 0;
	if (!value && *argi + 1 >= argc) {
		fprintf(stderr, "tcpcheck: option --%s needs a value\n", name);
		return -1;
	}
	if (!value)
		value = argv[++*argi];
	if (is_name(name, "ip_version", NULL)) {
		cli->ip_version = value;
		return 1;
	}
	/* One script, or a batch of one run (checked by the batch). */
	if (is_name(name, "pcap", NULL)) {
		cli->params.pcap_file = value;
		return 1;
	}
	cli->batch_asked = true;
	if (is_name(name, "pcap_dir", NULL)) {
		b->pcap_dir = value;
		return 1;
	}
	if (is_name(name, "jobs", NULL))
		return parse_number("--jobs", value, 1, &b->jobs) ? -1 : 1;
	if (is_name(name, "timeout", NULL)) {
		if (parse_number("--timeout", value, 0, &b->timeout))
			return -1;
		return 1;
	}
	if (is_name(name, "junit", NULL)) {
		b->junit_file = value;
		return 1;
	}
	if (batch_parse_shard(value, &b->shard_index, &b->shard_count)) {
		fprintf(stderr,
			"tcpcheck: --shard wants I/N with 1 <= I <= N, got "
			"'%s'\n",
			value);
		return -1;
	}
	return 1;
}

/* --diagram, --diagram=text, --diagram=svg FILE, --diagram=off. */
static int parse_diagram(struct cli *cli, const char *value, int *argi,
			 int argc, char **argv)
{
	struct check_params *p = &cli->params;

	if (!value || !strcmp(value, "text")) {
		p->diagram_text = true;
		return 0;
	}
	if (!strcmp(value, "off")) {
		p->diagram_off = true;
		return 0;
	}
	if (strcmp(value, "svg")) {
		fprintf(stderr,
			"tcpcheck: bad value '%s' for --diagram: expected "
			"text, svg FILE or off\n",
			value);
		return -1;
	}
	if (*argi + 1 >= argc) {
		fprintf(stderr, "tcpcheck: --diagram=svg needs a FILE\n");
		return -1;
	}
	p->diagram_svg = argv[++*argi];
	return 0;
}

/* --from-pcap FILE, --stack-side ADDR:PORT, --connection N. */
static int parse_frompcap_option(struct cli *cli, const char *name,
				 char *value, int *argi, int argc, char **argv)
{
	struct frompcap_options *f = &cli->frompcap;

	if (!value && *argi + 1 < argc)
		value = argv[++*argi];
	if (!value || !*value) {
		fprintf(stderr, "tcpcheck: option --%s needs a value\n", name);
		return -1;
	}
	if (is_name(name, "from_pcap", NULL)) {
		f->file = value;
		return 0;
	}
	if (!cli->frompcap_only)
		cli->frompcap_only = is_name(name, "stack_side", NULL)
					     ? "--stack-side"
					     : "--connection";
	if (is_name(name, "stack_side", NULL)) {
		f->stack_side = value;
		return 0;
	}
	return parse_number("--connection", value, 1, &f->connection);
}

/* Returns 0 to go on, or an exit status + 1000 to stop at once. */
static int parse_long_option(struct cli *cli, int *argi, int argc, char **argv)
{
	char *name = argv[*argi] + 2;
	char *eq = strchr(name, '=');
	char *value = NULL;

	if (eq) {
		*eq = '\0';
		value = eq + 1;
	}
	for (char *c = name; *c; c++)
		if (*c == '-')
			*c = '_';
	if (is_name(name, "help", NULL)) {
		usage(stdout);
		return 1000 + EXIT_PASS;
	}
	if (is_name(name, "version", NULL)) {
		printf("tcpcheck %s\n", PACKAGE_VERSION);
		return 1000 + EXIT_PASS;
	}
	if (is_name(name, "check", NULL))
		cli->lint = true;
	else if (is_name(name, "parse_only", NULL))
		cli->params.parse_only = true;
	else if (is_name(name, "dump_ast", NULL))
		cli->params.dump_ast = true;
	else if (is_name(name, "define", NULL)) {
		if (!value && *argi + 1 < argc)
			value = argv[++*argi];
		if (!value || add_define(cli, value))
			return 1000 + EXIT_USAGE;
	} else if (is_name(name, "verbose", NULL)) {
		cli->params.verbose++;
	} else if (is_name(name, "diagram", NULL)) {
		if (parse_diagram(cli, value, argi, argc, argv))
			return 1000 + EXIT_USAGE;
	} else if (is_name(name, "from_pcap", "stack_side") ||
		   is_name(name, "connection", NULL)) {
		if (parse_frompcap_option(cli, name, value, argi, argc, argv))
			return 1000 + EXIT_USAGE;
	} else if (is_name(name, "compare", NULL)) {
		if (!value && *argi + 1 < argc)
			value = argv[++*argi];
		if (!value) {
			fprintf(stderr, "tcpcheck: --compare needs A,B\n");
			return 1000 + EXIT_USAGE;
		}
		cli->compare = value;
	} else {
		int r = parse_batch_option(cli, name, value, argi, argc, argv);

		if (r < 0 ||
		    (r == 0 && add_setting(cli, name, value, argi, argc, argv)))
			return 1000 + EXIT_USAGE;
	}
	return 0;
}

static int parse_short_option(struct cli *cli, int *argi, int argc,
			      char **argv)
{
	const char *arg = argv[*argi];

	if (!strcmp(arg, "-v")) {
		cli->params.verbose++;
		return 0;
	}
	if (!strcmp(arg, "-h")) {
		usage(stdout);
		return 1000 + EXIT_PASS;
	}
	if (!strncmp(arg, "-o", 2)) {
		const char *v = arg[2] ? arg + 2
				       : (*argi + 1 < argc ? argv[++*argi] : NULL);

		if (!v || !*v) {
			fprintf(stderr, "tcpcheck: -o needs a file\n");
			return 1000 + EXIT_USAGE;
		}
		cli->frompcap.out = v;
		if (!cli->frompcap_only)
			cli->frompcap_only = "-o";
		return 0;
	}
	if (!strncmp(arg, "-j", 2)) {
		const char *v = arg + 2;

		if (!*v)
			v = *argi + 1 < argc ? argv[++*argi] : NULL;
		cli->batch_asked = true;
		if (parse_number("-j", v, 1, &cli->batch.jobs))
			return 1000 + EXIT_USAGE;
		return 0;
	}
	if (!strncmp(arg, "-D", 2)) {
		char *v = arg[2] ? argv[*argi] + 2
				 : (*argi + 1 < argc ? argv[++*argi] : NULL);

		if (!v) {
			fprintf(stderr, "tcpcheck: -D needs NAME=VALUE\n");
			return 1000 + EXIT_USAGE;
		}
		return add_define(cli, v) ? 1000 + EXIT_USAGE : 0;
	}
	fprintf(stderr, "tcpcheck: unknown option %s\n", arg);
	return 1000 + EXIT_USAGE;
}

/* The pcap options that make no sense together. */
static int check_pcap_options(const struct cli *cli)
{
	const struct batch_options *b = &cli->batch;

	if (cli->params.pcap_file && b->pcap_dir) {
		fprintf(stderr, "tcpcheck: --pcap and --pcap-dir exclude each "
				"other\n");
		return -1;
	}
	if (b->pcap_failed_only && !b->pcap_dir) {
		fprintf(stderr, "tcpcheck: --pcap-dir-failed needs --pcap-dir "
				"DIR\n");
		return -1;
	}
	if ((cli->params.pcap_file && !*cli->params.pcap_file) ||
	    (b->pcap_dir && !*b->pcap_dir)) {
		fprintf(stderr, "tcpcheck: --pcap%s wants a path, got ''\n",
			b->pcap_dir ? "-dir" : "");
		return -1;
	}
	return 0;
}

static int parse_command_line(struct cli *cli, int argc, char **argv)
{
	bool only_files = false;

	cli->params.options = cli->options;
	cli->params.defines = cli->defines;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int r = 0;

		if (only_files || arg[0] != '-' || !strcmp(arg, "-")) {
			if (cli->script_count == MAX_PATHS) {
				fprintf(stderr, "tcpcheck: too many scripts\n");
				return 1000 + EXIT_USAGE;
			}
			cli->scripts[cli->script_count++] = arg;
			continue;
		}
		if (!strcmp(arg, "--"))
			only_files = true;
		else if (arg[1] == '-')
			r = parse_long_option(cli, &i, argc, argv);
		else
			r = parse_short_option(cli, &i, argc, argv);
		if (r)
			return r;
	}
	if (cli->frompcap.file && cli->script_count) {
		fprintf(stderr, "tcpcheck: --from-pcap reads a capture and runs "
				"no script: drop '%s'\n",
			cli->scripts[0]);
		return 1000 + EXIT_USAGE;
	}
	if (cli->frompcap.file)
		return 0;
	if (cli->frompcap_only) {
		fprintf(stderr, "tcpcheck: %s goes with --from-pcap FILE\n",
			cli->frompcap_only);
		return 1000 + EXIT_USAGE;
	}
	if (cli->script_count == 0) {
		usage(stderr);
		return 1000 + EXIT_USAGE;
	}
	return check_pcap_options(cli) ? 1000 + EXIT_USAGE : 0;
}

static bool wants_batch(const struct cli *cli)
{
	struct stat st;

	if (cli->batch_asked || cli->script_count > 1)
		return true;
	if (cli->ip_version &&
	    (strchr(cli->ip_version, ',') || !strcmp(cli->ip_version, "all")))
		return true;
	return stat(cli->scripts[0], &st) == 0 && S_ISDIR(st.st_mode);
}

/* One script, or syntax trees: in the order given, diagnostics straight
 * to stderr, as tcpcheck has always run a script. */
static int run_each(struct cli *cli)
{
	int status = EXIT_PASS;

	if (cli->ip_version && push_option(cli, "ip_version", cli->ip_version))
		return EXIT_USAGE;
	for (size_t i = 0; i < cli->script_count; i++) {
		int one = check_script(cli->scripts[i], &cli->params);

		status = i ? batch_worse(status, one) : one;
	}
	return status;
}

static int run_batch(struct cli *cli)
{
	struct batch_options *b = &cli->batch;

	if (batch_parse_variants(cli->ip_version, &b->variants)) {
		fprintf(stderr,
			"tcpcheck: bad value '%s' for --ip_version: expected "
			"ipv4, ipv6, ipv4-mapped-ipv6, a comma-separated list "
			"of them, or all\n",
			cli->ip_version);
		return EXIT_USAGE;
	}
	b->params = &cli->params;
	b->paths = cli->scripts;
	b->path_count = cli->script_count;
	return batch_run(b);
}

/* Lint one path: a directory stands for every *.pkt below it. */
static size_t lint_path(const char *path, const struct check_params *p)
{
	struct batch_list list = {0};
	char err[512];
	struct stat st;
	size_t problems = 0;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return lint_file(path, p);
	if (batch_find_scripts(&path, 1, &list, err, sizeof(err))) {
		fprintf(stderr, "tcpcheck: %s\n", err);
		return 1;
	}
	for (size_t i = 0; i < list.count; i++)
		problems += lint_file(list.paths[i], p);
	batch_list_free(&list);
	return problems;
}

/* --check: every script's problems; nothing runs. */
static int run_lint(struct cli *cli)
{
	size_t problems = 0;

	if (cli->compare || cli->batch_asked || cli->params.parse_only ||
	    cli->params.dump_ast || cli->params.pcap_file ||
	    cli->params.diagram_svg || cli->params.diagram_text) {
		fprintf(stderr, "tcpcheck: --check runs nothing: it takes no "
				"--compare, --dump-ast, --parse-only, --diagram, "
				"--pcap or batch options\n");
		return EXIT_USAGE;
	}
	if (cli->ip_version &&
	    (strchr(cli->ip_version, ',') || !strcmp(cli->ip_version, "all"))) {
		fprintf(stderr, "tcpcheck: --check takes one --ip_version\n");
		return EXIT_USAGE;
	}
	if (cli->ip_version && push_option(cli, "ip_version", cli->ip_version))
		return EXIT_USAGE;
	for (size_t i = 0; i < cli->script_count; i++)
		problems += lint_path(cli->scripts[i], &cli->params);
	return problems ? EXIT_USAGE : EXIT_PASS;
}

/* --from-pcap runs nothing: none of the run's options apply. */
static int from_pcap(struct cli *cli)
{
	struct diag d = {0};
	const struct check_params *p = &cli->params;

	if (p->option_count || p->define_count || p->parse_only ||
	    p->dump_ast || p->pcap_file || cli->compare || cli->batch_asked ||
	    cli->ip_version) {
		fprintf(stderr, "tcpcheck: --from-pcap takes only --stack-side, "
				"--connection and -o\n");
		return EXIT_USAGE;
	}
	if (frompcap_run(&cli->frompcap, stderr, &d) == 0)
		return EXIT_PASS;
	diag_print(stderr, &d, cli->frompcap.file, NULL);
	return d.status;
}

int main(int argc, char **argv)
{
	static struct cli cli;
	int r = parse_command_line(&cli, argc, argv);

	if (r)
		return r - 1000;
	if (cli.lint)
		return run_lint(&cli);
	if (cli.frompcap.file)
		return from_pcap(&cli);
	if (cli.compare) {
		if (cli.script_count != 1 || wants_batch(&cli) ||
		    cli.params.dump_ast || cli.params.parse_only) {
			fprintf(stderr, "tcpcheck: --compare runs one script "
					"(one file, one IP version)\n");
			return EXIT_USAGE;
		}
		if (cli.ip_version &&
		    push_option(&cli, "ip_version", cli.ip_version))
			return EXIT_USAGE;
		return check_compare(cli.scripts[0], cli.compare, &cli.params);
	}
	if (cli.params.dump_ast || !wants_batch(&cli))
		return run_each(&cli);
	if (cli.params.diagram_svg) {
		fprintf(stderr, "tcpcheck: --diagram=svg draws one run: give "
				"one script, not a batch\n");
		return EXIT_USAGE;
	}
	return run_batch(&cli);
}
