/* Unit tests of the keeper watch: what counts as a late sleep, which CPU
 * the records point at, and that the watch starts, is seen by a forked
 * process, and stops. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "keeper.h"

#define MS 1000000LL

static void test_late_is_a_whole_tick(void **state)
{
	(void)state;
	/* Due on the second tick: 4 to 8 ms at HZ=250. */
	assert_false(keeper_is_late(5 * MS, 4 * MS));
	assert_false(keeper_is_late(8 * MS, 4 * MS));
	assert_false(keeper_is_late(10 * MS, 4 * MS));
	assert_true(keeper_is_late(10 * MS + 1, 4 * MS));
	assert_true(keeper_is_late(12 * MS, 4 * MS));
	/* HZ=1000 */
	assert_false(keeper_is_late(2 * MS, 1 * MS));
	assert_true(keeper_is_late(3 * MS, 1 * MS));
}

static void test_nobody_late_is_unknown(void **state)
{
	const uint64_t last_late[2] = {0, 0};
	const bool enough[2] = {true, true};

	(void)state;
	assert_int_equal(keeper_choose(last_late, enough, 2, -1), -1);
	assert_int_equal(keeper_choose(last_late, enough, 2, 1), -1);
}

static void test_the_one_never_late(void **state)
{
	const uint64_t last_late[2] = {0, 7};
	const bool enough[2] = {true, true};

	(void)state;
	assert_int_equal(keeper_choose(last_late, enough, 2, -1), 0);
	/* A late CPU is not the keeper, whatever it was. */
	assert_int_equal(keeper_choose(last_late, enough, 2, 1), 0);
}

static void test_late_longest_ago(void **state)
{
	/* CPU 1 was late at sleep 5, then the duty moved: CPU 0 at 9. */
	const uint64_t last_late[2] = {9, 5};
	const bool enough[2] = {true, true};

	(void)state;
	assert_int_equal(keeper_choose(last_late, enough, 2, 0), 1);
	assert_int_equal(keeper_choose(last_late, enough, 2, -1), 1);
}

static void test_too_few_sleeps_do_not_count(void **state)
{
	const uint64_t last_late[3] = {0, 4, 0};
	const bool enough[3] = {false, true, true};

	(void)state;
	assert_int_equal(keeper_choose(last_late, enough, 3, -1), 2);
}

static void test_ties_keep_the_current(void **state)
{
	/* Two CPUs never late (one may hand its timers to the keeper). */
	const uint64_t last_late[3] = {0, 0, 6};
	const bool enough[3] = {true, true, true};

	(void)state;
	assert_int_equal(keeper_choose(last_late, enough, 3, 1), 1);
	assert_int_equal(keeper_choose(last_late, enough, 3, 0), 0);
	assert_int_equal(keeper_choose(last_late, enough, 3, -1), -1);
	assert_int_equal(keeper_choose(last_late, enough, 3, 2), -1);
}

/* The watch on this machine: what it finds depends on the machine, but a
 * forked process reads the same answer, and stopping is prompt. */
static void test_watch_starts_and_stops(void **state)
{
	cpu_set_t usable;
	struct timespec a, b;
	pid_t pid;
	int ws, seen;

	(void)state;
	sched_getaffinity(0, sizeof(usable), &usable);
	if (CPU_COUNT(&usable) < 2) {
		assert_int_equal(keeper_start(), -1);
		assert_int_equal(keeper_cpu(), -1);
		return;
	}
	assert_int_equal(keeper_start(), 0);
	assert_int_equal(keeper_start(), 0); /* once is enough */
	usleep(200000);
	seen = keeper_cpu();
	assert_true(seen >= -1 && seen < CPU_SETSIZE);
	assert_true(seen < 0 || CPU_ISSET(seen, &usable));
	pid = fork();
	if (pid == 0) {
		int cpu = keeper_cpu();

		keeper_stop(); /* not the owner: nothing to stop */
		_exit(cpu >= -1 && cpu < CPU_SETSIZE ? 0 : 1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	keeper_stop();
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true((b.tv_sec - a.tv_sec) * 1000000000LL +
			    (b.tv_nsec - a.tv_nsec) <
		    500 * MS);
	/* The answer stays readable; the watch starts again. */
	assert_true(keeper_cpu() >= -1);
	assert_int_equal(keeper_start(), 0);
	keeper_stop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_late_is_a_whole_tick),
		cmocka_unit_test(test_nobody_late_is_unknown),
		cmocka_unit_test(test_the_one_never_late),
		cmocka_unit_test(test_late_longest_ago),
		cmocka_unit_test(test_too_few_sleeps_do_not_count),
		cmocka_unit_test(test_ties_keep_the_current),
		cmocka_unit_test(test_watch_starts_and_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
