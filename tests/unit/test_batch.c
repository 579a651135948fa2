/* Unit tests of the batch runner's pure parts: finding scripts, choosing
 * IP variants, sharding, and the plan of runs. */
#include <ftw.h>
#include <setjmp.h> /* cmocka.h needs these three first */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "batch.h"
#include "diag.h"
#include "jobserver.h"

static void test_variant_lists(void **state)
{
	struct batch_variants v;

	(void)state;
	assert_int_equal(batch_parse_variants(NULL, &v), 0);
	assert_true(v.implicit);
	assert_false(v.by_name);
	assert_int_equal(v.count, 1);
	assert_int_equal(v.list[0], IP_V4);

	assert_int_equal(batch_parse_variants("ipv6", &v), 0);
	assert_false(v.implicit);
	assert_false(
	    v.by_name); /* one value: every script, whatever its name */
	assert_int_equal(v.count, 1);
	assert_int_equal(v.list[0], IP_V6);

	assert_int_equal(batch_parse_variants("ipv4-mapped-v6", &v), 0);
	assert_int_equal(v.list[0], IP_V4_MAPPED_V6);

	/* A list keeps its order (the first variant runs expected-output
	 * scripts) and drops repeats. */
	assert_int_equal(batch_parse_variants("ipv6,ipv4-mapped-ipv6,ipv6", &v),
			 0);
	assert_true(v.by_name);
	assert_int_equal(v.count, 2);
	assert_int_equal(v.list[0], IP_V6);
	assert_int_equal(v.list[1], IP_V4_MAPPED_V6);

	assert_int_equal(batch_parse_variants("all", &v), 0);
	assert_true(v.by_name);
	assert_int_equal(v.count, 3);
	assert_int_equal(v.list[0], IP_V4);
	assert_int_equal(v.list[1], IP_V6);
	assert_int_equal(v.list[2], IP_V4_MAPPED_V6);
}

static void test_bad_variant_lists(void **state)
{
	static const char *const bad[] = {
	    "",		"ipv5",	      "ipv4,",	   ",ipv4", "ipv4,,ipv6",
	    "all,ipv4", "ipv4 ,ipv6", "ipv4;ipv6", "IPV4",  "al",
	};
	struct batch_variants v;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(batch_parse_variants(bad[i], &v), -1);
}

static size_t variants_of(const char *path, const char *list,
			  enum ip_version out[BATCH_VARIANTS_MAX])
{
	struct batch_variants v;

	assert_int_equal(batch_parse_variants(list, &v), 0);
	return batch_script_variants(path, &v, out);
}

static void test_variants_by_name(void **state)
{
	enum ip_version out[BATCH_VARIANTS_MAX];

	(void)state;
	assert_int_equal(variants_of("t/basic-v4.pkt", "all", out), 2);
	assert_int_equal(out[0], IP_V4);
	assert_int_equal(out[1], IP_V4_MAPPED_V6);
	assert_int_equal(variants_of("t/basic-v6.pkt", "all", out), 1);
	assert_int_equal(out[0], IP_V6);
	/* The corpus's rule is the file name's end, nothing cleverer. */
	assert_int_equal(variants_of("t/frag-with-seq-ipv6.pkt", "all", out),
			 1);
	assert_int_equal(out[0], IP_V6);
	assert_int_equal(variants_of("t/close.pkt", "all", out), 3);
	assert_int_equal(variants_of("t/v4.pkt.bak", "all", out), 3);

	assert_int_equal(variants_of("t/basic-v6.pkt", "ipv4,ipv6", out), 1);
	assert_int_equal(out[0], IP_V6);
	assert_int_equal(
	    variants_of("t/basic-v6.pkt", "ipv4,ipv4-mapped-ipv6", out), 0);
	assert_int_equal(variants_of("t/basic-v4.pkt", "ipv6,ipv4", out), 1);
	assert_int_equal(out[0], IP_V4);

	/* One version asked for: it is what the user wants, name or not. */
	assert_int_equal(variants_of("t/basic-v4.pkt", "ipv6", out), 1);
	assert_int_equal(out[0], IP_V6);
	assert_int_equal(variants_of("t/basic-v6.pkt", NULL, out), 1);
	assert_int_equal(out[0], IP_V4);
}

static void test_hash_is_fnv1a(void **state)
{
	(void)state;
	/* The published FNV-1a 32-bit test vectors. */
	assert_int_equal(batch_hash(""), 0x811c9dc5u);
	assert_int_equal(batch_hash("a"), 0xe40c292cu);
	assert_int_equal(batch_hash("foobar"), 0xbf9cf968u);
	/* Pinned: CI matrices must not reshuffle between releases. */
	assert_int_equal(batch_hash("testdata/states/listen.pkt (ipv6)"),
			 0x400eb2f1u);
	assert_true(batch_in_shard("testdata/states/listen.pkt", "ipv6", 3, 3));
	assert_true(batch_in_shard("testdata/states/listen.pkt", "ipv4", 2, 3));
	assert_false(
	    batch_in_shard("testdata/states/listen.pkt", "ipv4", 1, 3));
}

static void test_shards_partition(void **state)
{
	static const char *const variants[] = {"ipv4", "ipv6",
					       "ipv4-mapped-ipv6"};
	char path[64];

	(void)state;
	for (unsigned count = 1; count <= 7; count++)
		for (int i = 0; i < 200; i++)
			for (int k = 0; k < 3; k++) {
				unsigned owners = 0;

				snprintf(path, sizeof(path),
					 "tcp/dir%d/t%d.pkt", i % 7, i);
				for (unsigned s = 1; s <= count; s++)
					owners += batch_in_shard(
					    path, variants[k], s, count);
				assert_int_equal(owners, 1);
			}
	/* No --shard: every run is in. */
	assert_true(batch_in_shard("x.pkt", "ipv4", 0, 0));
}

static void test_parse_shard(void **state)
{
	static const char *const bad[] = {
	    "0/3",  "4/3",  "1/0",  "0/0",  "a/b", "1/", "/3",
	    "1/3x", "-1/3", " 1/3", "1/ 3", "1",   "",	 "1/99999999999",
	};
	unsigned i, n;

	(void)state;
	assert_int_equal(batch_parse_shard("1/3", &i, &n), 0);
	assert_int_equal(i, 1);
	assert_int_equal(n, 3);
	assert_int_equal(batch_parse_shard("3/3", &i, &n), 0);
	assert_int_equal(batch_parse_shard("1/1", &i, &n), 0);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		assert_int_equal(batch_parse_shard(bad[k], &i, &n), -1);
}

static void test_worse(void **state)
{
	(void)state;
	assert_int_equal(batch_worse(EXIT_SKIP, EXIT_PASS), EXIT_PASS);
	assert_int_equal(batch_worse(EXIT_PASS, EXIT_SKIP), EXIT_PASS);
	assert_int_equal(batch_worse(EXIT_SKIP, EXIT_SKIP), EXIT_SKIP);
	assert_int_equal(batch_worse(EXIT_FAIL, EXIT_PASS), EXIT_FAIL);
	assert_int_equal(batch_worse(EXIT_FAIL, EXIT_USAGE), EXIT_USAGE);
	assert_int_equal(batch_worse(EXIT_INTERNAL, EXIT_USAGE), EXIT_INTERNAL);
	assert_int_equal(batch_worse(EXIT_USAGE, EXIT_INTERNAL), EXIT_INTERNAL);
}

/* --- on files: a scratch tree under /tmp, removed by each test --- */

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void make_file(const char *root, const char *rel)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("0 `true`\n", f);
	fclose(f);
}

static void make_dir(const char *root, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int tree_setup(void **state)
{
	char *root = strdup("/tmp/test_batch.XXXXXX");

	if (!root || !mkdtemp(root))
		return -1;
	*state = root;
	return 0;
}

static int tree_teardown(void **state)
{
	char *root = *state;
	int rc = nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);

	free(root);
	return rc;
}

static void assert_found(const struct batch_list *l, const char *root,
			 const char *const *want, size_t n)
{
	char path[512];

	assert_int_equal(l->count, n);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, want[i]);
		assert_string_equal(l->paths[i], path);
	}
}

static void test_find_sorted(void **state)
{
	const char *root = *state;
	static const char *const want[] = {
	    "a/b.pkt", "a/sub/c.pkt", "a/z.pkt", "b/a.pkt", "top.pkt",
	};
	char slashed[512], link[512];
	const char *args[2] = {root, slashed};
	struct batch_list l = {0};
	char err[512] = "";

	make_dir(root, "b");
	make_dir(root, "a");
	make_dir(root, "a/sub");
	make_dir(root, ".hidden");
	make_file(root, "a/z.pkt");
	make_file(root, "b/a.pkt");
	make_file(root, "a/sub/c.pkt");
	make_file(root, "top.pkt");
	make_file(root, "a/b.pkt");
	make_file(root, "a/notes.txt");
	make_file(root, "a/b.pkt.orig");
	make_file(root, ".hidden/h.pkt");
	make_file(root, ".dot.pkt");
	/* A link back up: followed, it would never end. */
	snprintf(link, sizeof(link), "%s/a/loop", root);
	assert_int_equal(symlink("..", link), 0);

	/* The same tree again, with a trailing slash: no "//", no repeats. */
	snprintf(slashed, sizeof(slashed), "%s/", root);
	assert_int_equal(batch_find_scripts(args, 2, &l, err, sizeof(err)), 0);
	assert_found(&l, root, want, 5);
	batch_list_free(&l);
}

static void test_find_files_and_errors(void **state)
{
	const char *root = *state;
	char dir[512], file[512], missing[512];
	const char *args[3] = {file, dir, file};
	struct batch_list l = {0};
	char err[1024] = "";

	make_dir(root, "d");
	make_file(root, "d/y.pkt");
	make_file(root, "d/x.pkt");
	make_file(root, "named.script"); /* a file given is a script */
	snprintf(dir, sizeof(dir), "%s/d", root);
	snprintf(file, sizeof(file), "%s/named.script", root);
	/* Arguments keep their order; a directory's scripts are sorted. */
	assert_int_equal(batch_find_scripts(args, 3, &l, err, sizeof(err)), 0);
	assert_int_equal(l.count, 3);
	assert_string_equal(l.paths[0], file);
	assert_true(strstr(l.paths[1], "/d/x.pkt") != NULL);
	assert_true(strstr(l.paths[2], "/d/y.pkt") != NULL);
	batch_list_free(&l);

	snprintf(missing, sizeof(missing), "%s/nothing", root);
	args[0] = missing;
	assert_int_equal(batch_find_scripts(args, 1, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, missing));
	batch_list_free(&l);
	args[0] = "-";
	assert_int_equal(batch_find_scripts(args, 1, &l, err, sizeof(err)), -1);
	batch_list_free(&l);
}

static void test_plan(void **state)
{
	const char *root = *state;
	struct batch_list l = {0};
	struct batch_variants v;
	struct batch_job *jobs = NULL, *part;
	size_t n = 0, m, total = 0;
	char err[512];
	const char *args[1] = {root};

	make_file(root, "x.pkt");
	make_file(root, "x.err");
	make_file(root, "y.pkt");
	make_file(root, "y.ast");
	make_file(root, "z.pkt");
	make_file(root, "w-v6.pkt");
	assert_int_equal(batch_find_scripts(args, 1, &l, err, sizeof(err)), 0);
	assert_int_equal(batch_parse_variants("ipv6,ipv4", &v), 0);
	assert_int_equal(batch_plan(&l, &v, 0, 0, &jobs, &n), 0);
	/* w-v6: ipv6; x, y: once, in the first variant; z: both. */
	assert_int_equal(n, 5);
	assert_true(strstr(jobs[0].path, "/w-v6.pkt") != NULL);
	assert_int_equal(jobs[0].variant, IP_V6);
	assert_int_equal(jobs[1].kind, BATCH_EXPECT_ERR);
	assert_int_equal(jobs[1].variant, IP_V6);
	assert_int_equal(jobs[2].kind, BATCH_GOLDEN_AST);
	assert_int_equal(jobs[2].variant, IP_V6);
	assert_int_equal(jobs[3].kind, BATCH_PLAIN);
	assert_int_equal(jobs[3].variant, IP_V6);
	assert_int_equal(jobs[4].variant, IP_V4);

	/* Two shards hold every run once, in the same order. */
	for (unsigned s = 1; s <= 2; s++) {
		assert_int_equal(batch_plan(&l, &v, s, 2, &part, &m), 0);
		for (size_t i = 0; i < m; i++) {
			size_t k = 0;

			while (k < n && (jobs[k].path != part[i].path ||
					 jobs[k].variant != part[i].variant))
				k++;
			assert_true(k < n);
		}
		total += m;
		free(part);
	}
	assert_int_equal(total, n);
	free(jobs);
	batch_list_free(&l);
}

static void write_script(const char *root, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_script_length(void **state)
{
	const char *root = *state;
	char path[512];

	/* Relative times add up; a blocking call's bare end counts from its
	 * start's base and the next event from the return; a window's end
	 * counts. */
	write_script(root, "a.pkt",
		     "0 `true`\n+0.5 `true`\n+.1...0.3 `true`\n+0.2 `true`\n");
	snprintf(path, sizeof(path), "%s/a.pkt", root);
	assert_int_equal(batch_script_length(path, NULL, 0), 1000000);
	write_script(root, "b.pkt", "0 `true`\n2.0 `true`\n1.0~2.5 `true`\n");
	snprintf(path, sizeof(path), "%s/b.pkt", root);
	assert_int_equal(batch_script_length(path, NULL, 0), 2500000);
	/* Unreadable or malformed: unknown. */
	write_script(root, "c.pkt", "0 this is no event\n");
	snprintf(path, sizeof(path), "%s/c.pkt", root);
	assert_int_equal(batch_script_length(path, NULL, 0), 0);
	snprintf(path, sizeof(path), "%s/none.pkt", root);
	assert_int_equal(batch_script_length(path, NULL, 0), 0);
}

static void test_longest_first(void **state)
{
	const char *root = *state;
	char p[4][512];
	struct batch_job jobs[5];

	write_script(root, "short.pkt", "0 `true`\n+0.1 `true`\n");
	write_script(root, "long.pkt", "0 `true`\n+2 `true`\n");
	write_script(root, "same1.pkt", "0 `true`\n+0.1 `true`\n");
	write_script(root, "zero.pkt", "0 `true`\n");
	snprintf(p[0], sizeof(p[0]), "%s/short.pkt", root);
	snprintf(p[1], sizeof(p[1]), "%s/long.pkt", root);
	snprintf(p[2], sizeof(p[2]), "%s/same1.pkt", root);
	snprintf(p[3], sizeof(p[3]), "%s/zero.pkt", root);
	jobs[0] = (struct batch_job){.path = p[0], .variant = IP_V4, .kind = BATCH_PLAIN};
	jobs[1] = (struct batch_job){.path = p[3], .variant = IP_V4, .kind = BATCH_PLAIN};
	jobs[2] = (struct batch_job){.path = p[1], .variant = IP_V4, .kind = BATCH_PLAIN};
	jobs[3] = (struct batch_job){.path = p[1], .variant = IP_V6, .kind = BATCH_PLAIN};
	jobs[4] = (struct batch_job){.path = p[2], .variant = IP_V4, .kind = BATCH_PLAIN};
	batch_order_longest_first(jobs, 5, NULL, 0);
	/* long (both variants, in plan order), then the two of 0.1 s in
	 * plan order, then zero. */
	assert_ptr_equal(jobs[0].path, p[1]);
	assert_int_equal(jobs[0].variant, IP_V4);
	assert_ptr_equal(jobs[1].path, p[1]);
	assert_int_equal(jobs[1].variant, IP_V6);
	assert_int_equal(jobs[1].length_usecs, 2000000);
	assert_ptr_equal(jobs[2].path, p[0]);
	assert_ptr_equal(jobs[3].path, p[2]);
	assert_ptr_equal(jobs[4].path, p[3]);
}

static void assert_pcap_name(const char *dir, const char *path,
			     const char *variant, const char *want)
{
	char *got = batch_pcap_name(dir, path, variant);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* One file name per run, and no two runs with the same: '/' and the
 * escape character itself are escaped, so a/b_c and a_b/c, or a%2Fb and
 * a/b, stay apart. */
static void test_pcap_names(void **state)
{
	(void)state;
	assert_pcap_name("out", "testdata/states/closed.pkt", "ipv4",
			 "out/testdata%2Fstates%2Fclosed.pkt.ipv4.pcap");
	assert_pcap_name("out/", "x.pkt", "ipv4-mapped-ipv6",
			 "out/x.pkt.ipv4-mapped-ipv6.pcap");
	assert_pcap_name("/", "/abs/x.pkt", "ipv6", "/%2Fabs%2Fx.pkt.ipv6.pcap");
	assert_pcap_name("d", "a/b_c.pkt", "ipv4", "d/a%2Fb_c.pkt.ipv4.pcap");
	assert_pcap_name("d", "a_b/c.pkt", "ipv4", "d/a_b%2Fc.pkt.ipv4.pcap");
	assert_pcap_name("d", "a%2Fb.pkt", "ipv4", "d/a%252Fb.pkt.ipv4.pcap");
	assert_pcap_name("d", "a/b.pkt", "ipv4", "d/a%2Fb.pkt.ipv4.pcap");
}

/* A name past 255 bytes keeps its end behind its hash: still one valid
 * file name, still apart from its neighbours. */
static void test_pcap_long_names(void **state)
{
	char path[400], other[400];
	char *a, *b;

	(void)state;
	memset(path, 'p', sizeof(path));
	memcpy(path + sizeof(path) - 12, "/script.pkt", 12);
	memcpy(other, path, sizeof(other));
	other[0] = 'q';
	a = batch_pcap_name("d", path, "ipv4");
	b = batch_pcap_name("d", other, "ipv4");
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(strlen(a), 2 + 255);
	assert_int_equal(strlen(b), 2 + 255);
	assert_string_equal(a + strlen(a) - 23, "%2Fscript.pkt.ipv4.pcap");
	assert_true(strcmp(a, b) != 0);
	assert_int_equal(a[2 + 8], '-');
	free(a);
	free(b);
}

static void test_pcap_dir_make(void **state)
{
	const char *root = *state;
	char dir[512], err[1024];
	char file[512];

	snprintf(dir, sizeof(dir), "%s/new/deeper/", root);
	assert_int_equal(batch_pcap_dir_make(dir, err, sizeof(err)), 0);
	/* Made already: fine. */
	assert_int_equal(batch_pcap_dir_make(dir, err, sizeof(err)), 0);
	make_file(root, "plain");
	snprintf(file, sizeof(file), "%s/plain", root);
	assert_int_equal(batch_pcap_dir_make(file, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Not a directory"));
	snprintf(dir, sizeof(dir), "%s/plain/below", root);
	assert_int_equal(batch_pcap_dir_make(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot write in"));
}

static void test_jobserver_parse(void **state)
{
	char *fifo;
	int r, w;

	(void)state;
	assert_int_equal(jobserver_parse(NULL, &fifo, &r, &w), 0);
	assert_int_equal(jobserver_parse("-j4 -k", &fifo, &r, &w), 0);
	assert_int_equal(
	    jobserver_parse(" -j4 --jobserver-auth=fifo:/tmp/GMfifo12 -- X=1",
			    &fifo, &r, &w),
	    1);
	assert_string_equal(fifo, "/tmp/GMfifo12");
	free(fifo);
	assert_int_equal(jobserver_parse("-j --jobserver-auth=3,4", &fifo, &r,
					 &w),
			 1);
	assert_null(fifo);
	assert_int_equal(r, 3);
	assert_int_equal(w, 4);
	/* make before 4.2 said --jobserver-fds; the last mention wins. */
	assert_int_equal(jobserver_parse("--jobserver-fds=5,6 "
					 "--jobserver-auth=7,8",
					 &fifo, &r, &w),
			 1);
	assert_int_equal(r, 7);
	assert_int_equal(w, 8);
	assert_int_equal(jobserver_parse("--jobserver-auth=3", &fifo, &r, &w),
			 -1);
	assert_int_equal(jobserver_parse("--jobserver-auth=a,4", &fifo, &r,
					 &w),
			 -1);
}

static void test_jobserver_slots(void **state)
{
	struct jobserver js;
	int p[2];
	char flags[64], c;

	(void)state;
	/* Closed descriptors (make did not count us as a sub-make): none. */
	assert_false(jobserver_open(&js, "--jobserver-auth=900,901"));
	jobserver_close(&js);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "ab", 2), 2);
	snprintf(flags, sizeof(flags), "-j3 --jobserver-auth=%d,%d", p[0],
		 p[1]);
	assert_true(jobserver_open(&js, flags));
	assert_int_equal(jobserver_take(&js), 1);
	assert_int_equal(jobserver_take(&js), 1);
	/* Empty: no wait, no slot. */
	assert_int_equal(jobserver_take(&js), 0);
	jobserver_give(&js);
	assert_int_equal(jobserver_take(&js), 1);
	/* Every byte goes back as it came. */
	jobserver_close(&js);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_variant_lists),
	    cmocka_unit_test(test_bad_variant_lists),
	    cmocka_unit_test(test_variants_by_name),
	    cmocka_unit_test(test_hash_is_fnv1a),
	    cmocka_unit_test(test_shards_partition),
	    cmocka_unit_test(test_parse_shard),
	    cmocka_unit_test(test_worse),
	    cmocka_unit_test_setup_teardown(test_find_sorted, tree_setup,
					    tree_teardown),
	    cmocka_unit_test_setup_teardown(test_find_files_and_errors,
					    tree_setup, tree_teardown),
	    cmocka_unit_test_setup_teardown(test_plan, tree_setup,
					    tree_teardown),
	    cmocka_unit_test_setup_teardown(test_script_length, tree_setup,
					    tree_teardown),
	    cmocka_unit_test_setup_teardown(test_longest_first, tree_setup,
					    tree_teardown),
	    cmocka_unit_test(test_pcap_names),
	    cmocka_unit_test(test_pcap_long_names),
	    cmocka_unit_test_setup_teardown(test_pcap_dir_make, tree_setup,
					    tree_teardown),
	    cmocka_unit_test(test_jobserver_parse),
	    cmocka_unit_test(test_jobserver_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
