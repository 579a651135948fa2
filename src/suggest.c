/* The closest known name to a misspelt one, for "did you mean" hints. */
#include "suggest.h"

#include <ctype.h>
#include <string.h>

static int fold(char c)
{
	return tolower((unsigned char)c);
}

unsigned suggest_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	/* Three rows of the table are all a swap looks back at. */
	unsigned rows[3][SUGGEST_NAME_MAX + 1];
	unsigned *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	if (n > SUGGEST_NAME_MAX || m > SUGGEST_NAME_MAX)
		return SUGGEST_NAME_MAX + 1;
	for (size_t j = 0; j <= m; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++) {
		unsigned *t;

		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= m; j++) {
			unsigned cost = fold(a[i - 1]) != fold(b[j - 1]);
			unsigned best = prev[j - 1] + cost;

			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) &&
			    fold(a[i - 2]) == fold(b[j - 1]) &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[m];
}

void suggest_init(struct suggest *s, const char *word)
{
	size_t n = strlen(word);

	s->word = word;
	s->best = NULL;
	s->best_distance = SUGGEST_NAME_MAX + 1;
	/* One slip in four characters, one at least: SO_REUSEADR is
	 * SO_REUSEADDR, but SO_BAR is not SO_MARK. */
	s->max_distance = n / 4 ? (unsigned)(n / 4) : 1;
}

void suggest_offer(struct suggest *s, const char *candidate)
{
	unsigned d;

	if (strcmp(s->word, candidate) == 0)
		return;
	d = suggest_distance(s->word, candidate);
	/* A distance as long as the word itself is no resemblance. */
	if (d > s->max_distance || d >= strlen(s->word) ||
	    d >= s->best_distance)
		return;
	s->best = candidate;
	s->best_distance = d;
}

const char *suggest_result(const struct suggest *s)
{
	return s->best;
}
