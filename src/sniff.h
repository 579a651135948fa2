/* Capture of the packets the stack under test sends on tun0, with the
 * kernel's timestamps moved onto CLOCK_MONOTONIC. */
#ifndef TCPCHECK_SNIFF_H
#define TCPCHECK_SNIFF_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "diag.h"

struct sniff;

/* Start capturing outbound packets on ifname (call it inside the run's
 * namespace). tun_fd, when not -1, is the fd that owns the tun device:
 * sniff_next then drains it too (sniff_drain_tun says why); the fd stays
 * the caller's. snaplen is the largest packet the stack may send: tun0's
 * MTU while offloads are off, 0 (meaning 65535) once TSO is on. It sizes
 * the capture ring too, so MTU-sized is also the cheap choice: 4096
 * packets fit between two reads, against ~500 at 64 KiB. */
int sniff_open(struct sniff **out, const char *ifname, int tun_fd,
	       unsigned int snaplen, struct diag *d);

/* An fd to poll for POLLIN: readable when sniff_next may have a packet. */
int sniff_fd(const struct sniff *s);

/* The next captured packet, starting at its IP header: 1 and *pkt, *len,
 * *mono_ts set (valid until the next call), 0 when none is ready (never
 * blocks), -1 on error. mono_ts is the kernel's transmit timestamp on
 * CLOCK_MONOTONIC. */
int sniff_next(struct sniff *s, const uint8_t **pkt, size_t *len,
	       struct timespec *mono_ts, struct diag *d);

/* Packets the capture lost because its buffer was full (0 in a healthy
 * run; a run that lost any cannot trust a "packet missing" verdict). */
int sniff_drops(struct sniff *s, unsigned int *drops, struct diag *d);

/* Re-measure the CLOCK_REALTIME - CLOCK_MONOTONIC offset used to convert
 * timestamps; sniff_open does it once. Needed only after the wall clock
 * was stepped. Returns the measurement's uncertainty in nanoseconds. */
int64_t sniff_clock_sync(struct sniff *s);

/* Read and discard every packet queued on a non-blocking tun fd; returns
 * how many, or -1 with errno set. */
int sniff_drain_tun(int tun_fd);

void sniff_close(struct sniff *s);

#endif
