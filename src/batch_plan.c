/* What a batch runs: the scripts under the paths given, the IP variants
 * of each, the shard's share, and what each run checks. */
#include "batch.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_internal.h"
#include "diag.h"
#include "script.h"

static const char *const variant_names[] = {
    [IP_V4] = "ipv4",
    [IP_V6] = "ipv6",
    [IP_V4_MAPPED_V6] = "ipv4-mapped-ipv6",
};

const char *batch_variant_name(enum ip_version v)
{
	return variant_names[v];
}

static int variant_named(const char *s, size_t len, enum ip_version *out)
{
	for (size_t i = 0; i < BATCH_VARIANTS_MAX; i++)
		if (strlen(variant_names[i]) == len &&
		    !strncmp(s, variant_names[i], len)) {
			*out = (enum ip_version)i;
			return 0;
		}
	/* config.c's other spelling */
	if (len == strlen("ipv4-mapped-v6") &&
	    !strncmp(s, "ipv4-mapped-v6", len)) {
		*out = IP_V4_MAPPED_V6;
		return 0;
	}
	return -1;
}

int batch_parse_variants(const char *arg, struct batch_variants *v)
{
	memset(v, 0, sizeof(*v));
	if (!arg) {
		v->list[v->count++] = IP_V4;
		v->implicit = true;
		return 0;
	}
	if (!strcmp(arg, "all")) {
		v->list[v->count++] = IP_V4;
		v->list[v->count++] = IP_V6;
		v->list[v->count++] = IP_V4_MAPPED_V6;
		v->by_name = true;
		return 0;
	}
	v->by_name = strchr(arg, ',') != NULL;
	for (const char *p = arg;; p++) {
		size_t len = strcspn(p, ",");
		enum ip_version iv;
		bool seen = false;

		if (variant_named(p, len, &iv))
			return -1;
		for (size_t i = 0; i < v->count; i++)
			seen |= v->list[i] == iv;
		if (!seen)
			v->list[v->count++] = iv;
		p += len;
		if (!*p)
			return 0;
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

size_t batch_script_variants(const char *path, const struct batch_variants *v,
			     enum ip_version out[BATCH_VARIANTS_MAX])
{
	bool only_v4 = v->by_name && ends_with(path, "v4.pkt");
	bool only_v6 = v->by_name && ends_with(path, "v6.pkt");
	size_t n = 0;

	for (size_t i = 0; i < v->count; i++) {
		if ((only_v4 && v->list[i] == IP_V6) ||
		    (only_v6 && v->list[i] != IP_V6))
			continue;
		out[n++] = v->list[i];
	}
	return n;
}

#define FNV_BASIS 2166136261u
#define FNV_PRIME 16777619u

static uint32_t fnv_add(uint32_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= FNV_PRIME;
	}
	return h;
}

uint32_t batch_hash(const char *s)
{
	return fnv_add(FNV_BASIS, s);
}

bool batch_in_shard(const char *path, const char *variant, unsigned index,
		    unsigned count)
{
	uint32_t h;

	if (count == 0)
		return true;
	/* The hash of "<path> (<variant>)", the run's name in reports. */
	h = fnv_add(fnv_add(fnv_add(fnv_add(FNV_BASIS, path), " ("), variant),
		    ")");
	return h % count == index - 1;
}

static int parse_unsigned(const char *s, char **end, unsigned *out)
{
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, end, 10);
	if (errno || v > UINT_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int batch_parse_shard(const char *arg, unsigned *index, unsigned *count)
{
	char *end;

	if (parse_unsigned(arg, &end, index) || *end != '/' ||
	    parse_unsigned(end + 1, &end, count) || *end)
		return -1;
	return *index >= 1 && *index <= *count ? 0 : -1;
}

int batch_worse(int a, int b)
{
	static const int order[] = {EXIT_SKIP, EXIT_PASS, EXIT_FAIL,
				    EXIT_USAGE};
	int ra = 4, rb = 4; /* anything else is internal: the worst */

	for (int i = 0; i < 4; i++) {
		ra = a == order[i] ? i : ra;
		rb = b == order[i] ? i : rb;
	}
	return rb > ra ? b : a;
}

/* --- finding scripts --- */

static int list_add(struct batch_list *l, char *path)
{
	if (!path)
		return -1;
	if (l->count == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		char **p = realloc(l->paths, cap * sizeof(*p));

		if (!p) {
			free(path);
			return -1;
		}
		l->paths = p;
		l->cap = cap;
	}
	l->paths[l->count++] = path;
	return 0;
}

static char *join_path(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *p;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	p = malloc(n + strlen(name) + 2);
	if (p)
		sprintf(p, "%.*s%s%s", (int)n, dir,
			dir[n - 1] == '/' ? "" : "/", name);
	return p;
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.pkt below dir (hidden entries and links to directories left
 * out, so a walk always ends); the caller sorts. */
static int walk(const char *dir, struct batch_list *out, char *err,
		size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (errno = 0, e = readdir(d))) {
		char *path =
		    e->d_name[0] == '.' ? NULL : join_path(dir, e->d_name);
		struct stat st;

		if (!path)
			continue;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			rc = walk(path, out, err, errlen);
			free(path);
		} else if (ends_with(path, ".pkt") && stat(path, &st) == 0 &&
			   S_ISREG(st.st_mode)) {
			rc = list_add(out, path);
			if (rc)
				snprintf(err, errlen, "out of memory");
		} else {
			free(path);
		}
	}
	if (rc == 0 && errno) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		rc = -1;
	}
	closedir(d);
	return rc;
}

static bool listed(const struct batch_list *l, const char *path)
{
	for (size_t i = 0; i < l->count; i++)
		if (!strcmp(l->paths[i], path))
			return true;
	return false;
}

static int add_argument(const char *arg, struct batch_list *out, char *err,
			size_t errlen)
{
	struct batch_list found = {0};
	struct stat st;
	int rc = 0;

	if (!strcmp(arg, "-")) {
		snprintf(err, errlen,
			 "a script on standard input (-) cannot "
			 "be part of a batch");
		return -1;
	}
	if (stat(arg, &st) < 0) {
		snprintf(err, errlen, "%s: %s", arg, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = walk(arg, &found, err, errlen);
	} else if (list_add(&found, strdup(arg))) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	if (found.count)
		qsort(found.paths, found.count, sizeof(char *), compare_paths);
	/* A script named twice runs once: the run names stay unique. */
	for (size_t i = 0; i < found.count; i++)
		if (rc || listed(out, found.paths[i]))
			free(found.paths[i]);
		else if ((rc = list_add(out, found.paths[i])))
			snprintf(err, errlen, "out of memory");
	free(found.paths);
	return rc;
}

int batch_find_scripts(const char *const *args, size_t n,
		       struct batch_list *out, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (add_argument(args[i], out, err, errlen))
			return -1;
	return 0;
}

void batch_list_free(struct batch_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->paths[i]);
	free(l->paths);
	memset(l, 0, sizeof(*l));
}

/* --- planning --- */

char *batch_sibling(const char *path, const char *ext)
{
	size_t n = strlen(path);
	char *p;

	if (!ends_with(path, ".pkt"))
		return NULL;
	p = malloc(n - 4 + strlen(ext) + 1);
	if (p)
		sprintf(p, "%.*s%s", (int)(n - 4), path, ext);
	return p;
}

static bool sibling_exists(const char *path, const char *ext)
{
	char *s = batch_sibling(path, ext);
	bool yes = s && access(s, F_OK) == 0;

	free(s);
	return yes;
}

enum batch_kind batch_kind_of(const char *path)
{
	if (sibling_exists(path, ".ast"))
		return BATCH_GOLDEN_AST;
	if (sibling_exists(path, ".err"))
		return BATCH_EXPECT_ERR;
	return BATCH_PLAIN;
}

void batch_use_stack_errs(struct batch_job *jobs, size_t n, const char *stack,
			  char *ext_buf, size_t ext_len)
{
	const char *base = strrchr(stack, '/');
	size_t len;

	base = base ? base + 1 : stack;
	len = strlen(base);
	if (len > 3 && !strcmp(base + len - 3, ".so"))
		len -= 3;
	if (!len || (size_t)snprintf(ext_buf, ext_len, ".%.*s.err", (int)len,
				     base) >= ext_len)
		return;
	for (size_t i = 0; i < n; i++)
		if (jobs[i].kind != BATCH_GOLDEN_AST &&
		    sibling_exists(jobs[i].path, ext_buf)) {
			jobs[i].kind = BATCH_EXPECT_ERR;
			jobs[i].err_ext = ext_buf;
		}
}

int batch_plan(const struct batch_list *scripts, const struct batch_variants *v,
	       unsigned shard_index, unsigned shard_count,
	       struct batch_job **jobs, size_t *n)
{
	struct batch_job *j = NULL;
	size_t count = 0;

	if (scripts->count) {
		j = calloc(scripts->count * BATCH_VARIANTS_MAX, sizeof(*j));
		if (!j)
			return -1;
	}
	for (size_t i = 0; i < scripts->count; i++) {
		const char *path = scripts->paths[i];
		enum ip_version vs[BATCH_VARIANTS_MAX];
		size_t nv = batch_script_variants(path, v, vs);
		enum batch_kind kind = batch_kind_of(path);

		/* Expected output is the same in every variant. */
		if (kind != BATCH_PLAIN && nv > 1)
			nv = 1;
		for (size_t k = 0; k < nv; k++)
			if (batch_in_shard(path, batch_variant_name(vs[k]),
					   shard_index, shard_count))
				j[count++] =
				    (struct batch_job){.path = path, .variant = vs[k],
						    .kind = kind};
	}
	*jobs = j;
	*n = count;
	return 0;
}

int64_t batch_script_length(const char *path,
			    const struct script_define *defines,
			    size_t define_count)
{
	struct diag d = {0};
	size_t len = 0;
	char *text = script_read_source(path, &len, &d);
	struct script *s = text ? script_parse_buffer(path, text, len, defines,
						      define_count, &d)
				: NULL;
	int64_t now = 0, last = 0;
	/* Where an included file's absolute times count from (run.c). */
	int64_t *anchors = s ? calloc((size_t)s->anchor_count + 1,
				      sizeof(*anchors))
			     : NULL;

	/* As timeline.c reads times: a window's or a blocking call's end
	 * counts from the same point as its start, and the event after a
	 * blocking call from its return. */
	for (size_t i = 0; anchors && i < s->event_count; i++) {
		const struct event_timing *t = &s->events[i]->timing;
		int64_t from = now;

		if (t->sets_anchor)
			anchors[t->sets_anchor] = now + t->anchor_usecs;
		if (t->start.kind == TIME_ABSOLUTE)
			from = anchors[t->anchor];
		int64_t start = t->start.kind == TIME_ANY ? now
							   : from + t->start.usecs;
		int64_t end =
		    t->shape == TIMING_POINT ? start : from + t->end.usecs;

		now = t->shape == TIMING_BLOCKING ? end : start;
		if (end > last)
			last = end;
	}
	free(anchors);
	script_free(s);
	free(text);
	return last;
}

struct by_length {
	int64_t usecs;
	size_t index; /* in the plan: ties keep its order */
};

static int longer_first(const void *a, const void *b)
{
	const struct by_length *x = a, *y = b;

	if (x->usecs != y->usecs)
		return x->usecs > y->usecs ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

void batch_order_longest_first(struct batch_job *jobs, size_t n,
			       const struct script_define *defines,
			       size_t define_count)
{
	struct by_length *keys = calloc(n ? n : 1, sizeof(*keys));
	struct batch_job *copy = calloc(n ? n : 1, sizeof(*copy));

	for (size_t i = 0; i < n; i++)
		jobs[i].length_usecs =
		    i && jobs[i - 1].path == jobs[i].path
			? jobs[i - 1].length_usecs
			: batch_script_length(jobs[i].path, defines,
					      define_count);
	if (keys && copy) {
		for (size_t i = 0; i < n; i++)
			keys[i] = (struct by_length){jobs[i].length_usecs, i};
		qsort(keys, n, sizeof(*keys), longer_first);
		for (size_t i = 0; i < n; i++)
			copy[i] = jobs[keys[i].index];
		memcpy(jobs, copy, n * sizeof(*copy));
	}
	free(keys);
	free(copy);
}
