/* tcpcheck's entry point: the command line and the exit status. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "diag.h"

#define MAX_ARGS 256

static void usage(FILE *out)
{
	fputs("usage: tcpcheck [options] SCRIPT.pkt...\n"
	      "\n"
	      "Run packetdrill-style TCP scripts against the Linux kernel, each\n"
	      "in a private network namespace, and report the first difference.\n"
	      "\n"
	      "  -v, --verbose              print every event as it happens\n"
	      "  -D, --define NAME=VALUE    substitute VALUE for the word NAME\n"
	      "      --parse-only           check the syntax only\n"
	      "      --dump-ast             print the syntax tree and stop\n"
	      "      --ip_version=V         ipv4 (default), ipv6, ipv4-mapped-ipv6\n"
	      "      --local_ip=A           the stack's address\n"
	      "      --remote_ip=A          the tool's (remote peer's) address\n"
	      "      --gateway_ip=A         gateway for the route to the remote\n"
	      "      --netmask_ip=M         netmask of the local address (IPv4)\n"
	      "      --mtu=N                MTU of tun0 (default 1500)\n"
	      "      --bind_port=N          port bind() uses (default 8080)\n"
	      "      --connect_port=N       port connect() uses (default 8080)\n"
	      "      --tolerance_usecs=N    timing tolerance (default 4000)\n"
	      "      --tolerance_percent=P  relative tolerance (default 12.5)\n"
	      "      --strict_segments      never merge outbound segments\n"
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
	const char *scripts[MAX_ARGS];
	size_t script_count;
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

/* A --name[=value] that is a run setting (config.c knows them all). */
static int add_setting(struct cli *cli, char *name, char *value, int *argi,
		       int argc, char **argv)
{
	struct check_params *p = &cli->params;
	int takes = config_option_takes_value(name);

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
	if (p->option_count == MAX_ARGS) {
		fprintf(stderr, "tcpcheck: too many options\n");
		return -1;
	}
	cli->options[p->option_count].name = name;
	cli->options[p->option_count].value = value;
	p->option_count++;
	return 0;
}

static int is_name(const char *arg, const char *a, const char *b)
{
	return !strcmp(arg, a) || (b && !strcmp(arg, b));
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
	if (is_name(name, "parse_only", NULL))
		cli->params.parse_only = true;
	else if (is_name(name, "dump_ast", NULL))
		cli->params.dump_ast = true;
	else if (is_name(name, "define", NULL)) {
		if (!value && *argi + 1 < argc)
			value = argv[++*argi];
		if (!value || add_define(cli, value))
			return 1000 + EXIT_USAGE;
	} else if (is_name(name, "verbose", NULL))
		cli->params.verbose++;
	else if (add_setting(cli, name, value, argi, argc, argv))
		return 1000 + EXIT_USAGE;
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

static int parse_command_line(struct cli *cli, int argc, char **argv)
{
	bool only_files = false;

	cli->params.options = cli->options;
	cli->params.defines = cli->defines;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int r = 0;

		if (only_files || arg[0] != '-' || !strcmp(arg, "-")) {
			if (cli->script_count == MAX_ARGS) {
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
	if (cli->script_count == 0) {
		usage(stderr);
		return 1000 + EXIT_USAGE;
	}
	return 0;
}

/* The worst outcome wins: internal > usage > fail > pass > skip, so a
 * batch is skipped only when every script was. */
static int severity(int status)
{
	switch (status) {
	case EXIT_SKIP:
		return 0;
	case EXIT_PASS:
		return 1;
	case EXIT_FAIL:
		return 2;
	case EXIT_USAGE:
		return 3;
	default:
		return 4;
	}
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
	case EXIT_USAGE:
		return "ERROR";
	default:
		return "INTERNAL";
	}
}

int main(int argc, char **argv)
{
	static struct cli cli;
	int status = EXIT_PASS;
	int r = parse_command_line(&cli, argc, argv);
	size_t passed = 0, failed = 0, skipped = 0;
	bool many;

	if (r)
		return r - 1000;
	many = cli.script_count > 1 && !cli.params.dump_ast;
	for (size_t i = 0; i < cli.script_count; i++) {
		int one = check_script(cli.scripts[i], &cli.params);

		if (i == 0 || severity(one) > severity(status))
			status = one;
		passed += one == EXIT_PASS;
		skipped += one == EXIT_SKIP;
		failed += one != EXIT_PASS && one != EXIT_SKIP;
		if (many) {
			printf("%-5s %s\n", verdict_name(one), cli.scripts[i]);
			fflush(stdout);
		}
	}
	if (many)
		printf("%zu passed, %zu failed, %zu skipped\n", passed, failed,
		       skipped);
	return status;
}
