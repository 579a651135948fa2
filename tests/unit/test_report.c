/* Unit tests of the batch output formats: exact TAP text, the summary
 * line, run names, JUnit escaping and the atomic write; with
 * REPORT_SAMPLE_DIR set, writes sample.tap and sample.xml there instead
 * for tests/junit.test and tests/tap.test to check with real readers. */
#include <setjmp.h> /* cmocka.h needs these three first */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "report.h"

#define OUT_MAX 8192

static const char fail_diag[] =
	"testdata/x.pkt:12:5: error: expected ack 1002, got ack 1001\n"
	" +0 > . 1:1(0) ack 1002\n"
	"        ^~~~~~~~\n"
	"\n"
	"expected: +0 > . 1:1(0) ack 1002\n"
	"actual:   +0.001 > . 1:1(0) ack 1001\n";

/* One run of every kind, and the awkward bytes a run can print. */
static const struct run_result samples[] = {
	{"testdata/states/listen.pkt", "ipv4", EXIT_PASS, 0.25, "",
	 "sent 1 packet\n", 0},
	{"testdata/x.pkt", "ipv6", EXIT_FAIL, 1.5, fail_diag, "", 0},
	{"testdata/y.pkt", "ipv4-mapped-ipv6", EXIT_SKIP, 0.001,
	 "y.pkt: skipped: needs root\n", "", 0},
	{"testdata/bad.pkt", "ipv4", EXIT_USAGE, 0.002,
	 "bad.pkt:1:3: error: syntax error\n", "", 0},
	{"slow.pkt", "ipv4", EXIT_FAIL, 10.02, "", "", 1},
	{"testdata/odd #1\\<&>\"'.pkt", "ipv4", EXIT_INTERNAL, 0,
	 "\tstarts with a tab\x01\x1b[31m\xff caf\xc3\xa9\r\n", "log\x02\n", 0},
	{"./a/../b//c/z.pkt", "", 134, 0.5, NULL, NULL, 0},
	{"testdata/indent.pkt", "ipv6", EXIT_FAIL, 2, "  indented\nnot\n", "",
	 0},
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

/* report_tap_result's output for one run, as text. */
static void assert_tap(size_t number, const struct run_result *r,
		       const char *want)
{
	char out[OUT_MAX] = "";
	FILE *f = fmemopen(out, sizeof(out), "w");

	assert_non_null(f);
	report_tap_result(f, number, r);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(out, want);
}

static void test_run_name(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(report_run_name(&samples[0], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "testdata/states/listen.pkt (ipv4)");
	assert_int_equal(report_run_name(&samples[6], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "./a/../b//c/z.pkt");

	/* Too small: cut, terminated, and said. */
	assert_int_equal(report_run_name(&samples[0], buf, 9), -1);
	assert_string_equal(buf, "testdata");
}

static void assert_summary(const struct run_result *r, size_t n,
			   const char *want)
{
	char out[256] = "";
	FILE *f = fmemopen(out, sizeof(out), "w");

	assert_non_null(f);
	report_summary(f, r, n);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(out, want);
}

static void test_summary(void **state)
{
	/* A timeout is a failure whatever status it came with. */
	struct run_result late[] = {{"t.pkt", "ipv4", EXIT_PASS, 9, "", "", 1},
				    {"t.pkt", "ipv6", EXIT_SKIP, 9, "", "", 1}};

	(void)state;
	assert_summary(samples, NSAMPLES, "1 passed, 6 failed, 1 skipped\n");
	assert_summary(samples, 1, "1 passed, 0 failed, 0 skipped\n");
	assert_summary(samples, 0, "0 passed, 0 failed, 0 skipped\n");
	assert_summary(late, 2, "0 passed, 2 failed, 0 skipped\n");
}

static void test_tap_plan(void **state)
{
	char out[64] = "";
	FILE *f = fmemopen(out, sizeof(out), "w");

	(void)state;
	assert_non_null(f);
	report_tap_plan(f, 7);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(out, "TAP version 13\n1..7\n");
}

static void test_tap_pass_skip(void **state)
{
	struct run_result quiet = samples[2];

	(void)state;
	assert_tap(1, &samples[0],
		   "ok 1 - testdata/states/listen.pkt (ipv4)\n");
	assert_tap(3, &samples[2],
		   "ok 3 - testdata/y.pkt (ipv4-mapped-ipv6) # SKIP y.pkt: "
		   "skipped: needs root\n");

	quiet.diagnostic = "";
	assert_tap(4, &quiet,
		   "ok 4 - testdata/y.pkt (ipv4-mapped-ipv6) # SKIP\n");
}

static void test_tap_fail(void **state)
{
	(void)state;
	assert_tap(2, &samples[1],
		   "not ok 2 - testdata/x.pkt (ipv6)\n"
		   "  ---\n"
		   "  message: \"testdata/x.pkt:12:5: error: expected ack "
		   "1002, got ack 1001\"\n"
		   "  severity: fail\n"
		   "  data: |\n"
		   "    testdata/x.pkt:12:5: error: expected ack 1002, got ack "
		   "1001\n"
		   "     +0 > . 1:1(0) ack 1002\n"
		   "            ^~~~~~~~\n"
		   "    \n"
		   "    expected: +0 > . 1:1(0) ack 1002\n"
		   "    actual:   +0.001 > . 1:1(0) ack 1001\n"
		   "  ...\n");
	assert_tap(5, &samples[4],
		   "not ok 5 - slow.pkt (ipv4)\n"
		   "  ---\n"
		   "  message: \"timed out after 10 s\"\n"
		   "  severity: fail\n"
		   "  ...\n");
}

/* A command the script ran may print before tcpcheck's diagnostic; the
 * message is the diagnostic's line, not the command's. */
static void test_message_is_the_error_line(void **state)
{
	static const struct run_result r = {
		.path = "c.pkt", .variant = "ipv4", .status = EXIT_FAIL,
		.seconds = 1,
		.diagnostic = "sysctl: cannot stat /proc/sys/x: No such file\n"
			      "c.pkt:9:4: error: expected ack 2, got ack 1\n"
			      " +0 > . 1:1(0) ack 2\n",
	};

	(void)state;
	assert_tap(1, &r,
		   "not ok 1 - c.pkt (ipv4)\n"
		   "  ---\n"
		   "  message: \"c.pkt:9:4: error: expected ack 2, got ack "
		   "1\"\n"
		   "  severity: fail\n"
		   "  data: |\n"
		   "    sysctl: cannot stat /proc/sys/x: No such file\n"
		   "    c.pkt:9:4: error: expected ack 2, got ack 1\n"
		   "     +0 > . 1:1(0) ack 2\n"
		   "  ...\n");
}

static void test_tap_error(void **state)
{
	(void)state;
	assert_tap(4, &samples[3],
		   "not ok 4 - testdata/bad.pkt (ipv4)\n"
		   "  ---\n"
		   "  message: \"bad.pkt:1:3: error: syntax error\"\n"
		   "  severity: error\n"
		   "  data: |\n"
		   "    bad.pkt:1:3: error: syntax error\n"
		   "  ...\n");
	/* No diagnostic at all: the status says what happened. */
	assert_tap(7, &samples[6],
		   "not ok 7 - ./a/../b//c/z.pkt\n"
		   "  ---\n"
		   "  message: \"exit status 134\"\n"
		   "  severity: error\n"
		   "  ...\n");
}

/* A literal block takes its indentation from its first line, so a
 * diagnostic that starts indented goes in a quoted scalar. */
static void test_tap_indented(void **state)
{
	(void)state;
	assert_tap(8, &samples[7],
		   "not ok 8 - testdata/indent.pkt (ipv6)\n"
		   "  ---\n"
		   "  message: \"  indented\"\n"
		   "  severity: fail\n"
		   "  data: \"  indented\\nnot\\n\"\n"
		   "  ...\n");
}

/* '#' would start a directive; text a literal block cannot hold goes in
 * a quoted scalar with escapes. */
static void test_tap_escapes(void **state)
{
	struct run_result skip = {"a#b.pkt", "ipv4", EXIT_SKIP, 0,
				  "no #tun\x07 here", "", 0};

	(void)state;
	assert_tap(6, &samples[5],
		   "not ok 6 - testdata/odd \\#1\\\\<&>\"'.pkt (ipv4)\n"
		   "  ---\n"
		   "  message: \"\\tstarts with a tab\\x01\\x1b[31m\xef\xbf\xbd"
		   " caf\xc3\xa9\"\n"
		   "  severity: error\n"
		   "  data: \"\\tstarts with a tab\\x01\\x1b[31m\xef\xbf\xbd"
		   " caf\xc3\xa9\\r\\n\"\n"
		   "  ...\n");

	assert_tap(1, &skip, "ok 1 - a\\#b.pkt (ipv4) # SKIP no #tun? here\n");
}

/* The whole file, read back; the caller frees it. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	return text;
}

/* The entries of dir other than "." and "..", joined by spaces. */
static void list_dir(const char *dir, char *buf, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	buf[0] = '\0';
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s ",
				 e->d_name);
	}
	closedir(d);
}

struct tmpdir {
	char path[64];
	char file[96];
};

static int tmpdir_setup(void **state)
{
	struct tmpdir *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	strcpy(t->path, "/tmp/test_report.XXXXXX");
	if (!mkdtemp(t->path)) {
		free(t);
		return -1;
	}
	snprintf(t->file, sizeof(t->file), "%s/junit.xml", t->path);
	*state = t;
	return 0;
}

static int tmpdir_teardown(void **state)
{
	struct tmpdir *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->path);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static void test_junit_document(void **state)
{
	static const char head[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"tcpcheck\" tests=\"5\" failures=\"2\" "
		"errors=\"1\" skipped=\"1\" time=\"12.346\">\n"
		"  <testsuite name=\"tcpcheck\" tests=\"5\" failures=\"2\" "
		"errors=\"1\" skipped=\"1\" time=\"12.346\" timestamp=\"";
	struct tmpdir *t = *state;
	char *xml, *cases;

	assert_int_equal(report_junit_write(t->file, samples, 5, 12.3456), 0);
	xml = slurp(t->file);
	assert_true(strncmp(xml, head, strlen(head)) == 0);
	assert_non_null(strstr(xml, "\" hostname=\""));
	cases = strstr(xml, "    <testcase");
	assert_non_null(cases);
	assert_string_equal(
		cases,
		"    <testcase name=\"testdata/states/listen.pkt (ipv4)\" "
		"classname=\"testdata.states\" time=\"0.250\">\n"
		"      <system-out>sent 1 packet\n</system-out>\n"
		"    </testcase>\n"
		"    <testcase name=\"testdata/x.pkt (ipv6)\" "
		"classname=\"testdata\" time=\"1.500\">\n"
		"      <failure message=\"testdata/x.pkt:12:5: error: expected "
		"ack 1002, got ack 1001\" type=\"fail\">testdata/x.pkt:12:5: "
		"error: expected ack 1002, got ack 1001\n"
		" +0 &gt; . 1:1(0) ack 1002\n"
		"        ^~~~~~~~\n\n"
		"expected: +0 &gt; . 1:1(0) ack 1002\n"
		"actual:   +0.001 &gt; . 1:1(0) ack 1001\n</failure>\n"
		"      <system-err>testdata/x.pkt:12:5: error: expected ack "
		"1002, got ack 1001\n"
		" +0 &gt; . 1:1(0) ack 1002\n"
		"        ^~~~~~~~\n\n"
		"expected: +0 &gt; . 1:1(0) ack 1002\n"
		"actual:   +0.001 &gt; . 1:1(0) ack 1001\n</system-err>\n"
		"    </testcase>\n"
		"    <testcase name=\"testdata/y.pkt (ipv4-mapped-ipv6)\" "
		"classname=\"testdata\" time=\"0.001\">\n"
		"      <skipped message=\"y.pkt: skipped: needs root\"/>\n"
		"      <system-err>y.pkt: skipped: needs root\n</system-err>\n"
		"    </testcase>\n"
		"    <testcase name=\"testdata/bad.pkt (ipv4)\" "
		"classname=\"testdata\" time=\"0.002\">\n"
		"      <error message=\"bad.pkt:1:3: error: syntax error\" "
		"type=\"usage\">bad.pkt:1:3: error: syntax error\n</error>\n"
		"      <system-err>bad.pkt:1:3: error: syntax error\n"
		"</system-err>\n"
		"    </testcase>\n"
		"    <testcase name=\"slow.pkt (ipv4)\" classname=\"tcpcheck\" "
		"time=\"10.020\">\n"
		"      <failure message=\"timed out after 10 s\" "
		"type=\"fail\"></failure>\n"
		"    </testcase>\n"
		"  </testsuite>\n"
		"</testsuites>\n");
	free(xml);
}

/* Markup characters become references; bytes XML 1.0 cannot carry at
 * all (controls, malformed UTF-8) become U+FFFD; CR and, in attributes,
 * tab and newline become character references. */
static void test_junit_escaping(void **state)
{
	struct tmpdir *t = *state;
	char *xml;

	assert_int_equal(report_junit_write(t->file, &samples[5], 2, 0), 0);
	xml = slurp(t->file);
	assert_non_null(strstr(xml, "<testcase name=\"testdata/odd #1\\&lt;"
				    "&amp;&gt;&quot;&apos;.pkt (ipv4)\" "
				    "classname=\"testdata\" time=\"0.000\">"));
	assert_non_null(strstr(xml, "<error message=\"&#9;starts with a tab"
				    "\xef\xbf\xbd\xef\xbf\xbd[31m\xef\xbf\xbd "
				    "caf\xc3\xa9\" type=\"internal\">\tstarts "
				    "with a tab\xef\xbf\xbd\xef\xbf\xbd[31m"
				    "\xef\xbf\xbd caf\xc3\xa9&#13;\n</error>"));
	assert_non_null(
		strstr(xml, "<system-out>log\xef\xbf\xbd\n</system-out>"));
	/* No variant, an odd status, nothing printed. */
	assert_non_null(strstr(xml, "<testcase name=\"./a/../b//c/z.pkt\" "
				    "classname=\"a.b.c\" time=\"0.500\">\n"
				    "      <error message=\"exit status 134\" "
				    "type=\"exit\"></error>\n"));
	for (const char *p = xml; *p; p++)
		assert_true((unsigned char)*p >= 0x20 || *p == '\n' ||
			    *p == '\t');
	free(xml);
}

static void test_junit_atomic(void **state)
{
	struct tmpdir *t = *state;
	char names[256], *xml;
	FILE *old;

	/* An old report is replaced whole, and nothing else is left. */
	old = fopen(t->file, "w");
	assert_non_null(old);
	fputs("old", old);
	assert_int_equal(fclose(old), 0);
	assert_int_equal(report_junit_write(t->file, samples, 1, 1), 0);
	list_dir(t->path, names, sizeof(names));
	assert_string_equal(names, "junit.xml ");
	xml = slurp(t->file);
	assert_true(strncmp(xml, "<?xml", 5) == 0);
	free(xml);
}

static void test_junit_unwritable(void **state)
{
	struct tmpdir *t = *state;
	char path[160], names[256];

	snprintf(path, sizeof(path), "%s/missing/junit.xml", t->path);
	errno = 0;
	assert_int_equal(report_junit_write(path, samples, 1, 1), -1);
	assert_int_equal(errno, ENOENT);

	/* The rename fails (a directory is in the way): the temporary file
	 * goes too. */
	assert_int_equal(mkdir(t->file, 0755), 0);
	assert_int_equal(report_junit_write(t->file, samples, 1, 1), -1);
	assert_int_equal(errno, EISDIR);
	list_dir(t->path, names, sizeof(names));
	assert_string_equal(names, "junit.xml ");
	assert_int_equal(rmdir(t->file), 0);

	/* Permissions stop everyone but root. */
	if (geteuid() != 0) {
		assert_int_equal(chmod(t->path, 0555), 0);
		assert_int_equal(report_junit_write(t->file, samples, 1, 1),
				 -1);
		assert_int_equal(errno, EACCES);
		assert_int_equal(chmod(t->path, 0755), 0);
	}
}

/* The samples for the suites that check the formats with real readers:
 * xmllint against tests/junit.xsd, and prove. */
static int write_samples(const char *dir)
{
	char path[4096];
	FILE *tap;

	snprintf(path, sizeof(path), "%s/sample.xml", dir);
	if (report_junit_write(path, samples, NSAMPLES, 12.5) != 0) {
		perror(path);
		return 99;
	}
	snprintf(path, sizeof(path), "%s/sample.tap", dir);
	tap = fopen(path, "w");
	if (!tap) {
		perror(path);
		return 99;
	}
	report_tap_plan(tap, NSAMPLES);
	for (size_t i = 0; i < NSAMPLES; i++)
		report_tap_result(tap, i + 1, &samples[i]);
	report_summary(tap, samples, NSAMPLES);
	if (fclose(tap) != 0) {
		perror(path);
		return 99;
	}
	return 0;
}

int main(void)
{
	const char *sample_dir = getenv("REPORT_SAMPLE_DIR");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_name),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_tap_plan),
		cmocka_unit_test(test_tap_pass_skip),
		cmocka_unit_test(test_tap_fail),
		cmocka_unit_test(test_message_is_the_error_line),
		cmocka_unit_test(test_tap_error),
		cmocka_unit_test(test_tap_escapes),
		cmocka_unit_test(test_tap_indented),
		cmocka_unit_test_setup_teardown(test_junit_document,
						tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_junit_escaping,
						tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_junit_atomic,
						tmpdir_setup, tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_junit_unwritable,
						tmpdir_setup, tmpdir_teardown),
	};

	if (sample_dir && *sample_dir)
		return write_samples(sample_dir);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
