/* Unit tests of the packet codec: known wire vectors, round trips, every
 * truncation, malformed headers and the script-syntax formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "packet/packet.h"
#include "packet/wire.h"

#define REMOTE4 "192.0.2.1"
#define LOCAL4 "192.168.0.1"
#define REMOTE6 "fd3d:fa7b:d17d::1"
#define LOCAL6 "fd3d:a0b:17d6::1"

/* The vectors below were built by this code and checked independently:
 * tcpdump 4.99 -vvv reports every TCP, UDP and ICMPv6 checksum "correct"
 * and the IPv4 and ICMPv4 sums were recomputed by a separate script. */

/* 192.0.2.1:40000 > 192.168.0.1:8080 S 0:0(0) win 65535
 * <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>, tos ECT(0), id 0x1234,
 * DF. */
static const uint8_t syn_v4[] = {
	0x45, 0x02, 0x00, 0x3c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0xa5, 0xdb,
	0xc0, 0x00, 0x02, 0x01, 0xc0, 0xa8, 0x00, 0x01, 0x9c, 0x40, 0x1f, 0x90,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xff, 0xff,
	0x09, 0x21, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
	0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* [fd3d:fa7b:d17d::1]:40000 > [fd3d:a0b:17d6::1]:8080 P. 1:11(10)
 * ack 0x10000001 win 257 <nop,nop,TS val 1 ecr 2>, class 0x01, flow label
 * 0x12345. */
static const uint8_t data_v6[] = {
	0x60, 0x11, 0x23, 0x45, 0x00, 0x2a, 0x06, 0x40, 0xfd, 0x3d, 0xfa, 0x7b,
	0xd1, 0x7d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0xfd, 0x3d, 0x0a, 0x0b, 0x17, 0xd6, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x9c, 0x40, 0x1f, 0x90, 0x00, 0x00, 0x00, 0x01,
	0x10, 0x00, 0x00, 0x01, 0x80, 0x18, 0x01, 0x01, 0xc1, 0x7c, 0x00, 0x00,
	0x01, 0x01, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* 192.0.2.1:53 > 192.168.0.1:5353 udp (5). */
static const uint8_t udp_v4[] = {
	0x45, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x40, 0x11, 0xf8, 0x21,
	0xc0, 0x00, 0x02, 0x01, 0xc0, 0xa8, 0x00, 0x01, 0x00, 0x35, 0x14, 0xe9,
	0x00, 0x0d, 0x68, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* The same over IPv6. */
static const uint8_t udp_v6[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x11, 0x40, 0xfd, 0x3d, 0xfa, 0x7b,
	0xd1, 0x7d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0xfd, 0x3d, 0x0a, 0x0b, 0x17, 0xd6, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x35, 0x14, 0xe9, 0x00, 0x0d, 0x02, 0x5e,
	0x00, 0x00, 0x00, 0x00, 0x00,
};

/* icmp unreachable frag_needed mtu 840, quoting the IP header and 8 bytes
 * of 192.168.0.1:8080 > 192.0.2.1:40000 S 0xabcdef01:(1000), DF. */
static const uint8_t frag_needed_v4[] = {
	0x45, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0xf8, 0x1a,
	0xc0, 0x00, 0x02, 0x01, 0xc0, 0xa8, 0x00, 0x01, 0x03, 0x04, 0xa3, 0x13,
	0x00, 0x00, 0x03, 0x48, 0x45, 0x00, 0x04, 0x10, 0x00, 0x00, 0x40, 0x00,
	0x40, 0x06, 0xb4, 0x3d, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0x00, 0x02, 0x01,
	0x1f, 0x90, 0x9c, 0x40, 0xab, 0xcd, 0xef, 0x01,
};

/* icmp packet_too_big mtu 1400, quoting the IPv6 header and the 20-byte
 * TCP header of [fd3d:a0b:17d6::1]:8080 > [fd3d:fa7b:d17d::1]:40000
 * S 0xabcdef01:(1440) win 64240. */
static const uint8_t too_big_v6[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x44, 0x3a, 0x40, 0xfd, 0x3d, 0xfa, 0x7b,
	0xd1, 0x7d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0xfd, 0x3d, 0x0a, 0x0b, 0x17, 0xd6, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0xa9, 0x76, 0x00, 0x00, 0x05, 0x78,
	0x60, 0x00, 0x00, 0x00, 0x05, 0xb4, 0x06, 0x40, 0xfd, 0x3d, 0x0a, 0x0b,
	0x17, 0xd6, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0xfd, 0x3d, 0xfa, 0x7b, 0xd1, 0x7d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x1f, 0x90, 0x9c, 0x40, 0xab, 0xcd, 0xef, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0xfa, 0xf0, 0x70, 0x59, 0x00, 0x00,
};

static const struct {
	const char *name;
	const uint8_t *bytes;
	size_t len;
} vectors[] = {
	{ "syn_v4", syn_v4, sizeof(syn_v4) },
	{ "data_v6", data_v6, sizeof(data_v6) },
	{ "udp_v4", udp_v4, sizeof(udp_v4) },
	{ "udp_v6", udp_v6, sizeof(udp_v6) },
	{ "frag_needed_v4", frag_needed_v4, sizeof(frag_needed_v4) },
	{ "too_big_v6", too_big_v6, sizeof(too_big_v6) },
};

#define N_VECTORS (sizeof(vectors) / sizeof(*vectors))

/* --- helpers -------------------------------------------------------------- */

static void set_addrs(struct packet *p, const char *src, const char *dst)
{
	void *s = p->family == AF_INET ? (void *)&p->src.v4 : &p->src.v6;
	void *d = p->family == AF_INET ? (void *)&p->dst.v4 : &p->dst.v6;

	assert_int_equal(inet_pton(p->family, src, s), 1);
	assert_int_equal(inet_pton(p->family, dst, d), 1);
}

static void build_syn_v4(struct packet *p)
{
	static const uint8_t opts[] = { 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0,
					0, 100, 0, 0, 0, 0, 1, 3, 3, 7 };

	packet_init(p, AF_INET, IPPROTO_TCP);
	set_addrs(p, REMOTE4, LOCAL4);
	p->df = true;
	p->ip_id = 0x1234;
	p->tos = PACKET_ECT0;
	p->u.tcp.sport = 40000;
	p->u.tcp.dport = 8080;
	p->u.tcp.flags = TCPF_SYN;
	p->u.tcp.win = 65535;
	memcpy(p->u.tcp.options, opts, sizeof(opts));
	p->u.tcp.options_len = sizeof(opts);
}

static void build_data_v6(struct packet *p)
{
	static const uint8_t opts[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };

	packet_init(p, AF_INET6, IPPROTO_TCP);
	set_addrs(p, REMOTE6, LOCAL6);
	p->tos = PACKET_ECT1;
	p->flowlabel = 0x12345;
	p->u.tcp.sport = 40000;
	p->u.tcp.dport = 8080;
	p->u.tcp.seq = 1;
	p->u.tcp.ack = 0x10000001;
	p->u.tcp.flags = TCPF_PSH | TCPF_ACK;
	p->u.tcp.win = 257;
	p->u.tcp.payload_len = 10;
	memcpy(p->u.tcp.options, opts, sizeof(opts));
	p->u.tcp.options_len = sizeof(opts);
}

static void build_udp(struct packet *p, int family)
{
	packet_init(p, family, IPPROTO_UDP);
	if (family == AF_INET)
		set_addrs(p, REMOTE4, LOCAL4);
	else
		set_addrs(p, REMOTE6, LOCAL6);
	p->u.udp.sport = 53;
	p->u.udp.dport = 5353;
	p->u.udp.payload_len = 5;
}

/* The stack's segment an ICMP error complains about. */
static void build_offender(struct packet *p, int family, uint32_t len)
{
	packet_init(p, family, IPPROTO_TCP);
	if (family == AF_INET)
		set_addrs(p, LOCAL4, REMOTE4);
	else
		set_addrs(p, LOCAL6, REMOTE6);
	p->df = family == AF_INET;
	p->u.tcp.sport = 8080;
	p->u.tcp.dport = 40000;
	p->u.tcp.seq = 0xabcdef01;
	p->u.tcp.flags = TCPF_SYN;
	p->u.tcp.win = 64240;
	p->u.tcp.payload_len = len;
}

static void build_frag_needed_v4(struct packet *p)
{
	struct packet inner;

	build_offender(&inner, AF_INET, 1000);
	packet_init(p, AF_INET, IPPROTO_ICMP);
	set_addrs(p, REMOTE4, LOCAL4);
	assert_int_equal(icmp_lookup(AF_INET, "unreachable", "frag_needed",
				     &p->u.icmp.type, &p->u.icmp.code, NULL,
				     0),
			 0);
	p->u.icmp.mtu = 840;
	assert_int_equal(packet_icmp_quote(p, &inner, 8, NULL, 0), 0);
}

static void build_too_big_v6(struct packet *p)
{
	struct packet inner;

	build_offender(&inner, AF_INET6, 1440);
	packet_init(p, AF_INET6, IPPROTO_ICMPV6);
	set_addrs(p, REMOTE6, LOCAL6);
	assert_int_equal(icmp_lookup(AF_INET6, "packet_too_big", NULL,
				     &p->u.icmp.type, &p->u.icmp.code, NULL,
				     0),
			 0);
	p->u.icmp.mtu = 1400;
	assert_int_equal(packet_icmp_quote(p, &inner, 20, NULL, 0), 0);
}

static void assert_encodes_to(const struct packet *p, const uint8_t *want,
			      size_t want_len)
{
	uint8_t buf[2048];
	char err[256] = "";
	size_t len = 0;

	assert_int_equal(packet_encode(p, buf, sizeof(buf), &len, err,
				       sizeof(err)),
			 0);
	assert_int_equal(len, want_len);
	assert_memory_equal(buf, want, want_len);
	assert_int_equal(packet_encoded_len(p, &len, NULL, 0), 0);
	assert_int_equal(len, want_len);
}

static void assert_ip_equal(const struct packet *a, const struct packet *b)
{
	assert_int_equal(a->family, b->family);
	assert_int_equal(a->protocol, b->protocol);
	assert_int_equal(a->tos, b->tos);
	assert_int_equal(a->ttl, b->ttl);
	if (a->family == AF_INET) {
		assert_memory_equal(&a->src.v4, &b->src.v4, 4);
		assert_memory_equal(&a->dst.v4, &b->dst.v4, 4);
		assert_int_equal(a->ip_id, b->ip_id);
		assert_int_equal(a->df, b->df);
	} else {
		assert_memory_equal(&a->src.v6, &b->src.v6, 16);
		assert_memory_equal(&a->dst.v6, &b->dst.v6, 16);
		assert_int_equal(a->flowlabel, b->flowlabel);
	}
}

static void assert_tcp_equal(const struct packet_tcp *a,
			     const struct packet_tcp *b)
{
	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->ack, b->ack);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->win, b->win);
	assert_int_equal(a->urg, b->urg);
	assert_int_equal(a->options_len, b->options_len);
	assert_memory_equal(a->options, b->options, a->options_len);
	assert_int_equal(a->payload_len, b->payload_len);
}

/* Decode from a heap copy of exactly len bytes, so that the sanitizers
 * and valgrind see any read past the end. */
static int decode_exact(const uint8_t *bytes, size_t len, struct packet *p,
			char *err, size_t errlen)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, bytes, len);
	rc = packet_decode(copy, len, p, err, errlen);
	free(copy);
	return rc;
}

static void assert_decode_fails(const uint8_t *bytes, size_t len,
				const char *want)
{
	struct packet p;
	char err[256] = "";

	assert_int_equal(decode_exact(bytes, len, &p, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

/* --- checksums ------------------------------------------------------------ */

static void test_checksum_rfc1071_example(void **state)
{
	/* RFC 1071 section 3: these words sum to 0xddf2. */
	static const uint8_t words[] = { 0x00, 0x01, 0xf2, 0x03,
					 0xf4, 0xf5, 0xf6, 0xf7 };
	static const uint8_t odd[] = { 0x01 };

	(void)state;
	assert_int_equal(csum_add(0, words, sizeof(words)), 0xddf2);
	assert_int_equal(csum_finish(csum_add(0, words, sizeof(words))),
			 0x220d);
	/* An odd last byte is the high half of a word padded with zero. */
	assert_int_equal(csum_add(0, odd, 1), 0x0100);
	assert_int_equal(csum_finish(0), 0xffff);
}

static void test_ipv4_header_checksum_known(void **state)
{
	/* The header of a widely quoted worked example: checksum 0xb861. */
	static const uint8_t want[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00,
					0x40, 0x00, 0x40, 0x11, 0xb8, 0x61,
					0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
					0x00, 0xc7 };
	struct packet p;
	uint8_t buf[256];
	size_t len;

	(void)state;
	build_udp(&p, AF_INET);
	set_addrs(&p, "192.168.0.1", "192.168.0.199");
	p.df = true;
	p.u.udp.payload_len = 0x73 - 28;
	assert_int_equal(packet_encode(&p, buf, sizeof(buf), &len, NULL, 0),
			 0);
	assert_int_equal(len, 0x73);
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_bad_checksums_are_flagged(void **state)
{
	uint8_t buf[sizeof(syn_v4)];
	struct packet p;

	(void)state;
	assert_int_equal(packet_decode(syn_v4, sizeof(syn_v4), &p, NULL, 0),
			 0);
	assert_int_equal(p.bad_csum, 0);
	memcpy(buf, syn_v4, sizeof(buf));
	buf[8] = 63; /* TTL: only the IP header checksum covers it */
	assert_int_equal(packet_decode(buf, sizeof(buf), &p, NULL, 0), 0);
	assert_int_equal(p.bad_csum, PACKET_BAD_IP_CSUM);
	memcpy(buf, syn_v4, sizeof(buf));
	buf[sizeof(buf) - 1] ^= 1; /* wscale */
	assert_int_equal(packet_decode(buf, sizeof(buf), &p, NULL, 0), 0);
	assert_int_equal(p.bad_csum, PACKET_BAD_L4_CSUM);
	memcpy(buf, syn_v4, sizeof(buf));
	buf[12] ^= 1; /* the source address is in the pseudo-header too */
	assert_int_equal(packet_decode(buf, sizeof(buf), &p, NULL, 0), 0);
	assert_int_equal(p.bad_csum, PACKET_BAD_IP_CSUM | PACKET_BAD_L4_CSUM);
}

static void test_udp_zero_checksum(void **state)
{
	uint8_t v4[sizeof(udp_v4)], v6[sizeof(udp_v6)];
	struct packet p;

	(void)state;
	memcpy(v4, udp_v4, sizeof(v4));
	v4[26] = v4[27] = 0; /* "no checksum": fine over IPv4 */
	assert_int_equal(packet_decode(v4, sizeof(v4), &p, NULL, 0), 0);
	assert_int_equal(p.bad_csum, 0);
	memcpy(v6, udp_v6, sizeof(v6));
	v6[46] = v6[47] = 0; /* but not over IPv6 */
	assert_int_equal(packet_decode(v6, sizeof(v6), &p, NULL, 0), 0);
	assert_int_equal(p.bad_csum, PACKET_BAD_L4_CSUM);
}

/* --- encoding known vectors ----------------------------------------------- */

static void test_encode_vectors(void **state)
{
	struct packet p;

	(void)state;
	build_syn_v4(&p);
	assert_encodes_to(&p, syn_v4, sizeof(syn_v4));
	build_data_v6(&p);
	assert_encodes_to(&p, data_v6, sizeof(data_v6));
	build_udp(&p, AF_INET);
	assert_encodes_to(&p, udp_v4, sizeof(udp_v4));
	build_udp(&p, AF_INET6);
	assert_encodes_to(&p, udp_v6, sizeof(udp_v6));
	build_frag_needed_v4(&p);
	assert_encodes_to(&p, frag_needed_v4, sizeof(frag_needed_v4));
	build_too_big_v6(&p);
	assert_encodes_to(&p, too_big_v6, sizeof(too_big_v6));
}

static void test_encode_errors(void **state)
{
	struct packet p;
	uint8_t buf[128];
	char err[256];
	size_t len;

	(void)state;
	build_syn_v4(&p);
	assert_int_equal(packet_encode(&p, buf, sizeof(syn_v4) - 1, &len, err,
				       sizeof(err)),
			 -1);
	assert_string_equal(err, "packet of 60 bytes does not fit in 59");
	p.u.tcp.options_len = 19;
	assert_int_equal(packet_encode(&p, buf, sizeof(buf), &len, err,
				       sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "not a multiple of 4"));
	p.u.tcp.options_len = 44;
	assert_int_equal(packet_encode(&p, buf, sizeof(buf), &len, err,
				       sizeof(err)),
			 -1);
	assert_string_equal(err, "TCP options take 44 bytes, more than 40");
	build_frag_needed_v4(&p);
	p.u.icmp.mtu = 70000;
	assert_int_equal(packet_encode(&p, buf, sizeof(buf), &len, err,
				       sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "does not fit 16 bits"));
	packet_init(&p, AF_INET6, IPPROTO_ICMP);
	assert_int_equal(packet_encode(&p, buf, sizeof(buf), &len, err,
				       sizeof(err)),
			 -1);
	assert_string_equal(err, "cannot encode protocol 1 over IPv6");
	packet_init(&p, AF_INET, IPPROTO_TCP);
	p.u.tcp.payload_len = 65535 - 39;
	assert_int_equal(packet_encoded_len(&p, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "IPv4 datagram of 65536 bytes exceeds 65535");
	p.family = AF_INET6;
	p.u.tcp.payload_len = 65535 - 19;
	assert_int_equal(packet_encoded_len(&p, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "IPv6 payload of 65536 bytes exceeds 65535");
	build_udp(&p, AF_INET6);
	p.u.udp.payload_len = 65535 - 7;
	assert_int_equal(packet_encoded_len(&p, &len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not fit the 16-bit length"));
	p.family = AF_UNIX;
	assert_int_equal(packet_encoded_len(&p, &len, err, sizeof(err)), -1);
}

static void test_encode_max_sizes(void **state)
{
	struct packet p;
	uint8_t *buf = malloc(PACKET_BYTES_MAX);
	size_t len;

	(void)state;
	assert_non_null(buf);
	packet_init(&p, AF_INET, IPPROTO_TCP);
	p.u.tcp.payload_len = 65535 - 40;
	assert_int_equal(packet_encode(&p, buf, PACKET_BYTES_MAX, &len, NULL,
				       0),
			 0);
	assert_int_equal(len, 65535);
	packet_init(&p, AF_INET6, IPPROTO_TCP);
	p.u.tcp.payload_len = 65535 - 20;
	assert_int_equal(packet_encode(&p, buf, PACKET_BYTES_MAX, &len, NULL,
				       0),
			 0);
	assert_int_equal(len, PACKET_BYTES_MAX);
	assert_int_equal(packet_decode(buf, len, &p, NULL, 0), 0);
	assert_int_equal(p.u.tcp.payload_len, 65535 - 20);
	assert_int_equal(p.bad_csum, 0);
	free(buf);
}

/* --- round trips ---------------------------------------------------------- */

static void roundtrip(const struct packet *in, struct packet *out)
{
	uint8_t buf[2048];
	char err[256] = "";
	size_t len;

	assert_int_equal(packet_encode(in, buf, sizeof(buf), &len, err,
				       sizeof(err)),
			 0);
	if (decode_exact(buf, len, out, err, sizeof(err)) < 0)
		fail_msg("decode: %s", err);
	assert_int_equal(out->bad_csum, 0);
	assert_ip_equal(in, out);
}

static void test_roundtrip_tcp(void **state)
{
	struct packet in, out;

	(void)state;
	build_syn_v4(&in);
	roundtrip(&in, &out);
	assert_tcp_equal(&in.u.tcp, &out.u.tcp);
	build_data_v6(&in);
	roundtrip(&in, &out);
	assert_tcp_equal(&in.u.tcp, &out.u.tcp);
	/* Every flag, AE included, and the urgent pointer. */
	in.u.tcp.flags = 0x1ff;
	in.u.tcp.urg = 0xbeef;
	in.tos = 0xff;
	in.flowlabel = 0xfffff;
	in.ttl = 1;
	roundtrip(&in, &out);
	assert_tcp_equal(&in.u.tcp, &out.u.tcp);
}

static void test_roundtrip_udp(void **state)
{
	struct packet in, out;

	(void)state;
	build_udp(&in, AF_INET);
	in.u.udp.payload_len = 0;
	roundtrip(&in, &out);
	assert_int_equal(out.u.udp.sport, 53);
	assert_int_equal(out.u.udp.dport, 5353);
	assert_int_equal(out.u.udp.payload_len, 0);
	build_udp(&in, AF_INET6);
	in.u.udp.payload_len = 1000;
	roundtrip(&in, &out);
	assert_int_equal(out.u.udp.payload_len, 1000);
}

static void test_icmp_v4_quote(void **state)
{
	struct packet icmp, out, inner;
	size_t l4_bytes = 0;

	(void)state;
	build_frag_needed_v4(&icmp);
	roundtrip(&icmp, &out);
	assert_int_equal(out.u.icmp.type, 3);
	assert_int_equal(out.u.icmp.code, 4);
	assert_int_equal(out.u.icmp.mtu, 840);
	assert_int_equal(out.u.icmp.quoted_len, 28);
	assert_int_equal(packet_decode_quoted(out.u.icmp.quoted,
					      out.u.icmp.quoted_len, &inner,
					      &l4_bytes, NULL, 0),
			 0);
	assert_int_equal(l4_bytes, 8);
	assert_int_equal(inner.family, AF_INET);
	assert_int_equal(inner.protocol, IPPROTO_TCP);
	assert_true(inner.df);
	assert_int_equal(inner.u.tcp.sport, 8080);
	assert_int_equal(inner.u.tcp.dport, 40000);
	assert_int_equal(inner.u.tcp.seq, 0xabcdef01);
	assert_int_equal(inner.u.tcp.payload_len, 1000);
}

static void test_icmp_v6_quote(void **state)
{
	struct packet icmp, out, inner, offender;
	size_t l4_bytes = 0;

	(void)state;
	build_too_big_v6(&icmp);
	roundtrip(&icmp, &out);
	assert_int_equal(out.u.icmp.type, 2);
	assert_int_equal(out.u.icmp.mtu, 1400);
	assert_int_equal(packet_decode_quoted(out.u.icmp.quoted,
					      out.u.icmp.quoted_len, &inner,
					      &l4_bytes, NULL, 0),
			 0);
	assert_int_equal(l4_bytes, 20);
	build_offender(&offender, AF_INET6, 1440);
	assert_ip_equal(&offender, &inner);
	assert_tcp_equal(&offender.u.tcp, &inner.u.tcp);
}

static void test_icmp_quote_limits(void **state)
{
	struct packet icmp, inner, out;
	size_t l4_bytes;

	(void)state;
	/* An ICMPv4 error stays within 576 bytes, an ICMPv6 one 1280. */
	build_offender(&inner, AF_INET, 1000);
	packet_init(&icmp, AF_INET, IPPROTO_ICMP);
	assert_int_equal(packet_icmp_quote(&icmp, &inner, SIZE_MAX, NULL, 0),
			 0);
	assert_int_equal(icmp.u.icmp.quoted_len, 576 - 28);
	build_offender(&inner, AF_INET6, 1440);
	packet_init(&icmp, AF_INET6, IPPROTO_ICMPV6);
	assert_int_equal(packet_icmp_quote(&icmp, &inner, SIZE_MAX, NULL, 0),
			 0);
	assert_int_equal(icmp.u.icmp.quoted_len, 1280 - 48);
	/* A short segment is quoted whole. */
	build_offender(&inner, AF_INET, 0);
	packet_init(&icmp, AF_INET, IPPROTO_ICMP);
	assert_int_equal(packet_icmp_quote(&icmp, &inner, SIZE_MAX, NULL, 0),
			 0);
	assert_int_equal(icmp.u.icmp.quoted_len, 40);
	roundtrip(&icmp, &out);
	assert_int_equal(packet_decode_quoted(out.u.icmp.quoted,
					      out.u.icmp.quoted_len, &inner,
					      &l4_bytes, NULL, 0),
			 0);
	assert_int_equal(l4_bytes, 20);
	assert_int_equal(inner.u.tcp.win, 64240);
}

static void test_icmp_quote_udp(void **state)
{
	struct packet icmp, inner, out;
	size_t l4_bytes;

	(void)state;
	build_udp(&inner, AF_INET);
	packet_init(&icmp, AF_INET, IPPROTO_ICMP);
	icmp.u.icmp.type = 3;
	icmp.u.icmp.code = 3;
	assert_int_equal(packet_icmp_quote(&icmp, &inner, 8, NULL, 0), 0);
	roundtrip(&icmp, &out);
	assert_int_equal(out.u.icmp.mtu, 0);
	assert_int_equal(packet_decode_quoted(out.u.icmp.quoted,
					      out.u.icmp.quoted_len, &inner,
					      &l4_bytes, NULL, 0),
			 0);
	assert_int_equal(inner.protocol, IPPROTO_UDP);
	assert_int_equal(inner.u.udp.sport, 53);
	assert_int_equal(inner.u.udp.payload_len, 5);
}

/* --- malformed input ------------------------------------------------------ */

static void test_every_truncation_fails(void **state)
{
	char err[256];
	struct packet p;

	(void)state;
	for (size_t v = 0; v < N_VECTORS; v++) {
		assert_int_equal(decode_exact(vectors[v].bytes, vectors[v].len,
					      &p, NULL, 0),
				 0);
		for (size_t n = 0; n < vectors[v].len; n++) {
			err[0] = '\0';
			if (decode_exact(vectors[v].bytes, n, &p, err,
					 sizeof(err)) != -1)
				fail_msg("%s cut to %zu bytes decoded",
					 vectors[v].name, n);
			assert_true(err[0] != '\0');
		}
	}
}

static void test_every_quote_truncation_is_safe(void **state)
{
	const uint8_t *q = too_big_v6 + 48;
	size_t qlen = sizeof(too_big_v6) - 48, l4_bytes;
	struct packet p;
	uint8_t *copy;
	int rc;

	(void)state;
	for (size_t n = 0; n <= qlen; n++) {
		copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, q, n);
		rc = packet_decode_quoted(copy, n, &p, &l4_bytes, NULL, 0);
		free(copy);
		/* The IP header and 8 transport bytes are the minimum. */
		assert_int_equal(rc, n < 48 ? -1 : 0);
	}
}

static void test_malformed_ipv4(void **state)
{
	uint8_t b[sizeof(syn_v4)] = { 0 };

	(void)state;
	assert_decode_fails(b, 0, "empty packet");
	memcpy(b, syn_v4, sizeof(b));
	b[0] = 0x55;
	assert_decode_fails(b, sizeof(b), "unknown IP version 5");
	b[0] = 0x44;
	assert_decode_fails(b, sizeof(b), "bad IPv4 header length 16");
	b[0] = 0x4f; /* 60-byte header: all there, but no room for TCP */
	assert_decode_fails(b, sizeof(b), "truncated TCP header: 0 bytes");
	memcpy(b, syn_v4, sizeof(b));
	b[3] = 0x3d;
	assert_decode_fails(b, sizeof(b), "IPv4 total length 61 exceeds");
	b[3] = 0x10;
	assert_decode_fails(b, sizeof(b), "IPv4 total length 16 is shorter");
	memcpy(b, syn_v4, sizeof(b));
	b[6] = 0x20; /* MF */
	assert_decode_fails(b, sizeof(b), "IPv4 fragment");
	b[6] = 0x00;
	b[7] = 0x01;
	assert_decode_fails(b, sizeof(b), "IPv4 fragment (offset 8");
	memcpy(b, syn_v4, sizeof(b));
	b[9] = 47;
	assert_decode_fails(b, sizeof(b), "unsupported protocol 47 over IPv4");
	b[9] = IPPROTO_ICMPV6;
	assert_decode_fails(b, sizeof(b), "unsupported protocol 58 over IPv4");
}

static void test_malformed_transport(void **state)
{
	uint8_t b[sizeof(syn_v4)], u[sizeof(udp_v4)], c[sizeof(frag_needed_v4)];

	(void)state;
	memcpy(b, syn_v4, sizeof(b));
	b[32] = 0x40 | (b[32] & 0x0f);
	assert_decode_fails(b, sizeof(b), "bad TCP data offset 4 (< 5)");
	b[32] = 0xf0 | (b[32] & 0x0f);
	assert_decode_fails(b, sizeof(b),
			    "TCP data offset 15 (60 bytes) overruns the "
			    "40-byte segment");
	memcpy(b, syn_v4, sizeof(b));
	b[3] = 20 + 19; /* IP says 19 bytes of TCP */
	assert_decode_fails(b, 39, "truncated TCP header: 19 bytes, need 20");
	memcpy(u, udp_v4, sizeof(u));
	u[25] = 7;
	assert_decode_fails(u, sizeof(u), "bad UDP length 7 (< 8)");
	u[25] = 14;
	assert_decode_fails(u, sizeof(u),
			    "UDP length 14 exceeds the 13 bytes");
	memcpy(c, frag_needed_v4, sizeof(c));
	c[3] = 27;
	assert_decode_fails(c, 27, "truncated ICMP header: 7 bytes, need 8");
}

static void test_malformed_ipv6(void **state)
{
	uint8_t b[sizeof(data_v6)];

	(void)state;
	memcpy(b, data_v6, sizeof(b));
	b[5] = 0x2b;
	assert_decode_fails(b, sizeof(b),
			    "IPv6 payload length 43 exceeds the 42 bytes");
	memcpy(b, data_v6, sizeof(b));
	b[6] = 44;
	assert_decode_fails(b, sizeof(b), "IPv6 fragment header");
	b[6] = 50;
	assert_decode_fails(b, sizeof(b), "unsupported IPv6 next header 50");
	b[6] = 1;
	assert_decode_fails(b, sizeof(b), "unsupported protocol 1 over IPv6");
	/* A destination-options header claiming 6 * 8 bytes of 42. */
	b[6] = 60;
	b[41] = 5;
	assert_decode_fails(b, sizeof(b),
			    "IPv6 extension header 60 of 48 bytes overruns");
}

/* Hop-by-hop and destination options are stepped over; the transport
 * checksum does not cover them. */
static void test_ipv6_extension_headers(void **state)
{
	uint8_t b[sizeof(data_v6) + 16];
	struct packet p, want;
	char err[256] = "";

	(void)state;
	memcpy(b, data_v6, 40);
	b[5] += 16;
	b[6] = 0;                             /* hop-by-hop */
	memcpy(b + 40, "\x3c\x00\x01\x04\0\0\0\0", 8); /* -> dst opts, PadN */
	memcpy(b + 48, "\x06\x00\x01\x04\0\0\0\0", 8); /* -> TCP */
	memcpy(b + 56, data_v6 + 40, sizeof(data_v6) - 40);
	if (decode_exact(b, sizeof(b), &p, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(p.bad_csum, 0);
	build_data_v6(&want);
	assert_ip_equal(&want, &p);
	assert_tcp_equal(&want.u.tcp, &p.u.tcp);
}

/* Random damage to valid packets: each decode succeeds or fails, and none
 * reads outside its buffer (run under ASan or valgrind). */
static void test_mutations_are_safe(void **state)
{
	uint32_t x = 2463534242u;
	uint8_t *copy;
	struct packet p;
	size_t l4_bytes;

	(void)state;
	for (int i = 0; i < 30000; i++) {
		size_t v = (size_t)i % N_VECTORS, len = vectors[v].len;

		copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, vectors[v].bytes, len);
		for (int k = 0; k < 1 + i % 4; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			copy[x % len] = (uint8_t)(x >> 8);
		}
		if (packet_decode(copy, len, &p, NULL, 0) == 0 &&
		    p.protocol == IPPROTO_TCP) {
			struct tcp_option_storage s;

			tcp_options_decode(p.u.tcp.options,
					   p.u.tcp.options_len,
					   tcp_option_storage_list(&s), NULL,
					   0);
		}
		packet_decode_quoted(copy, len, &p, &l4_bytes, NULL, 0);
		free(copy);
	}
}

/* --- formatting ----------------------------------------------------------- */

static void assert_flags(unsigned int flags, bool ace, const char *want)
{
	char buf[32];

	assert_int_equal(tcp_flags_format(flags, ace, buf, sizeof(buf)),
			 strlen(want));
	assert_string_equal(buf, want);
}

static void test_format_flags(void **state)
{
	(void)state;
	assert_flags(TCPF_SYN, false, "S");
	assert_flags(TCPF_SYN | TCPF_ACK, false, "S.");
	assert_flags(TCPF_ACK, false, ".");
	assert_flags(TCPF_PSH | TCPF_ACK, false, "P.");
	assert_flags(TCPF_FIN | TCPF_ACK, false, "F.");
	assert_flags(TCPF_FIN | TCPF_PSH | TCPF_ACK, false, "FP.");
	assert_flags(TCPF_SYN | TCPF_FIN | TCPF_ACK, false, "SF.");
	assert_flags(TCPF_SYN | TCPF_ECE | TCPF_CWR, false, "SEW");
	assert_flags(TCPF_SYN | TCPF_ECE | TCPF_ACK, false, "SE.");
	assert_flags(TCPF_ECE | TCPF_ACK, false, "E.");
	assert_flags(TCPF_URG | TCPF_ACK, false, "U.");
	assert_flags(TCPF_RST, false, "R");
	assert_flags(TCPF_RST | TCPF_ACK, false, "R.");
	assert_flags(0, false, "-");
	assert_flags(0x1ff, false, "SFRPUEWA.");
	assert_flags(TCPF_SYN | TCPF_ECE | TCPF_CWR | TCPF_AE, true, "SEWA");
	assert_flags(TCPF_SYN | TCPF_ACK | TCPF_AE | TCPF_ECE, true, "S.5");
	assert_flags(TCPF_ACK, true, ".0");
	assert_flags(TCPF_ACK | TCPF_CWR, true, ".2");
	assert_flags(0x1ff, true, "SFRPU.7");
}

static void assert_tcp_text(const struct tcp_format *f, const char *want)
{
	char buf[256];

	assert_int_equal(packet_format_tcp(f, buf, sizeof(buf)),
			 strlen(want));
	assert_string_equal(buf, want);
}

static void test_format_tcp(void **state)
{
	struct tcp_option_spec opts[] = {
		{ .kind = TOPT_MSS, .u.mss = 1460 },
		{ .kind = TOPT_SACK_PERMITTED },
		{ .kind = TOPT_TIMESTAMP, .u.ts = { 100, 0 } },
		{ .kind = TOPT_NOP },
		{ .kind = TOPT_WSCALE, .u.wscale = 7 },
	};
	struct tcp_option_spec ts[] = {
		{ .kind = TOPT_NOP },
		{ .kind = TOPT_NOP },
		{ .kind = TOPT_TIMESTAMP, .u.ts = { 1, 2 } },
	};
	struct tcp_option_list l1 = { 5, opts }, l2 = { 3, ts }, none = { 0 };
	struct tcp_format f = { .flags = TCPF_SYN | TCPF_ACK, .ack = 1,
				.win = 65535, .options = &l1,
				.show = TCP_FORMAT_WIN };

	(void)state;
	assert_tcp_text(&f, "S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,"
			    "TS val 100 ecr 0,nop,wscale 7>");
	f = (struct tcp_format){ .flags = TCPF_PSH | TCPF_ACK, .seq = 1,
				 .payload_len = 1000, .ack = 1, .win = 257,
				 .options = &none, .show = TCP_FORMAT_WIN };
	assert_tcp_text(&f, "P. 1:1001(1000) ack 1 win 257");
	f = (struct tcp_format){ .flags = TCPF_FIN | TCPF_ACK, .seq = 1001,
				 .ack = 2, .win = 502, .options = &l2,
				 .show = TCP_FORMAT_WIN };
	assert_tcp_text(&f, "F. 1001:1001(0) ack 2 win 502 "
			    "<nop,nop,TS val 1 ecr 2>");
	f = (struct tcp_format){ .flags = TCPF_RST, .seq = 1, .ack = 77,
				 .show = TCP_FORMAT_WIN };
	assert_tcp_text(&f, "R 1:1(0) win 0");
	f = (struct tcp_format){ .flags = TCPF_URG | TCPF_ACK, .seq = 1,
				 .payload_len = 100, .ack = 1, .win = 257,
				 .urg = 100,
				 .show = TCP_FORMAT_WIN | TCP_FORMAT_URG };
	assert_tcp_text(&f, "U. 1:101(100) ack 1 win 257 urg 100");
	f = (struct tcp_format){ .flags = TCPF_ACK, .seq = 1, .ack = 1001,
				 .tos = PACKET_ECT1, .show = TCP_FORMAT_ECN };
	assert_tcp_text(&f, "[ect1] . 1:1(0) ack 1001");
	/* The end of the range wraps like the sequence space. */
	f = (struct tcp_format){ .flags = TCPF_ACK | TCPF_ECE | TCPF_AE,
				 .seq = 4294967295u, .payload_len = 2,
				 .show = TCP_FORMAT_ACE };
	assert_tcp_text(&f, ".5 4294967295:1(2) ack 0");
}

static void test_format_truncates_like_snprintf(void **state)
{
	struct tcp_format f = { .flags = TCPF_PSH | TCPF_ACK, .seq = 1,
				.payload_len = 1000, .ack = 1, .win = 257,
				.show = TCP_FORMAT_WIN };
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(packet_format_tcp(&f, buf, sizeof(buf)), 29);
	assert_string_equal(buf, "P. 1:10");
	assert_int_equal(packet_format_tcp(&f, NULL, 0), 29);
	assert_int_equal(tcp_flags_format(TCPF_SYN | TCPF_ACK, false, buf, 2),
			 2);
	assert_string_equal(buf, "S");
}

static void test_format_decoded(void **state)
{
	struct tcp_option_storage s;
	struct tcp_option_list *opts = tcp_option_storage_list(&s);
	struct tcp_format f;
	struct packet p;
	char buf[256];

	(void)state;
	assert_int_equal(packet_decode(syn_v4, sizeof(syn_v4), &p, NULL, 0),
			 0);
	assert_int_equal(tcp_options_decode(p.u.tcp.options,
					    p.u.tcp.options_len, opts, NULL,
					    0),
			 0);
	tcp_format_from_packet(&f, &p);
	f.options = opts;
	f.show |= TCP_FORMAT_ECN;
	packet_format_tcp(&f, buf, sizeof(buf));
	assert_string_equal(buf, "[ect0] S 0:0(0) win 65535 <mss 1460,sackOK,"
				 "TS val 100 ecr 0,nop,wscale 7>");
	assert_int_equal(packet_decode(data_v6, sizeof(data_v6), &p, NULL, 0),
			 0);
	tcp_format_from_packet(&f, &p);
	packet_format_tcp(&f, buf, sizeof(buf));
	assert_string_equal(buf, "P. 1:11(10) ack 268435457 win 257");
}

static void test_format_udp_icmp(void **state)
{
	struct packet p;
	char buf[128];

	(void)state;
	assert_int_equal(packet_decode(udp_v6, sizeof(udp_v6), &p, NULL, 0),
			 0);
	packet_format_udp(&p, buf, sizeof(buf));
	assert_string_equal(buf, "udp (5)");
	assert_int_equal(packet_decode(frag_needed_v4, sizeof(frag_needed_v4),
				       &p, NULL, 0),
			 0);
	packet_format_icmp(&p, buf, sizeof(buf));
	assert_string_equal(buf, "icmp unreachable frag_needed mtu 840");
	assert_int_equal(packet_decode(too_big_v6, sizeof(too_big_v6), &p,
				       NULL, 0),
			 0);
	packet_format_icmp(&p, buf, sizeof(buf));
	assert_string_equal(buf, "icmp packet_too_big mtu 1400");
	p.u.icmp.type = 200;
	p.u.icmp.code = 9;
	p.u.icmp.mtu = 0;
	packet_format_icmp(&p, buf, sizeof(buf));
	assert_string_equal(buf, "icmp type 200 code 9");
	assert_string_equal(packet_ecn_name(0x00), "noecn");
	assert_string_equal(packet_ecn_name(0x01), "ect1");
	assert_string_equal(packet_ecn_name(0x02), "ect0");
	assert_string_equal(packet_ecn_name(0xbb), "ce");
}

static void test_icmp_names(void **state)
{
	uint8_t type, code;
	char err[128];

	(void)state;
	assert_int_equal(icmp_lookup(AF_INET, "unreachable", "port_unreachable",
				     &type, &code, err, sizeof(err)),
			 0);
	assert_int_equal(type, 3);
	assert_int_equal(code, 3);
	assert_int_equal(icmp_lookup(AF_INET, "unreachable", "host_unreachable",
				     &type, &code, err, sizeof(err)),
			 0);
	assert_int_equal(code, 1);
	assert_int_equal(icmp_lookup(AF_INET6, "unreachable", "frag_needed",
				     &type, &code, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "bad ICMP code frag_needed");
	assert_int_equal(icmp_lookup(AF_INET6, "unreachable",
				     "host_unreachable", &type, &code, err,
				     sizeof(err)),
			 -1);
	assert_string_equal(err, "bad ICMP code host_unreachable");
	assert_int_equal(icmp_lookup(AF_INET6, "unreachable",
				     "port_unreachable", &type, &code, err,
				     sizeof(err)),
			 0);
	assert_int_equal(type, 1);
	assert_int_equal(code, 4);
	assert_int_equal(icmp_lookup(AF_INET, "packet_too_big", NULL, &type,
				     &code, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "bad ICMP type packet_too_big");
	assert_int_equal(icmp_lookup(AF_INET, "time_exceeded", "frag_needed",
				     &type, &code, err, sizeof(err)),
			 -1);
	assert_string_equal(icmp_type_name(AF_INET6, 129), "echo_reply");
	assert_null(icmp_type_name(AF_INET, 99));
	assert_null(icmp_code_name(AF_INET, 11, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_rfc1071_example),
		cmocka_unit_test(test_ipv4_header_checksum_known),
		cmocka_unit_test(test_bad_checksums_are_flagged),
		cmocka_unit_test(test_udp_zero_checksum),
		cmocka_unit_test(test_encode_vectors),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_encode_max_sizes),
		cmocka_unit_test(test_roundtrip_tcp),
		cmocka_unit_test(test_roundtrip_udp),
		cmocka_unit_test(test_icmp_v4_quote),
		cmocka_unit_test(test_icmp_v6_quote),
		cmocka_unit_test(test_icmp_quote_limits),
		cmocka_unit_test(test_icmp_quote_udp),
		cmocka_unit_test(test_every_truncation_fails),
		cmocka_unit_test(test_every_quote_truncation_is_safe),
		cmocka_unit_test(test_malformed_ipv4),
		cmocka_unit_test(test_malformed_transport),
		cmocka_unit_test(test_malformed_ipv6),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_mutations_are_safe),
		cmocka_unit_test(test_format_flags),
		cmocka_unit_test(test_format_tcp),
		cmocka_unit_test(test_format_truncates_like_snprintf),
		cmocka_unit_test(test_format_decoded),
		cmocka_unit_test(test_format_udp_icmp),
		cmocka_unit_test(test_icmp_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
