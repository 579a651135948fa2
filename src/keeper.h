/* Which CPU keeps the kernel's time (moves jiffies on its tick), found by
 * watching, so that a run can do its events there. */
#ifndef TCPCHECK_KEEPER_H
#define TCPCHECK_KEEPER_H

#include <stdbool.h>
#include <stdint.h>

/* Start watching in the background: one sleeping thread per usable CPU.
 * What they find is kept on a shared page, so processes forked later
 * (a batch's runs) read it too. Returns -1 when there is nothing to
 * watch (one CPU) or no way to; keeper_cpu() then stays -1. */
int keeper_start(void);

/* Stop the threads (forked children keep the last answer). */
void keeper_stop(void);

/* The keeper's CPU number, or -1 while unknown. */
int keeper_cpu(void);

/* How one sleep of one jiffy went: woken on the tick it was due (false)
 * or a tick or more later (true). Exposed for the unit tests. */
bool keeper_is_late(int64_t slept_ns, int64_t tick_ns);

/* The choice, from when each CPU was last late (a count of all sleeps
 * then, 0: never) and whether it slept enough to count: the CPU late
 * longest ago (after some CPU was late at all), or among equals the
 * current keeper, else -1. Exposed for the unit tests. */
int keeper_choose(const uint64_t *last_late, const bool *enough, int cpus,
		  int current);

#endif
