/* Capture of the packets the stack under test sends on tun0, with the
 * kernel's timestamps moved onto CLOCK_MONOTONIC. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sniff.h"
#include "sniff_internal.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* configure checks for the function; a build without config.h trusts
 * pcap.h, whose precision constants arrived together with it. */
#if defined(HAVE_PCAP_SET_TSTAMP_PRECISION) ||                                 \
    (!defined(HAVE_CONFIG_H) && defined(PCAP_TSTAMP_PRECISION_NANO))
#define SNIFF_NANO 1
#endif

/* libpcap's ring is made of blocks of a power-of-two size, each holding
 * whole frames of snaplen plus its headers: up to a snaplen of about
 * 65460 a frame fits a 64 KiB block, beyond it a frame takes a 128 KiB
 * block and the ring, all of it resident, doubles for nothing. The
 * largest packet tun0 sees is a TSO super-segment of at most 64 KiB less
 * the headroom TCP keeps (MAX_TCP_HEADER + 1: 65215 bytes of payload), so
 * 65336 bytes catch it whole; a longer one is reported as truncated,
 * never judged on a part. */
#define SNIFF_SNAPLEN_DEFAULT 65336
#define SNIFF_SNAP_HEADROOM 64
/* In immediate mode libpcap uses a TPACKET_V2 ring of fixed-size frames,
 * each big enough for snaplen: a 64 KiB snaplen leaves a 4 MiB buffer
 * just 64 frames. Size the ring for a burst of SNIFF_RING_FRAMES packets
 * between two reads, within bounds: the kernel zeroes the whole ring at
 * set-up without yielding (24 ms for 64 MiB here, stalling every other
 * run of a batch), and with TSO on 64 super-segments between two reads
 * is plenty; a run whose capture overflows says so (run_packets.c). */
#define SNIFF_RING_FRAMES 4096
#define SNIFF_FRAME_OVERHEAD 128 /* tpacket header, sockaddr_ll, align */
#define SNIFF_BUFFER_MIN (2 * 1024 * 1024)
#define SNIFF_BUFFER_MAX (4 * 1024 * 1024)
#define NSEC_PER_SEC INT64_C(1000000000)

/* LINKTYPE_LINUX_SLL2 may be missing from older pcap headers. */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

struct sniff {
	pcap_t *pcap;
	int fd;		  /* pcap's selectable fd */
	int tun_fd;	  /* borrowed, drained on every sniff_next */
	size_t link_hdr;  /* bytes in front of the IP header */
	int64_t frac_ns;  /* nanoseconds per unit of ts.tv_usec */
	int64_t real_off; /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
};

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * NSEC_PER_SEC + t->tv_nsec;
}

/* libpcap stamps packets with the kernel's CLOCK_REALTIME; the scheduler
 * lives on CLOCK_MONOTONIC. Read realtime, monotonic, realtime and take
 * the realtime midpoint as simultaneous with the monotonic reading; the
 * tightest of a few tries bounds the error by half its span (tens of
 * nanoseconds with the vDSO). Both clocks run at the same NTP-adjusted
 * rate, so the offset holds until someone steps the wall clock
 * (settimeofday, an NTP step): packets captured across a step are off by
 * the step. CLOCK_REALTIME is all the kernel offers packet sockets. */
int64_t sniff_clock_sync(struct sniff *s)
{
	int64_t best_span = INT64_MAX;

	for (int i = 0; i < 8; i++) {
		struct timespec r1, m, r2;
		int64_t span;

		clock_gettime(CLOCK_REALTIME, &r1);
		clock_gettime(CLOCK_MONOTONIC, &m);
		clock_gettime(CLOCK_REALTIME, &r2);
		span = ts_ns(&r2) - ts_ns(&r1);
		if (span < 0 || span >= best_span)
			continue;
		best_span = span;
		s->real_off = ts_ns(&r1) + span / 2 - ts_ns(&m);
	}
	return (best_span + 1) / 2;
}

/* tun is a point-to-point device without a link header: libpcap maps it
 * to DLT_RAW. The cooked types appear when capturing on "any". */
static int link_header_len(int dlt, size_t *len)
{
	switch (dlt) {
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		*len = 0;
		return 0;
	case DLT_LINUX_SLL:
		*len = 16;
		return 0;
	case DLT_LINUX_SLL2:
		*len = 20;
		return 0;
	default:
		return -1;
	}
}

static int pcap_fail(pcap_t *p, int status, const char *what,
		     const char *ifname, struct diag *d)
{
	diag_set(d, status, NULL, "cannot capture on %s: %s: %s", ifname, what,
		 pcap_geterr(p));
	pcap_close(p);
	return -1;
}

static int ring_size(unsigned int snaplen)
{
	size_t size =
	    ((size_t)snaplen + SNIFF_FRAME_OVERHEAD) * SNIFF_RING_FRAMES;

	if (size < SNIFF_BUFFER_MIN)
		size = SNIFF_BUFFER_MIN;
	if (size > SNIFF_BUFFER_MAX)
		size = SNIFF_BUFFER_MAX;
	return (int)size;
}

pcap_t *sniff_pcap_create(const char *ifname, unsigned int snaplen,
			  struct diag *d)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(ifname, err);

	if (!p) {
		diag_set(d, EXIT_INTERNAL, NULL, "cannot capture on %s: %s",
			 ifname, err);
		return NULL;
	}
	if (snaplen == 0 || snaplen > SNIFF_SNAPLEN_DEFAULT)
		snaplen = SNIFF_SNAPLEN_DEFAULT;
	/* On a tun device libpcap reads "cooked" and counts the cooked
	 * header it makes up against the snapshot length (1500 captures
	 * 1484 bytes of a 1500-byte packet), so leave room for it. */
	snaplen += SNIFF_SNAP_HEADROOM;
	pcap_set_snaplen(p, (int)snaplen);
	pcap_set_promisc(p, 0);
	/* Deliver each packet at once, not when a buffer block fills. */
	pcap_set_immediate_mode(p, 1);
	pcap_set_buffer_size(p, ring_size(snaplen));
#ifdef SNIFF_NANO
	/* Refused on old kernels: microseconds then, see sniff_activate. */
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
#endif
	return p;
}

static int sniff_activate(struct sniff *s, const char *ifname, struct diag *d)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	int r = pcap_activate(s->pcap);

	if (r < 0)
		return pcap_fail(s->pcap,
				 r == PCAP_ERROR_PERM_DENIED ? EXIT_SKIP
							     : EXIT_INTERNAL,
				 "activate", ifname, d);
	/* Only what the stack sends: our own injected packets are known. */
	if (pcap_setdirection(s->pcap, PCAP_D_OUT) < 0)
		return pcap_fail(s->pcap, EXIT_INTERNAL, "direction", ifname,
				 d);
	if (pcap_setnonblock(s->pcap, 1, err) < 0) {
		diag_set(d, EXIT_INTERNAL, NULL, "cannot capture on %s: %s",
			 ifname, err);
		pcap_close(s->pcap);
		return -1;
	}
	if (link_header_len(pcap_datalink(s->pcap), &s->link_hdr) < 0) {
		diag_set(d, EXIT_INTERNAL, NULL,
			 "cannot capture on %s: unexpected link type %s",
			 ifname,
			 pcap_datalink_val_to_name(pcap_datalink(s->pcap)));
		pcap_close(s->pcap);
		return -1;
	}
	s->frac_ns = 1000;
#ifdef SNIFF_NANO
	if (pcap_get_tstamp_precision(s->pcap) == PCAP_TSTAMP_PRECISION_NANO)
		s->frac_ns = 1;
#endif
	s->fd = pcap_get_selectable_fd(s->pcap);
	if (s->fd < 0)
		return pcap_fail(s->pcap, EXIT_INTERNAL, "no selectable fd",
				 ifname, d);
	return 0;
}

int sniff_open(struct sniff **out, const char *ifname, int tun_fd,
	       unsigned int snaplen, struct diag *d)
{
	struct sniff *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return diag_set(d, EXIT_INTERNAL, NULL, "out of memory");
	s->tun_fd = tun_fd;
	s->pcap = sniff_pcap_create(ifname, snaplen, d);
	if (!s->pcap || sniff_activate(s, ifname, d) < 0) {
		free(s);
		return -1;
	}
	sniff_clock_sync(s);
	*out = s;
	return 0;
}

int sniff_fd(const struct sniff *s)
{
	return s->fd;
}

static void set_mono_ts(const struct sniff *s, const struct pcap_pkthdr *h,
			struct timespec *mono_ts)
{
	int64_t ns = (int64_t)h->ts.tv_sec * NSEC_PER_SEC +
		     (int64_t)h->ts.tv_usec * s->frac_ns - s->real_off;

	mono_ts->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	mono_ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
}

int sniff_next(struct sniff *s, const uint8_t **pkt, size_t *len,
	       struct timespec *mono_ts, struct diag *d)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int r;

	if (s->tun_fd >= 0 && sniff_drain_tun(s->tun_fd) < 0)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"cannot drain the tun device: %s",
				strerror(errno));
	r = pcap_next_ex(s->pcap, &h, &data);
	if (r == 0 || r == PCAP_ERROR_BREAK)
		return 0;
	if (r < 0)
		return diag_set(d, EXIT_INTERNAL, NULL, "capture failed: %s",
				pcap_geterr(s->pcap));
	if (h->caplen < h->len || h->caplen < s->link_hdr)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"captured packet truncated to %u of %u bytes "
				"(snaplen too small)",
				h->caplen, h->len);
	*pkt = data + s->link_hdr;
	*len = h->caplen - s->link_hdr;
	set_mono_ts(s, h, mono_ts);
	return 1;
}

int sniff_drops(struct sniff *s, unsigned int *drops, struct diag *d)
{
	struct pcap_stat st;

	if (pcap_stats(s->pcap, &st) < 0)
		return diag_set(d, EXIT_INTERNAL, NULL,
				"cannot read capture statistics: %s",
				pcap_geterr(s->pcap));
	*drops = st.ps_drop;
	return 0;
}

/* Nobody else reads the tun fd, so every packet the stack sends also
 * waits there, in a ring of txqueuelen (500) packets; once it is full tun
 * drops each new packet and counts tx_dropped. The capture is not hurt
 * (libpcap's copy is taken before the driver sees the packet) and TCP
 * does not notice (tun orphans the buffers), but the ring pins memory
 * and the counters lie, so whoever reads the capture empties the ring.
 * A read dequeues one whole packet even when the buffer is shorter (the
 * rest is cut off), so a small buffer suffices to discard. */
int sniff_drain_tun(int tun_fd)
{
	uint8_t discard[256];
	int n = 0;

	for (;;) {
		ssize_t r = read(tun_fd, discard, sizeof(discard));

		if (r > 0) {
			n++;
			continue;
		}
		if (r == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
			return n;
		if (errno != EINTR)
			return -1;
	}
}

void sniff_close(struct sniff *s)
{
	if (!s)
		return;
	pcap_close(s->pcap);
	free(s);
}
