/* Many scripts at once: find them, choose their IP variants and shard,
 * and run each in a child process of its own, in parallel, with
 * timeouts, captured output and progress. */
#ifndef TCPCHECK_BATCH_H
#define TCPCHECK_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "config.h"

#define BATCH_VARIANTS_MAX 3

/* The IP variants the command line asked for, in the order asked. */
struct batch_variants {
	enum ip_version list[BATCH_VARIANTS_MAX];
	size_t count;
	/* A list or "all": a script named *v4.pkt runs only as ipv4 and
	 * ipv4-mapped-ipv6, one named *v6.pkt only as ipv6. */
	bool by_name;
	/* No --ip_version at all: the run gets none, so a script's own
	 * option line still decides (the run is named "ipv4"). */
	bool implicit;
};

struct batch_options {
	const struct check_params *params; /* every run's settings */
	const char *const *paths;	   /* scripts and directories */
	size_t path_count;
	unsigned jobs;	      /* runs at once; 0: online CPUs x 4 */
	unsigned timeout;     /* seconds per run; 0: none */
	unsigned shard_index; /* 1..shard_count; 0/0: no sharding */
	unsigned shard_count;
	struct batch_variants variants;
	const char *junit_file; /* NULL: no JUnit XML */
	bool tap;		/* TAP 13 on stdout instead of run lines */
	const char *pcap_dir;	/* NULL: no pcap file per run */
	bool pcap_failed_only;	/* keep only the failed runs' files */
};

/* Run everything; returns the exit status: the worst of the runs
 * (99 > 2 > 1 > 0 > 77), 128 + the signal when interrupted. */
int batch_run(const struct batch_options *o);

/* The pure parts, for the command line and the unit tests. */

/* NULL (no option): implicit ipv4. Else one name, a comma list, or
 * "all". Returns 0, or -1 for a bad list. */
int batch_parse_variants(const char *arg, struct batch_variants *v);

/* "I/N" with 1 <= I <= N. Returns 0, or -1. */
int batch_parse_shard(const char *arg, unsigned *index, unsigned *count);

const char *batch_variant_name(enum ip_version v);

/* The variants one script runs in, in the order asked; returns how many
 * (0 when its name rules out every variant asked for). */
size_t batch_script_variants(const char *path, const struct batch_variants *v,
			     enum ip_version out[BATCH_VARIANTS_MAX]);

/* The worse of two exit statuses: 99 > 2 > 1 > 0 > 77, so a batch is
 * skipped only when every run was. */
int batch_worse(int a, int b);

/* FNV-1a, 32 bits: stable across machines and releases. */
uint32_t batch_hash(const char *s);

/* Does the run "<path> (<variant>)" belong to shard index of count? */
bool batch_in_shard(const char *path, const char *variant, unsigned index,
		    unsigned count);

/* --pcap-dir: the file of the run "<path> (<variant>)" in dir (malloc'd;
 * NULL without memory): the path with every '%' written %25 and every
 * '/' %2F, then ".<variant>.pcap", so that no two runs share a name. A
 * name longer than 255 bytes keeps its last 246 behind the 8 hex digits
 * of its FNV-1a hash and a '-'. */
char *batch_pcap_name(const char *dir, const char *path, const char *variant);

/* Make dir (and its parents) if missing, and check that files can be
 * made in it. Returns 0, or -1 with a message in err. */
int batch_pcap_dir_make(const char *dir, char *err, size_t errlen);

/* Scripts found under the arguments: a file stands for itself, a
 * directory for every *.pkt below it, sorted by path. */
struct batch_list {
	char **paths;
	size_t count;
	size_t cap;
};

/* Returns 0, or -1 with a message in err (a path that is neither). */
int batch_find_scripts(const char *const *args, size_t n,
		       struct batch_list *out, char *err, size_t errlen);
void batch_list_free(struct batch_list *l);

/* What a run of a script checks, from its sibling files. */
enum batch_kind {
	BATCH_PLAIN,	  /* it must pass */
	BATCH_EXPECT_ERR, /* x.err: it must fail with exactly that text */
	BATCH_GOLDEN_AST, /* x.ast: --dump-ast must print exactly that */
};

enum batch_kind batch_kind_of(const char *path);

/* One run: a script in one variant. */
struct batch_job {
	const char *path; /* borrowed from the batch_list */
	enum ip_version variant;
	enum batch_kind kind;
	/* BATCH_EXPECT_ERR: the file's ending, ".err", or ".NAME.err" where
	 * --stack=NAME has one of its own (batch_use_stack_errs). */
	const char *err_ext;
	int64_t length_usecs; /* the script's timeline as written; 0: unknown */
};

/* A run on a stack plugin that differs from Linux where Linux is the
 * reference: a script x.pkt with x.NAME.err beside it must fail with
 * exactly that text on stack NAME (the plugin's file name without .so).
 * ext_buf holds ".NAME.err" for as long as the jobs live. */
void batch_use_stack_errs(struct batch_job *jobs, size_t n, const char *stack,
			  char *ext_buf, size_t ext_len);

/* Every run of the scripts in order (script by script, variants in the
 * order asked), less those of other shards. Returns 0, or -1 (ENOMEM);
 * free *jobs. */
int batch_plan(const struct batch_list *scripts, const struct batch_variants *v,
	       unsigned shard_index, unsigned shard_count,
	       struct batch_job **jobs, size_t *n);

/* How long a script's timeline runs as written, in microseconds: the time
 * of its last event, or of the return of its last blocking call. 0 when
 * it cannot be read or parsed (the run will say why). */
int64_t batch_script_length(const char *path,
			    const struct script_define *defines,
			    size_t define_count);

/* Longest scripts first (ties in plan order): at -j N a long script
 * started last would run alone at the end. Measures each script once. */
void batch_order_longest_first(struct batch_job *jobs, size_t n,
			       const struct script_define *defines,
			       size_t define_count);

#endif
