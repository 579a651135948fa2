/* Where the kernel's timer ticks fall on CLOCK_MONOTONIC, so scripts can
 * start at a fixed offset into a tick (kernel timers fire on ticks). */
#ifndef TCPCHECK_TICKS_H
#define TCPCHECK_TICKS_H

#include <stdint.h>

/* Measure once per process (a few ticks of sleeping, never spinning);
 * forked children inherit the result. Cheap to call again. */
void ticks_calibrate(void);

/* The first time at least `after` (CLOCK_MONOTONIC ns) that lies offset_ns
 * after the moment a tick's handler ran; `after` itself when the ticks are
 * unknown. */
int64_t ticks_align(int64_t after, int64_t offset_ns);

/* What calibration found, for -v: 0 when unknown. */
int64_t ticks_period(void);
int64_t ticks_handler_lag(void);

#endif
