/* Output formats for the results of many runs, with whatever bytes a run
 * printed made safe for each format. */
#include "report.h"

#include "diag.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REPLACEMENT_CHAR 0xfffd

/* What a run counts as. Everything but a pass or a skip is a failure of
 * some kind; JUnit tells the stack's failures from the rest. */
enum run_kind { KIND_PASS, KIND_SKIP, KIND_FAIL, KIND_ERROR };

static enum run_kind run_kind(const struct run_result *r) {
  if (r->timed_out)
    return KIND_FAIL;
  switch (r->status) {
  case EXIT_PASS:
    return KIND_PASS;
  case EXIT_SKIP:
    return KIND_SKIP;
  case EXIT_FAIL:
    return KIND_FAIL;
  default:
    return KIND_ERROR;
  }
}

/* Text that need not end in a NUL: a line of a diagnostic, say. */
struct span {
  const char *p;
  size_t len;
};

static struct span whole(const char *s) {
  if (!s)
    s = "";
  return (struct span){s, strlen(s)};
}

/* The first line that has something on it. */
static struct span first_line(const char *s) {
  if (!s)
    s = "";
  s += strspn(s, "\r\n");
  return (struct span){s, strcspn(s, "\r\n")};
}

/* The line of the diagnostic that says why: tcpcheck's own
 * "file:line:col: error: ..." line, which commands the script runs may
 * have printed lines before (a failing sysctl, say); else the first. */
static struct span why_line(const char *s) {
  struct span first = first_line(s);

  for (const char *p = first.p; p && *p;) {
    struct span line = first_line(p);
    const char *hit = strstr(line.p, ": error: ");

    if (!line.len)
      break;
    if (hit && hit < line.p + line.len)
      return line;
    p = line.p + line.len;
  }
  return first;
}

/* Whole seconds, rounded, for messages; durations in XML keep three
 * decimals. Both are formatted by hand: a caller's setlocale must not
 * turn the point into a comma. */
static long long rounded_ms(double seconds) {
  /* Also false for NaN. */
  if (!(seconds > 0 && seconds < 1e12))
    return 0;
  return (long long)(seconds * 1000.0 + 0.5);
}

static void put_seconds(FILE *out, double seconds) {
  long long ms = rounded_ms(seconds);

  fprintf(out, "%lld.%03lld", ms / 1000, ms % 1000);
}

/* The one line that says why a run did not pass. */
struct message {
  struct span text;
  char buf[64];
};

static void run_message(const struct run_result *r, struct message *m) {
  m->text = why_line(r->diagnostic);
  if (r->timed_out)
    snprintf(m->buf, sizeof(m->buf), "timed out after %lld s",
             (rounded_ms(r->seconds) + 500) / 1000);
  else if (m->text.len)
    return;
  else if (r->status == EXIT_FAIL)
    snprintf(m->buf, sizeof(m->buf), "failed");
  else if (r->status == EXIT_USAGE)
    snprintf(m->buf, sizeof(m->buf), "usage or script error");
  else if (r->status == EXIT_INTERNAL)
    snprintf(m->buf, sizeof(m->buf), "internal error");
  else
    snprintf(m->buf, sizeof(m->buf), "exit status %d", r->status);
  m->text = whole(m->buf);
}

/* Decode one UTF-8 character of at most len bytes into *c; a byte that
 * does not start a well-formed sequence (overlong forms and surrogates
 * included) decodes as U+FFFD on its own. Returns the bytes used. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *c) {
  unsigned char lo = 0x80, hi = 0xbf;
  size_t need;

  *c = s[0];
  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) {
    need = 1;
    *c = s[0] & 0x1f;
  } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
    need = 2;
    *c = s[0] & 0x0f;
    lo = s[0] == 0xe0 ? 0xa0 : lo;
    hi = s[0] == 0xed ? 0x9f : hi;
  } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
    need = 3;
    *c = s[0] & 0x07;
    lo = s[0] == 0xf0 ? 0x90 : lo;
    hi = s[0] == 0xf4 ? 0x8f : hi;
  } else {
    *c = REPLACEMENT_CHAR;
    return 1;
  }
  for (size_t i = 1; i <= need; i++) {
    if (i >= len || s[i] < lo || s[i] > hi) {
      *c = REPLACEMENT_CHAR;
      return 1;
    }
    *c = *c << 6 | (s[i] & 0x3f);
    lo = 0x80;
    hi = 0xbf;
  }
  return need + 1;
}

static void put_utf8(FILE *out, uint32_t c) {
  if (c < 0x80) {
    fputc((int)c, out);
  } else if (c < 0x800) {
    fputc((int)(0xc0 | c >> 6), out);
    fputc((int)(0x80 | (c & 0x3f)), out);
  } else if (c < 0x10000) {
    fputc((int)(0xe0 | c >> 12), out);
    fputc((int)(0x80 | (c >> 6 & 0x3f)), out);
    fputc((int)(0x80 | (c & 0x3f)), out);
  } else {
    fputc((int)(0xf0 | c >> 18), out);
    fputc((int)(0x80 | (c >> 12 & 0x3f)), out);
    fputc((int)(0x80 | (c >> 6 & 0x3f)), out);
    fputc((int)(0x80 | (c & 0x3f)), out);
  }
}

/* Write s character by character through one format's escaping. */
static void put_escaped(FILE *out, struct span s,
                        void (*put)(FILE *out, uint32_t c)) {
  const unsigned char *p = (const unsigned char *)s.p;
  size_t left = s.len;

  while (left) {
    uint32_t c;
    size_t used = utf8_next(p, left, &c);

    put(out, c);
    p += used;
    left -= used;
  }
}

/* --- the closing line and run names -------------------------------------- */

int report_run_name(const struct run_result *r, char *buf, size_t len) {
  const char *path = r->path ? r->path : "";
  int n;

  if (r->variant && *r->variant)
    n = snprintf(buf, len, "%s (%s)", path, r->variant);
  else
    n = snprintf(buf, len, "%s", path);
  if (n < 0 || (size_t)n >= len) {
    errno = ERANGE;
    return -1;
  }
  return 0;
}

void report_summary(FILE *out, const struct run_result *r, size_t n) {
  size_t passed = 0, skipped = 0;

  for (size_t i = 0; i < n; i++) {
    enum run_kind kind = run_kind(&r[i]);

    passed += kind == KIND_PASS;
    skipped += kind == KIND_SKIP;
  }
  fprintf(out, "%zu passed, %zu failed, %zu skipped\n", passed,
          n - passed - skipped, skipped);
}

/* --- TAP 13 --------------------------------------------------------------- */

/* Control characters would break the line a TAP reader reads. */
static void put_tap_plain(FILE *out, uint32_t c) {
  put_utf8(out, c < 0x20 || c == 0x7f ? '?' : c);
}

/* In a description an unescaped '#' starts a directive (SKIP, TODO). */
static void put_tap_desc(FILE *out, uint32_t c) {
  if (c == '#' || c == '\\')
    fputc('\\', out);
  put_tap_plain(out, c);
}

/* YAML 1.2's printable set: what may appear in a YAML stream as is. */
static int yaml_printable(uint32_t c) {
  return c == '\t' || c == '\n' || (c >= 0x20 && c <= 0x7e) || c == 0x85 ||
         (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
         c >= 0x10000;
}

static void put_yaml_quoted(FILE *out, uint32_t c) {
  if (c == '"' || c == '\\')
    fprintf(out, "\\%c", (int)c);
  else if (c == '\n')
    fputs("\\n", out);
  else if (c == '\t')
    fputs("\\t", out);
  else if (c == '\r')
    fputs("\\r", out);
  else if (yaml_printable(c))
    put_utf8(out, c);
  else if (c < 0x100)
    fprintf(out, "\\x%02x", (unsigned)c);
  else
    put_utf8(out, REPLACEMENT_CHAR);
}

/* A literal block keeps a diagnostic readable, but only printable text
 * fits one, and TAP's YAMLish readers take the first line's indentation
 * for the whole block. */
static int yaml_block_fits(struct span s) {
  const unsigned char *p = (const unsigned char *)s.p;
  size_t left = s.len;

  if (s.len && (s.p[0] == ' ' || s.p[0] == '\t'))
    return 0;
  while (left) {
    uint32_t c;
    size_t used = utf8_next(p, left, &c);

    if (!yaml_printable(c))
      return 0;
    p += used;
    left -= used;
  }
  return 1;
}

/* Every line indented, empty ones too: a line with less indentation
 * ends the YAML block for TAP::Parser. */
static void put_yaml_block(FILE *out, struct span s) {
  const char *p = s.p, *end = s.p + s.len;

  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

    fputs("    ", out);
    put_escaped(out, (struct span){p, n}, put_utf8);
    fputc('\n', out);
    if (!nl)
      break;
    p = nl + 1;
  }
}

static void tap_yaml(FILE *out, const struct run_result *r,
                     enum run_kind kind) {
  struct span diag = whole(r->diagnostic);
  struct message m;

  run_message(r, &m);
  fputs("  ---\n  message: \"", out);
  put_escaped(out, m.text, put_yaml_quoted);
  fprintf(out, "\"\n  severity: %s\n", kind == KIND_FAIL ? "fail" : "error");
  if (diag.len && yaml_block_fits(diag)) {
    fputs("  data: |\n", out);
    put_yaml_block(out, diag);
  } else if (diag.len) {
    fputs("  data: \"", out);
    put_escaped(out, diag, put_yaml_quoted);
    fputs("\"\n", out);
  }
  fputs("  ...\n", out);
}

void report_tap_plan(FILE *out, size_t total) {
  fprintf(out, "TAP version 13\n1..%zu\n", total);
  fflush(out);
}

void report_tap_result(FILE *out, size_t number, const struct run_result *r) {
  enum run_kind kind = run_kind(r);

  fprintf(out, "%s %zu - ",
          kind == KIND_PASS || kind == KIND_SKIP ? "ok" : "not ok", number);
  put_escaped(out, whole(r->path), put_tap_desc);
  if (r->variant && *r->variant) {
    fputs(" (", out);
    put_escaped(out, whole(r->variant), put_tap_desc);
    fputc(')', out);
  }
  if (kind == KIND_SKIP) {
    struct span why = first_line(r->diagnostic);

    fputs(" # SKIP", out);
    if (why.len) {
      fputc(' ', out);
      put_escaped(out, why, put_tap_plain);
    }
  }
  fputc('\n', out);
  if (kind == KIND_FAIL || kind == KIND_ERROR)
    tap_yaml(out, r, kind);
  /* Results stream as runs finish; a reader should see them then. */
  fflush(out);
}

/* --- JUnit XML ------------------------------------------------------------ */

/* XML 1.0's Char production: anything else cannot be in a document,
 * not even as a character reference. */
static int xml_allowed(uint32_t c) {
  return c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0xd7ff) ||
         (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000;
}

/* Attribute values lose tabs and newlines to whitespace normalization
 * unless they are written as references; a bare CR is lost anywhere. */
static void put_xml_char(FILE *out, uint32_t c, int attribute) {
  switch (c) {
  case '&':
    fputs("&amp;", out);
    return;
  case '<':
    fputs("&lt;", out);
    return;
  case '>':
    fputs("&gt;", out);
    return;
  case '"':
    fputs("&quot;", out);
    return;
  case '\'':
    fputs("&apos;", out);
    return;
  case '\r':
    fputs("&#13;", out);
    return;
  case '\t':
  case '\n':
    if (attribute) {
      fprintf(out, "&#%u;", (unsigned)c);
      return;
    }
    break;
  }
  put_utf8(out, xml_allowed(c) ? c : REPLACEMENT_CHAR);
}

static void put_xml_text(FILE *out, uint32_t c) { put_xml_char(out, c, 0); }

static void put_xml_attr(FILE *out, uint32_t c) { put_xml_char(out, c, 1); }

/* The script's directory as a dotted class name ("testdata/fail/x.pkt"
 * is in testdata.fail); ".", ".." and empty parts are left out, and a
 * script without a directory is in "tcpcheck". */
static void put_classname(FILE *out, const char *path) {
  const char *slash = strrchr(path, '/'), *p = path;
  int parts = 0;

  while (slash && p < slash) {
    size_t n = strcspn(p, "/");

    if (n && !(n == 1 && p[0] == '.') &&
        !(n == 2 && p[0] == '.' && p[1] == '.')) {
      if (parts++)
        fputc('.', out);
      put_escaped(out, (struct span){p, n}, put_xml_attr);
    }
    p += n + 1;
  }
  if (!parts)
    fputs("tcpcheck", out);
}

static void junit_counts(FILE *out, const struct run_result *r, size_t n,
                         double total_seconds) {
  size_t failures = 0, errors = 0, skipped = 0;

  for (size_t i = 0; i < n; i++) {
    enum run_kind kind = run_kind(&r[i]);

    failures += kind == KIND_FAIL;
    errors += kind == KIND_ERROR;
    skipped += kind == KIND_SKIP;
  }
  fprintf(out,
          " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\""
          " skipped=\"%zu\" time=\"",
          n, failures, errors, skipped);
  put_seconds(out, total_seconds);
  fputc('"', out);
}

/* When the batch started, in local time without a zone as Ant writes
 * it, and where. */
static void junit_stamp(FILE *out, double total_seconds) {
  char when[32] = "1970-01-01T00:00:00", host[256] = "";
  time_t start = time(NULL) - (time_t)(rounded_ms(total_seconds) / 1000);
  struct tm tm;

  if (localtime_r(&start, &tm))
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
  if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
    strcpy(host, "localhost");
  fprintf(out, " timestamp=\"%s\" hostname=\"", when);
  put_escaped(out, whole(host), put_xml_attr);
  fputc('"', out);
}

static const char *junit_error_type(const struct run_result *r) {
  switch (r->status) {
  case EXIT_USAGE:
    return "usage";
  case EXIT_INTERNAL:
    return "internal";
  default:
    return "exit";
  }
}

static void junit_verdict(FILE *out, const struct run_result *r,
                          enum run_kind kind) {
  const char *tag = kind == KIND_FAIL ? "failure" : "error";
  struct message m;

  if (kind == KIND_SKIP) {
    struct span why = first_line(r->diagnostic);

    fputs("      <skipped", out);
    if (why.len) {
      fputs(" message=\"", out);
      put_escaped(out, why, put_xml_attr);
      fputc('"', out);
    }
    fputs("/>\n", out);
    return;
  }
  run_message(r, &m);
  fprintf(out, "      <%s message=\"", tag);
  put_escaped(out, m.text, put_xml_attr);
  fprintf(out, "\" type=\"%s\">",
          kind == KIND_FAIL ? "fail" : junit_error_type(r));
  put_escaped(out, whole(r->diagnostic), put_xml_text);
  fprintf(out, "</%s>\n", tag);
}

static void junit_stream(FILE *out, const char *tag, struct span text) {
  if (!text.len)
    return;
  fprintf(out, "      <%s>", tag);
  put_escaped(out, text, put_xml_text);
  fprintf(out, "</%s>\n", tag);
}

static void junit_case(FILE *out, const struct run_result *r) {
  enum run_kind kind = run_kind(r);
  struct span diag = whole(r->diagnostic), log = whole(r->log);

  fputs("    <testcase name=\"", out);
  put_escaped(out, whole(r->path), put_xml_attr);
  if (r->variant && *r->variant) {
    fputs(" (", out);
    put_escaped(out, whole(r->variant), put_xml_attr);
    fputc(')', out);
  }
  fputs("\" classname=\"", out);
  put_classname(out, r->path ? r->path : "");
  fputs("\" time=\"", out);
  put_seconds(out, r->seconds);
  fputc('"', out);
  if (kind == KIND_PASS && !diag.len && !log.len) {
    fputs("/>\n", out);
    return;
  }
  fputs(">\n", out);
  if (kind != KIND_PASS)
    junit_verdict(out, r, kind);
  junit_stream(out, "system-out", log);
  junit_stream(out, "system-err", diag);
  fputs("    </testcase>\n", out);
}

static void junit_document(FILE *out, const struct run_result *r, size_t n,
                           double total_seconds) {
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<testsuites name=\"tcpcheck\"",
        out);
  junit_counts(out, r, n, total_seconds);
  fputs(">\n  <testsuite name=\"tcpcheck\"", out);
  junit_counts(out, r, n, total_seconds);
  junit_stamp(out, total_seconds);
  fputs(">\n", out);
  for (size_t i = 0; i < n; i++)
    junit_case(out, &r[i]);
  fputs("  </testsuite>\n</testsuites>\n", out);
}

/* Flush, reach the disk, close: the file is whole or this fails. Closes
 * out in every case. */
static int finish_file(FILE *out) {
  int err = 0;

  if (fflush(out) != 0 || ferror(out))
    err = errno ? errno : EIO;
  else if (fsync(fileno(out)) != 0)
    err = errno;
  if (fclose(out) != 0 && !err)
    err = errno;
  if (err) {
    errno = err;
    return -1;
  }
  return 0;
}

/* The rename lasts a crash only once the directory is on disk; not being
 * able to make sure of that is no reason to fail the report. */
static void sync_parent(const char *file) {
  const char *slash = strrchr(file, '/');
  char *dir;
  int fd;

  if (!slash)
    dir = strdup(".");
  else
    dir = strndup(file, slash == file ? 1 : (size_t)(slash - file));
  if (!dir)
    return;
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
  free(dir);
}

/* Written to FILE.tmp beside it and renamed over it, so that a batch
 * killed midway leaves the previous file or none, never half of one. */
int report_junit_write(const char *file, const struct run_result *r, size_t n,
                       double total_seconds) {
  size_t len = strlen(file);
  char *tmp = malloc(len + sizeof(".tmp"));
  FILE *out;
  int fd, saved;

  if (!tmp)
    return -1;
  memcpy(tmp, file, len);
  memcpy(tmp + len, ".tmp", sizeof(".tmp"));
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    goto fail;
  out = fdopen(fd, "w");
  if (!out) {
    saved = errno;
    close(fd);
    errno = saved;
    goto fail_unlink;
  }
  errno = 0;
  junit_document(out, r, n, total_seconds);
  if (finish_file(out) != 0 || rename(tmp, file) != 0)
    goto fail_unlink;
  sync_parent(file);
  free(tmp);
  return 0;

fail_unlink:
  saved = errno;
  unlink(tmp);
  errno = saved;
fail:
  saved = errno;
  free(tmp);
  errno = saved;
  return -1;
}
