/* A finished run's verdict: its captured output against what the script
 * expects (nothing on failure, the exact text of x.err, the syntax tree
 * of x.ast), and the diagnostic that says how they differ. */
#include "batch_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "diag.h"

#define DIFF_CONTEXT 3
#define TRUNCATED_NOTE "\n[tcpcheck: the rest of this output was dropped]\n"

void batch_text_add(struct batch_text *t, const char *p, size_t n)
{
	if (n > BATCH_OUTPUT_MAX - t->len) {
		n = BATCH_OUTPUT_MAX - t->len;
		t->truncated = true;
	}
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *d;

		while (cap < t->len + n + 1)
			cap *= 2;
		d = realloc(t->data, cap);
		if (!d) {
			t->truncated = true;
			return;
		}
		t->data = d;
		t->cap = cap;
	}
	memcpy(t->data + t->len, p, n);
	t->len += n;
	t->data[t->len] = '\0';
}

const char *batch_text_str(const struct batch_text *t)
{
	return t->data ? t->data : "";
}

static bool batch_text_equals(const struct batch_text *t, const char *s,
			      size_t len)
{
	return t->len == len && (len == 0 || !memcmp(t->data, s, len));
}

void batch_text_close(struct batch_text *t)
{
	if (!t->truncated)
		return;
	t->truncated = false;
	if (t->len > BATCH_OUTPUT_MAX - strlen(TRUNCATED_NOTE))
		t->len = BATCH_OUTPUT_MAX - strlen(TRUNCATED_NOTE);
	batch_text_add(t, TRUNCATED_NOTE, strlen(TRUNCATED_NOTE));
}

char *batch_text_take(struct batch_text *t)
{
	char *s = t->data ? t->data : strdup("");

	memset(t, 0, sizeof(*t));
	return s;
}

static char *read_whole_file(const char *path, size_t *len)
{
	struct batch_text t = {0};
	char chunk[8192];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		batch_text_add(&t, chunk, n);
	if (ferror(f) || t.truncated) {
		fclose(f);
		free(t.data);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	*len = t.len;
	return t.data ? t.data : strdup("");
}

/* Where each line of s starts: line i is [at[i], at[i + 1]). */
static size_t *split_lines(const char *s, size_t len, size_t *n)
{
	size_t count = 0, k = 1, *at;

	for (size_t i = 0; i < len; i++)
		count += s[i] == '\n';
	if (len && s[len - 1] != '\n')
		count++;
	at = malloc((count + 1) * sizeof(*at));
	if (!at)
		return NULL;
	at[0] = 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n' && k < count)
			at[k++] = i + 1;
	at[count] = len;
	*n = count;
	return at;
}

struct lines {
	const char *s;
	size_t *at;
	size_t n;
};

static bool line_eq(const struct lines *a, size_t i, const struct lines *b,
		    size_t j)
{
	size_t la = a->at[i + 1] - a->at[i], lb = b->at[j + 1] - b->at[j];

	return la == lb && !memcmp(a->s + a->at[i], b->s + b->at[j], la);
}

static void print_lines(FILE *f, char mark, const struct lines *l, size_t from,
			size_t to)
{
	for (size_t i = from; i < to; i++) {
		const char *p = l->s + l->at[i];
		size_t len = l->at[i + 1] - l->at[i];

		fputc(mark, f);
		fwrite(p, 1, len, f);
		if (p[len - 1] != '\n')
			fputs("\n\\ No newline at end of file\n", f);
	}
}

/* A unified diff in one hunk: what lies between the common head and the
 * common tail of the two texts, with some context. */
static void print_diff(FILE *f, const char *a_name, const char *a, size_t alen,
		       const char *b_name, const char *b, size_t blen)
{
	struct lines la = {a, NULL, 0}, lb = {b, NULL, 0};
	size_t head = 0, tail = 0, from, a_to, b_to;

	la.at = split_lines(a, alen, &la.n);
	lb.at = split_lines(b, blen, &lb.n);
	if (!la.at || !lb.at) {
		fprintf(f, "--- %s\n%.*s+++ %s\n%.*s", a_name, (int)alen, a,
			b_name, (int)blen, b);
		goto out;
	}
	while (head < la.n && head < lb.n && line_eq(&la, head, &lb, head))
		head++;
	while (tail < la.n - head && tail < lb.n - head &&
	       line_eq(&la, la.n - 1 - tail, &lb, lb.n - 1 - tail))
		tail++;
	from = head > DIFF_CONTEXT ? head - DIFF_CONTEXT : 0;
	a_to = tail > DIFF_CONTEXT ? la.n - tail + DIFF_CONTEXT : la.n;
	b_to = tail > DIFF_CONTEXT ? lb.n - tail + DIFF_CONTEXT : lb.n;
	fprintf(f, "--- %s\n+++ %s\n@@ -%zu,%zu +%zu,%zu @@\n", a_name, b_name,
		from + 1, a_to - from, from + 1, b_to - from);
	print_lines(f, ' ', &la, from, head);
	print_lines(f, '-', &la, head, la.n - tail);
	print_lines(f, '+', &lb, head, lb.n - tail);
	print_lines(f, ' ', &la, la.n - tail, a_to);
out:
	free(la.at);
	free(lb.at);
}

/* Whether the line starting at s[i] says "timing error:". */
static bool timing_line(const char *s, size_t len, size_t i)
{
	static const char key[] = "timing error:";
	size_t kl = sizeof(key) - 1;

	for (; i + kl <= len && s[i] != '\n'; i++)
		if (!memcmp(s + i, key, kl))
			return true;
	return false;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A time in seconds as messages print it, digits '.' six digits, at s[i]:
 * its length, else 0. */
static size_t seconds_at(const char *s, size_t len, size_t i)
{
	size_t j = i;

	if (i > 0 && is_digit(s[i - 1]))
		return 0;
	while (j < len && is_digit(s[j]))
		j++;
	if (j == i || j + 7 > len || s[j] != '.')
		return 0;
	for (size_t k = 1; k <= 6; k++)
		if (!is_digit(s[j + k]))
			return 0;
	return j + 7 - i;
}

/* The text with what varies from run to run replaced by N (as
 * tests/lib.sh's vary()): on actual: lines the digits after "scm_nsec="
 * and "TS val ", kernel timestamps that vary by a tick or below the
 * millisecond recvmsg shows; on a "timing error:" line every time in
 * seconds, measured on the kernel's clock. NULL when out of memory. */
static char *unvarying(const char *s, size_t len, size_t *out_len)
{
	static const char *const keys[] = {"scm_nsec=", "TS val "};
	char *out = malloc(len + 1);
	size_t o = 0;
	bool actual = false, timing = false, bol = true;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		bool skipped = false;
		size_t n;

		if (bol) {
			actual = len - i >= 7 && !memcmp(s + i, "actual:", 7);
			timing = timing_line(s, len, i);
		}
		bol = false;
		if (timing && (n = seconds_at(s, len, i))) {
			out[o++] = 'N';
			i += n;
			continue;
		}
		for (size_t k = 0; actual && k < 2 && !skipped; k++) {
			size_t kl = strlen(keys[k]);

			if (len - i > kl && !memcmp(s + i, keys[k], kl) &&
			    is_digit(s[i + kl])) {
				memcpy(out + o, keys[k], kl);
				o += kl;
				out[o++] = 'N';
				for (i += kl; i < len && is_digit(s[i]);)
					i++;
				skipped = true;
			}
		}
		if (skipped)
			continue;
		bol = s[i] == '\n';
		out[o++] = s[i++];
	}
	*out_len = o;
	return out;
}

/* Equal apart from the digits unvarying() hides. */
static bool same_diagnostic(const struct batch_text *t, const char *s,
			    size_t len)
{
	size_t la, lb;
	char *a = unvarying(batch_text_str(t), t->len, &la);
	char *b = unvarying(s, len, &lb);
	bool same = a && b && la == lb && !memcmp(a, b, la);

	free(a);
	free(b);
	return same;
}

/* x.pkt with x.err: it must fail (1 or 2) with exactly that text (but
 * what unvarying() hides). */
static int judge_expected_error(const char *path, const char *ext,
				int status, const struct batch_text *err,
				FILE *diag)
{
	char *want_path = batch_sibling(path, ext ? ext : ".err");
	size_t len = 0;
	char *want = want_path ? read_whole_file(want_path, &len) : NULL;
	bool same = want && same_diagnostic(err, want, len);
	int verdict = EXIT_FAIL;

	if (!want) {
		fprintf(diag, "%s: error: cannot read %s: %s\n", path,
			want_path ? want_path : "its .err file",
			strerror(errno));
		verdict = EXIT_USAGE;
	} else if ((status == EXIT_FAIL || status == EXIT_USAGE) && same) {
		verdict = EXIT_PASS;
	} else {
		fprintf(diag,
			"%s: error: expected to fail (exit status 1 or 2) "
			"with the diagnostic in %s; got exit status %d %s\n",
			path, want_path, status,
			same ? "with that diagnostic" : "and this diagnostic:");
		if (!same)
			print_diff(diag, want_path, want, len, "stderr",
				   batch_text_str(err), err->len);
		if (status == EXIT_INTERNAL)
			verdict = EXIT_INTERNAL;
	}
	free(want);
	free(want_path);
	return verdict;
}

/* x.pkt with x.ast: --dump-ast must print exactly that. */
static int judge_golden_ast(const char *path, int status,
			    const struct batch_text *out,
			    const struct batch_text *err, FILE *diag)
{
	char *want_path = batch_sibling(path, ".ast");
	size_t len = 0;
	char *want = want_path ? read_whole_file(want_path, &len) : NULL;
	int verdict = status;

	fputs(batch_text_str(err), diag);
	if (!want) {
		fprintf(diag, "%s: error: cannot read %s: %s\n", path,
			want_path ? want_path : "its .ast file",
			strerror(errno));
		verdict = EXIT_USAGE;
	} else if (status == EXIT_PASS && !batch_text_equals(out, want, len)) {
		fprintf(diag, "%s: error: --dump-ast differs from %s:\n", path,
			want_path);
		print_diff(diag, want_path, want, len, "--dump-ast",
			   batch_text_str(out), out->len);
		verdict = EXIT_FAIL;
	}
	free(want);
	free(want_path);
	return verdict;
}

int batch_judge(const struct batch_job *j, int wait_status, unsigned timeout,
		const struct batch_text *out, const struct batch_text *err,
		FILE *diag)
{
	int status;

	if (timeout) {
		fprintf(diag, "%s: error: timed out after %u s\n", j->path,
			timeout);
		fputs(batch_text_str(err), diag);
		return EXIT_FAIL;
	}
	if (!WIFEXITED(wait_status)) {
		fputs(batch_text_str(err), diag);
		fprintf(diag,
			"%s: internal error: the run died of signal %d "
			"(%s)\n",
			j->path, WTERMSIG(wait_status),
			strsignal(WTERMSIG(wait_status)));
		return EXIT_INTERNAL;
	}
	status = WEXITSTATUS(wait_status);
	if (status == EXIT_SKIP || j->kind == BATCH_PLAIN) {
		fputs(batch_text_str(err), diag);
		return status;
	}
	if (j->kind == BATCH_GOLDEN_AST)
		return judge_golden_ast(j->path, status, out, err, diag);
	return judge_expected_error(j->path, j->err_ext, status, err, diag);
}
