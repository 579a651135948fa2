/* --pcap: every packet on tun0, both directions, written to a pcap file
 * while the run goes on. */
#ifndef TCPCHECK_SNIFF_DUMP_H
#define TCPCHECK_SNIFF_DUMP_H

#include "diag.h"

struct sniff_dump;

/* Empty the file open for writing on fd (it stays the caller's; an
 * earlier attempt of the run may have written there) and start writing
 * every packet seen on ifname from now on, sent and received, with the
 * kernel's timestamps. Call it inside the run's namespace once ifname
 * exists. A thread of its own reads the capture and flushes the file
 * after every read, so that a run killed at any point leaves a file that
 * holds everything up to then. */
int sniff_dump_start(struct sniff_dump **out, const char *ifname, int fd,
		     struct diag *d);

/* Write what is still queued, stop, and close the file. -1 (d says why)
 * when the file misses packets or could not be written; it is closed
 * either way. dump may be NULL. */
int sniff_dump_stop(struct sniff_dump *dump, struct diag *d);

#endif
