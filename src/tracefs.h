/* A tracefs instance of one run's own: one event, a kernel-side filter,
 * read as text, and removed on every way out. */
#ifndef TCPCHECK_TRACEFS_H
#define TCPCHECK_TRACEFS_H

#include <stddef.h>
#include <sys/types.h>

struct tracefs;

/* Make the instance "tcpcheck-<pid>-<n>" for an n below slots that no
 * other live instance of ours holds, and take n as the run's own: the
 * instance's name is the claim, machine-wide, however many tcpcheck
 * processes there are. Its clock is "mono" (CLOCK_MONOTONIC). Returns 0;
 * -1 with why ("no tracefs", "tracefs: Permission denied", "no free
 * slot") filled. While it exists, SIGTERM, SIGINT and SIGHUP remove it
 * before they end the process. */
int tracefs_open(struct tracefs **out, unsigned slots, unsigned *slot,
		 char *why, size_t why_len);

/* Enable event ("sock/inet_sock_set_state") under filter (the kernel's
 * filter syntax) and open the pipe that reads it. 0, or -1 with why. */
int tracefs_enable(struct tracefs *t, const char *event, const char *filter,
		   char *why, size_t why_len);

/* What the pipe holds now, without waiting; 0 when nothing, -1 with
 * errno on failure. Lines may be cut between reads. */
ssize_t tracefs_read(struct tracefs *t, char *buf, size_t len);

/* The instance's name, for messages. */
const char *tracefs_name(const struct tracefs *t);

/* Close and remove the instance. NULL is fine. */
void tracefs_close(struct tracefs *t);

/* Remove the instances of ours whose process is gone (a run killed with
 * SIGKILL cannot remove its own). One still in use by a process of
 * another PID namespace is busy and stays. Returns how many remain of
 * dead processes (busy: their files are still being closed). */
int tracefs_sweep(void);

#endif
