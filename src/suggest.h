/* "Did you mean ...?": the known name closest to a misspelt one. */
#ifndef TCPCHECK_SUGGEST_H
#define TCPCHECK_SUGGEST_H

#include <stddef.h>

/* Names longer than this are never compared (no suggestion). */
#define SUGGEST_NAME_MAX 64

/* The edit distance between a and b: insertions, deletions,
 * substitutions and swaps of two adjacent characters count one each
 * (Damerau-Levenshtein, optimal string alignment); ASCII case is
 * ignored. SUGGEST_NAME_MAX + 1 when either is longer than that. */
unsigned suggest_distance(const char *a, const char *b);

/* The search for the best candidate: init, offer each known name, then
 * result. */
struct suggest {
	const char *word;
	const char *best;
	unsigned best_distance;
	unsigned max_distance; /* what still counts as a typo of word */
};

void suggest_init(struct suggest *s, const char *word);
void suggest_offer(struct suggest *s, const char *candidate);
/* The closest candidate offered, the first of equals; NULL when none is
 * close enough to be a typo (or it is word itself). */
const char *suggest_result(const struct suggest *s);

#endif
