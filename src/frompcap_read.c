/* --from-pcap's reader: a capture file through libpcap, link layers peeled
 * off, TCP segments grouped by 4-tuple. */
#include "frompcap_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ARPHRD_LOOPBACK 772
#define PACKET_OUTGOING 4

enum link_verdict { LINK_IP, LINK_OTHER, LINK_DUPLICATE };

static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Where the IP header starts in a frame of link type dlt; the caller
 * made sure that caplen covers the link header (hdr_len says its size).
 * Returns LINK_OTHER for what is not IP. */
static enum link_verdict ip_offset(int dlt, const uint8_t *f, size_t len,
				   size_t *off)
{
	uint16_t proto;

	switch (dlt) {
	case DLT_EN10MB:
		*off = 14;
		if (len < 14)
			return LINK_OTHER;
		proto = be16_at(f + 12);
		/* 802.1Q and 802.1ad tags, up to two of them. */
		for (int i = 0; i < 2 && (proto == 0x8100 || proto == 0x88a8);
		     i++) {
			if (len < *off + 4)
				return LINK_OTHER;
			proto = be16_at(f + *off + 2);
			*off += 4;
		}
		break;
	case DLT_LINUX_SLL:
		*off = 16;
		if (len < 16)
			return LINK_OTHER;
		/* "any" sees a loopback packet twice, leaving and arriving:
		 * keep the arrival. */
		if (be16_at(f) == PACKET_OUTGOING &&
		    be16_at(f + 2) == ARPHRD_LOOPBACK)
			return LINK_DUPLICATE;
		proto = be16_at(f + 14);
		break;
	case DLT_LINUX_SLL2:
		*off = 20;
		if (len < 20)
			return LINK_OTHER;
		if (f[10] == PACKET_OUTGOING &&
		    be16_at(f + 8) == ARPHRD_LOOPBACK)
			return LINK_DUPLICATE;
		proto = be16_at(f);
		break;
	case DLT_NULL:
	case DLT_LOOP:
		/* The family's value and byte order vary by system; the IP
		 * version nibble says the same. */
		*off = 4;
		return len > 4 ? LINK_IP : LINK_OTHER;
	default: /* DLT_RAW, DLT_IPV4, DLT_IPV6 */
		*off = 0;
		return len > 0 ? LINK_IP : LINK_OTHER;
	}
	return proto == ETH_P_IP || proto == ETH_P_IPV6 ? LINK_IP : LINK_OTHER;
}

static bool link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	default:
		return false;
	}
}

void fp_endpoint_format(const struct fp_endpoint *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(e->family, &e->addr, a, sizeof(a));
	snprintf(buf, len, e->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 e->port);
}

bool fp_endpoint_equal(const struct fp_endpoint *x,
		       const struct fp_endpoint *y)
{
	size_t n = x->family == AF_INET6 ? sizeof(x->addr.v6)
					 : sizeof(x->addr.v4);

	return x->family == y->family && x->port == y->port &&
	       !memcmp(&x->addr, &y->addr, n);
}

static uint64_t endpoint_hash(const struct fp_endpoint *e)
{
	const uint8_t *p = (const uint8_t *)&e->addr;
	size_t n = e->family == AF_INET6 ? 16 : 4;
	uint64_t h = 1469598103934665603u; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211u;
	return (h ^ e->port) * 1099511628211u;
}

/* Both directions of a connection land in the same slot. */
static size_t pair_slot(const struct fp_capture *c,
			const struct fp_endpoint *x,
			const struct fp_endpoint *y)
{
	return (size_t)(endpoint_hash(x) + endpoint_hash(y)) &
	       (c->slot_cap - 1);
}

static bool conn_is(const struct fp_conn *k, const struct fp_endpoint *src,
		    const struct fp_endpoint *dst)
{
	return (fp_endpoint_equal(&k->a, src) &&
		fp_endpoint_equal(&k->b, dst)) ||
	       (fp_endpoint_equal(&k->a, dst) &&
		fp_endpoint_equal(&k->b, src));
}

/* The table's index of src <-> dst, or SIZE_MAX; *slot is where it is or
 * would go. */
static size_t conn_find(const struct fp_capture *c,
			const struct fp_endpoint *src,
			const struct fp_endpoint *dst, size_t *slot)
{
	size_t s;

	*slot = 0;
	if (!c->slot_cap)
		return SIZE_MAX;
	s = pair_slot(c, src, dst);
	while (c->slots[s]) {
		if (conn_is(&c->conns[c->slots[s] - 1], src, dst)) {
			*slot = s;
			return c->slots[s] - 1;
		}
		s = (s + 1) & (c->slot_cap - 1);
	}
	*slot = s;
	return SIZE_MAX;
}

/* Keep the table at most half full. */
static int grow_slots(struct fp_capture *c)
{
	size_t cap = c->slot_cap ? c->slot_cap * 2 : 64;
	size_t *old = c->slots, old_cap = c->slot_cap;

	c->slots = calloc(cap, sizeof(*c->slots));
	if (!c->slots) {
		c->slots = old;
		return -1;
	}
	c->slot_cap = cap;
	for (size_t i = 0; i < old_cap; i++) {
		size_t s;

		if (!old[i])
			continue;
		conn_find(c, &c->conns[old[i] - 1].a, &c->conns[old[i] - 1].b,
			  &s);
		c->slots[s] = old[i];
	}
	free(old);
	return 0;
}

static int conn_add(struct fp_capture *c, const struct fp_endpoint *src,
		    const struct fp_endpoint *dst, int64_t ns, size_t *index)
{
	size_t slot;

	if ((c->count + 1) * 2 > c->slot_cap && grow_slots(c))
		return -1;
	if (c->count == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct fp_conn *n = realloc(c->conns, cap * sizeof(*n));

		if (!n)
			return -1;
		c->conns = n;
		c->cap = cap;
	}
	conn_find(c, src, dst, &slot);
	c->conns[c->count] = (struct fp_conn){
		.a = *src, .b = *dst, .first_ns = ns};
	c->slots[slot] = ++c->count;
	*index = c->count - 1;
	return 0;
}

static int seg_add(struct fp_capture *c, const struct fp_seg *s)
{
	if (c->seg_count == c->seg_cap) {
		size_t cap = c->seg_cap ? c->seg_cap * 2 : 64;
		struct fp_seg *n = realloc(c->segs, cap * sizeof(*n));

		if (!n)
			return -1;
		c->segs = n;
		c->seg_cap = cap;
	}
	c->segs[c->seg_count++] = *s;
	return 0;
}

/* A TCP segment worth keeping, or false (counted) when the frame is not
 * one: cut short, malformed, not IP or not TCP. */
static bool frame_segment(struct fp_capture *c, int dlt,
			  const struct pcap_pkthdr *h, const uint8_t *f,
			  struct packet *p)
{
	struct tcp_option_storage st;
	size_t off;
	enum link_verdict v;

	if (h->caplen < h->len) {
		c->truncated++;
		return false;
	}
	v = ip_offset(dlt, f, h->caplen, &off);
	if (v == LINK_DUPLICATE)
		return false;
	if (v == LINK_OTHER) {
		c->other_link++;
		return false;
	}
	if (packet_decode(f + off, h->caplen - off, p, NULL, 0)) {
		c->malformed++;
		return false;
	}
	if (p->protocol != IPPROTO_TCP)
		return false;
	if (tcp_options_decode(p->u.tcp.options, p->u.tcp.options_len,
			       tcp_option_storage_list(&st), NULL, 0)) {
		c->malformed++;
		return false;
	}
	return true;
}

static void endpoints_of(const struct packet *p, struct fp_endpoint *src,
			 struct fp_endpoint *dst)
{
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	src->family = dst->family = p->family;
	src->addr = p->src;
	dst->addr = p->dst;
	src->port = p->u.tcp.sport;
	dst->port = p->u.tcp.dport;
}

/* One frame into the table (want SIZE_MAX) or into the segments of
 * connection want. */
static int take_frame(struct fp_capture *c, size_t want, int dlt,
		      const struct pcap_pkthdr *h, const uint8_t *f,
		      struct packet *pp)
{
	const struct packet_tcp *t = &pp->u.tcp;
	struct fp_endpoint src, dst;
	int64_t ns = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec;
	size_t slot, i;

	c->frames++;
	if (!frame_segment(c, dlt, h, f, pp))
		return 0;
	endpoints_of(pp, &src, &dst);
	i = conn_find(c, &src, &dst, &slot);
	if (want == SIZE_MAX) {
		if (i == SIZE_MAX && conn_add(c, &src, &dst, ns, &i))
			return -1;
		c->conns[i].segments++;
		if (t->flags & TCPF_SYN)
			c->conns[i].has_syn = true;
		return 0;
	}
	if (i != want)
		return 0;
	return seg_add(c, &(struct fp_seg){
				  .ns = ns,
				  .frame = c->frames,
				  .from_a = fp_endpoint_equal(&c->conns[i].a,
							      &src),
				  .tos = pp->tos,
				  .tcp = *t,
			  });
}

int fp_read(struct fp_capture *c, size_t want, struct diag *d)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *h;
	const u_char *f;
	FILE *fp = fopen(c->file, "rb");
	struct packet *p;
	pcap_t *pc;
	int dlt, r = 1;

	if (!fp)
		return diag_set(d, EXIT_USAGE, NULL, "cannot read it: %s",
				strerror(errno));
	/* pcap_close closes fp once pc owns it. */
	pc = pcap_fopen_offline_with_tstamp_precision(
		fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!pc) {
		fclose(fp);
		return diag_set(d, EXIT_USAGE, NULL,
				"not a capture libpcap can read: %s", errbuf);
	}
	dlt = pcap_datalink(pc);
	if (!link_supported(dlt)) {
		const char *name = pcap_datalink_val_to_name(dlt);

		pcap_close(pc);
		return diag_set(d, EXIT_USAGE, NULL,
				"link type %s (%d) is not one --from-pcap "
				"reads: EN10MB, RAW, IPV4, IPV6, LINUX_SLL, "
				"LINUX_SLL2, NULL or LOOP",
				name ? name : "unknown", dlt);
	}
	/* Big (ICMP errors quote up to 1232 bytes): not on the stack. */
	p = malloc(sizeof(*p));
	c->frames = c->truncated = c->malformed = c->other_link = 0;
	c->seg_count = 0;
	while (p && (r = pcap_next_ex(pc, &h, &f)) == 1)
		if (take_frame(c, want, dlt, h, f, p))
			break;
	if (!p || r == 1) {
		free(p);
		pcap_close(pc);
		return diag_set(d, EXIT_INTERNAL, NULL, "out of memory");
	}
	free(p);
	if (r == PCAP_ERROR) {
		c->cut_short = true;
		snprintf(c->cut_reason, sizeof(c->cut_reason), "%s",
			 pcap_geterr(pc));
	}
	pcap_close(pc);
	return 0;
}

void fp_capture_free(struct fp_capture *c)
{
	free(c->conns);
	free(c->slots);
	free(c->segs);
	c->conns = NULL;
	c->slots = NULL;
	c->segs = NULL;
}
