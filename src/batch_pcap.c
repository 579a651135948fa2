/* --pcap-dir: where a batch puts each run's pcap file, and the
 * directory made ready for them. */
#include "batch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longer names than this are refused by the usual file systems. */
#define PCAP_NAME_MAX 255

/* The path with '%' and '/' written %25 and %2F: no two paths give the
 * same text, and the text is one file name. */
static void escape_path(FILE *f, const char *path)
{
	for (const char *c = path; *c; c++)
		if (*c == '%')
			fputs("%25", f);
		else if (*c == '/')
			fputs("%2F", f);
		else
			fputc(*c, f);
}

char *batch_pcap_name(const char *dir, const char *path, const char *variant)
{
	char *name = NULL, *full = NULL;
	size_t len, dir_len = strlen(dir);
	char *base;
	FILE *f = open_memstream(&name, &len);

	if (!f)
		return NULL;
	escape_path(f, path);
	fprintf(f, ".%s.pcap", variant);
	if (fclose(f))
		return NULL;
	base = name;
	/* Too long a name keeps its end (the script's own name and the
	 * variant) behind a hash of all of it, which keeps names apart. */
	if (len > PCAP_NAME_MAX) {
		char hash[16];

		snprintf(hash, sizeof(hash), "%08x-",
			 (unsigned)batch_hash(name));
		base = name + len - (PCAP_NAME_MAX - strlen(hash));
		memcpy(base - strlen(hash), hash, strlen(hash));
		base -= strlen(hash);
	}
	while (dir_len > 0 && dir[dir_len - 1] == '/')
		dir_len--;
	full = malloc(dir_len + 1 + strlen(base) + 1);
	if (full)
		sprintf(full, "%.*s/%s", (int)dir_len, dir, base);
	free(name);
	return full;
}

/* mkdir -p: each missing directory on the way, then the last one. */
static int make_dirs(char *path)
{
	for (char *c = path + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(path, 0777) < 0 && errno != EEXIST) {
			*c = '/';
			return -1;
		}
		*c = '/';
	}
	return mkdir(path, 0777) < 0 && errno != EEXIST ? -1 : 0;
}

int batch_pcap_dir_make(const char *dir, char *err, size_t errlen)
{
	char *copy = strdup(dir);
	struct stat st;
	int e;

	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	e = make_dirs(copy) < 0 ? errno : 0;
	free(copy);
	if (!e && stat(dir, &st) < 0)
		e = errno;
	if (!e && !S_ISDIR(st.st_mode))
		e = ENOTDIR;
	/* Said once here rather than by every run that cannot write. */
	if (!e && access(dir, W_OK | X_OK) < 0)
		e = errno;
	if (e) {
		snprintf(err, errlen, "--pcap-dir: cannot write in %s: %s", dir,
			 strerror(e));
		return -1;
	}
	return 0;
}
