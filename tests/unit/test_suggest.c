/* Unit tests of "did you mean": the edit distance and which known name,
 * if any, is close enough to suggest. */
#include <setjmp.h> /* cmocka.h needs these three first */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "suggest.h"

static void test_distance(void **state)
{
	(void)state;
	assert_int_equal(suggest_distance("", ""), 0);
	assert_int_equal(suggest_distance("abc", ""), 3);
	assert_int_equal(suggest_distance("", "abc"), 3);
	assert_int_equal(suggest_distance("SO_REUSEADDR", "SO_REUSEADDR"), 0);
	/* one deletion, insertion, substitution */
	assert_int_equal(suggest_distance("SO_REUSEADR", "SO_REUSEADDR"), 1);
	assert_int_equal(suggest_distance("setsockopts", "setsockopt"), 1);
	assert_int_equal(suggest_distance("POLLIM", "POLLIN"), 1);
	/* a swap of neighbours is one edit, not two */
	assert_int_equal(suggest_distance("lsiten", "listen"), 1);
	assert_int_equal(suggest_distance("ab", "ba"), 1);
	assert_int_equal(suggest_distance("kitten", "sitting"), 3);
	/* case does not count */
	assert_int_equal(suggest_distance("so_reuseaddr", "SO_REUSEADDR"), 0);
}

static void test_distance_too_long(void **state)
{
	char longer[SUGGEST_NAME_MAX + 2];

	(void)state;
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(suggest_distance(longer, "a"), SUGGEST_NAME_MAX + 1);
	longer[SUGGEST_NAME_MAX] = '\0';
	assert_int_equal(suggest_distance(longer, longer), 0);
}

static const char *best(const char *word, const char *const *names)
{
	static struct suggest s;

	suggest_init(&s, word);
	for (size_t i = 0; names[i]; i++)
		suggest_offer(&s, names[i]);
	return suggest_result(&s);
}

static const char *const symbols[] = {
	"SO_REUSEADDR", "SO_REUSEPORT", "SO_MARK", "SO_ERROR", "POLLIN",
	"POLLOUT", "EPIPE", NULL,
};

static const char *const calls[] = {
	"socket", "setsockopt", "getsockopt", "read", "write", "listen",
	"accept", NULL,
};

static void test_best(void **state)
{
	(void)state;
	assert_string_equal(best("SO_REUSEADR", symbols), "SO_REUSEADDR");
	assert_string_equal(best("so_reuseaddr", symbols), "SO_REUSEADDR");
	assert_string_equal(best("POLLIM", symbols), "POLLIN");
	assert_string_equal(best("EPIPEE", symbols), "EPIPE");
	assert_string_equal(best("setsockop", calls), "setsockopt");
	assert_string_equal(best("lsiten", calls), "listen");
	assert_string_equal(best("wirte", calls), "write");
}

static void test_nothing_close(void **state)
{
	(void)state;
	/* Two edits in six characters is a different name. */
	assert_null(best("SO_BAR", symbols));
	assert_null(best("frobnicate", calls));
	/* Nothing is suggested for a word that is known already. */
	assert_null(best("socket", calls));
	/* Short words: one edit only, and never all of the word. */
	assert_null(best("ab", calls));
	assert_null(best("x", (const char *const[]){"y", NULL}));
	assert_string_equal(best("rad", calls), "read");
}

static void test_first_of_equals(void **state)
{
	static const char *const two[] = {"POLLIN", "POLLON", NULL};

	(void)state;
	/* Both one edit away: the first offered wins. */
	assert_string_equal(best("POLLAN", two), "POLLIN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_distance_too_long),
		cmocka_unit_test(test_best),
		cmocka_unit_test(test_nothing_close),
		cmocka_unit_test(test_first_of_equals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
