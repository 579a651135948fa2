/* Tick phase: CLOCK_MONOTONIC_COARSE holds the monotonic time of the last
 * tick, but on some machines (virtual ones) the handler that publishes it,
 * and that runs the kernel's timers, comes a little later. packetdrill
 * finds the handler's moment by spinning on times(); here the coarse clock
 * is sampled with short sleeps instead, once per process. */
#include "ticks.h"

#include <errno.h>
#include <time.h>

#define POLL_NS 20000LL

static int64_t tick_ns;     /* 0: unknown */
static int64_t handler_lag; /* handler run time - coarse value */

static int64_t read_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = {ns / 1000000000LL, ns % 1000000000LL};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Sleep-poll until the coarse clock moves past `from`; returns its new
 * value, or -1 after `limit` (tickless idle or an odd clock). */
static int64_t wait_change(int64_t from, int64_t limit)
{
	for (;;) {
		int64_t c = read_ns(CLOCK_MONOTONIC_COARSE);

		if (c != from)
			return c;
		if (read_ns(CLOCK_MONOTONIC) > limit)
			return -1;
		sleep_ns(POLL_NS);
	}
}

void ticks_calibrate(void)
{
	struct timespec res;
	int64_t c, limit;

	if (tick_ns || clock_getres(CLOCK_MONOTONIC_COARSE, &res))
		return;
	if (res.tv_sec || res.tv_nsec <= 0 || res.tv_nsec > 100000000)
		return;
	limit = read_ns(CLOCK_MONOTONIC) + 4 * res.tv_nsec;
	/* The first change only tells where the grid is; the second is
	 * watched from just before it, so its moment is sharp. */
	c = wait_change(read_ns(CLOCK_MONOTONIC_COARSE), limit);
	if (c < 0)
		return;
	sleep_ns(c + res.tv_nsec - read_ns(CLOCK_MONOTONIC) - POLL_NS);
	int64_t next = wait_change(c, limit);

	if (next < 0)
		return;
	handler_lag = read_ns(CLOCK_MONOTONIC) - next - POLL_NS / 2;
	if (handler_lag < 0 || handler_lag >= res.tv_nsec)
		handler_lag = 0;
	tick_ns = res.tv_nsec;
}

int64_t ticks_align(int64_t after, int64_t offset_ns)
{
	int64_t t;

	if (!tick_ns)
		return after;
	t = read_ns(CLOCK_MONOTONIC_COARSE) + handler_lag + offset_ns;
	while (t < after)
		t += tick_ns;
	return t;
}

int64_t ticks_period(void)
{
	return tick_ns;
}

int64_t ticks_handler_lag(void)
{
	return handler_lag;
}
