/* A run's /tmp: the host's, seen through an overlay whose writes stay
 * with the run, so scripts' temporary files never reach the machine. */
#ifndef TCPCHECK_SCRATCH_H
#define TCPCHECK_SCRATCH_H

/* In a mount namespace of the calling process's own (made here; call it
 * single-threaded, after the network namespace), put an overlay on /tmp:
 * reads see the host's /tmp, files made or changed there live in a tmpfs
 * that goes away with the process. Returns 0, or -1 with errno when it
 * could not (then /tmp is the host's, as before). */
int scratch_private_tmp(void);

#endif
