/* What the run's capture (sniff.c) and the pcap file's capture
 * (sniff_dump.c) share: how a capture on tun0 is made. */
#ifndef TCPCHECK_SNIFF_INTERNAL_H
#define TCPCHECK_SNIFF_INTERNAL_H

#include <pcap/pcap.h>

#include "diag.h"

/* A capture on ifname with everything that must happen before
 * pcap_activate: snapshot length (0: the largest packet tun0 can carry),
 * immediate delivery, a ring sized for the snapshot length, nanosecond
 * timestamps where the kernel has them. NULL after filling d. */
pcap_t *sniff_pcap_create(const char *ifname, unsigned int snaplen,
			  struct diag *d);

#endif
