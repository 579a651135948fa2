/* Unit tests of TCP options: every kind both ways and in script syntax,
 * the 40-byte limit, and malformed lengths. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "packet/packet.h"

#define E0B_CEB_E1B { ACCECN_E0B, ACCECN_CEB, ACCECN_E1B }
#define E1B_CEB_E0B { ACCECN_E1B, ACCECN_CEB, ACCECN_E0B }

/* One option three ways: as a spec, as wire bytes, as script text. */
static const struct option_case {
	const char *text;
	struct tcp_option_spec spec;
	size_t len;
	uint8_t bytes[TCP_OPTION_BYTES_MAX];
} cases[] = {
	{ "eol", { .kind = TOPT_EOL }, 1, { 0 } },
	{ "nop", { .kind = TOPT_NOP }, 1, { 1 } },
	{ "mss 1460", { .kind = TOPT_MSS, .u.mss = 1460 }, 4,
	  { 2, 4, 0x05, 0xb4 } },
	{ "mss 65535", { .kind = TOPT_MSS, .u.mss = 65535 }, 4,
	  { 2, 4, 0xff, 0xff } },
	{ "wscale 7", { .kind = TOPT_WSCALE, .u.wscale = 7 }, 3, { 3, 3, 7 } },
	{ "sackOK", { .kind = TOPT_SACK_PERMITTED }, 2, { 4, 2 } },
	{ "sack 1:2",
	  { .kind = TOPT_SACK, .u.sack = { 1, { { 1, 2 } } } },
	  10,
	  { 5, 10, 0, 0, 0, 1, 0, 0, 0, 2 } },
	{ "sack 1461:2921 4294967295:7 0:0 16:32",
	  { .kind = TOPT_SACK,
	    .u.sack = { 4,
			{ { 1461, 2921 }, { 4294967295u, 7 }, { 0, 0 },
			  { 16, 32 } } } },
	  34,
	  { 5, 34, 0, 0, 0x05, 0xb5, 0, 0, 0x0b, 0x69, 0xff, 0xff,
	    0xff, 0xff, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0,
	    0, 0, 32 } },
	{ "TS val 100 ecr 0",
	  { .kind = TOPT_TIMESTAMP, .u.ts = { 100, 0 } },
	  10,
	  { 8, 10, 0, 0, 0, 100, 0, 0, 0, 0 } },
	{ "TS val 4294967295 ecr 16909060",
	  { .kind = TOPT_TIMESTAMP, .u.ts = { 4294967295u, 0x01020304 } },
	  10,
	  { 8, 10, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4 } },
	{ "md5 000102030405060708090a0b0c0d0e0f",
	  { .kind = TOPT_MD5,
	    .u.data = { 16, { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
			      14, 15 } } },
	  18,
	  { 19, 18, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 } },
	{ "FO", { .kind = TOPT_FASTOPEN }, 2, { 34, 2 } },
	{ "FO abcd1234",
	  { .kind = TOPT_FASTOPEN,
	    .u.data = { 4, { 0xab, 0xcd, 0x12, 0x34 } } },
	  6,
	  { 34, 6, 0xab, 0xcd, 0x12, 0x34 } },
	{ "FOEXP", { .kind = TOPT_FASTOPEN_EXP }, 4, { 254, 4, 0xf9, 0x89 } },
	{ "FOEXP 3021b9d889017eeb",
	  { .kind = TOPT_FASTOPEN_EXP,
	    .u.data = { 8, { 0x30, 0x21, 0xb9, 0xd8, 0x89, 0x01, 0x7e,
			     0xeb } } },
	  12,
	  { 254, 12, 0xf9, 0x89, 0x30, 0x21, 0xb9, 0xd8, 0x89, 0x01, 0x7e,
	    0xeb } },
	{ "ECN",
	  { .kind = TOPT_ACCECN, .u.accecn = { .field = E0B_CEB_E1B } },
	  2,
	  { 172, 2 } },
	{ "ECN e0b 1",
	  { .kind = TOPT_ACCECN, .u.accecn = { 1, E0B_CEB_E1B, { 1 } } },
	  5,
	  { 172, 5, 0, 0, 1 } },
	{ "ECN e0b 1 ceb 2",
	  { .kind = TOPT_ACCECN, .u.accecn = { 2, E0B_CEB_E1B, { 1, 2 } } },
	  8,
	  { 172, 8, 0, 0, 1, 0, 0, 2 } },
	{ "ECN e0b 1 ceb 2 e1b 16777215",
	  { .kind = TOPT_ACCECN,
	    .u.accecn = { 3, E0B_CEB_E1B, { 1, 2, 0xffffff } } },
	  11,
	  { 172, 11, 0, 0, 1, 0, 0, 2, 0xff, 0xff, 0xff } },
	/* The same, for kind 174: field[] holds the order even with none. */
	{ "ECN",
	  { .kind = TOPT_ACCECN, .u.accecn = { .field = E1B_CEB_E0B } },
	  2,
	  { 174, 2 } },
	{ "ECN e1b 7",
	  { .kind = TOPT_ACCECN, .u.accecn = { 1, E1B_CEB_E0B, { 7 } } },
	  5,
	  { 174, 5, 0, 0, 7 } },
	{ "ECN e1b 65536 ceb 0 e0b 5",
	  { .kind = TOPT_ACCECN,
	    .u.accecn = { 3, E1B_CEB_E0B, { 0x10000, 0, 5 } } },
	  11,
	  { 174, 11, 1, 0, 0, 0, 0, 0, 0, 0, 5 } },
	{ "kind 99 len 4 0102",
	  { .kind = TOPT_UNKNOWN, .u.data = { 4, { 99, 4, 1, 2 } } },
	  4,
	  { 99, 4, 1, 2 } },
	{ "kind 200 len 2",
	  { .kind = TOPT_UNKNOWN, .u.data = { 2, { 200, 2 } } },
	  2,
	  { 200, 2 } },
	/* Kind 254 with another experiment's magic is not FOEXP. */
	{ "kind 254 len 6 1234aabb",
	  { .kind = TOPT_UNKNOWN,
	    .u.data = { 6, { 254, 6, 0x12, 0x34, 0xaa, 0xbb } } },
	  6,
	  { 254, 6, 0x12, 0x34, 0xaa, 0xbb } },
};

#define N_CASES (sizeof(cases) / sizeof(*cases))

/* --- helpers -------------------------------------------------------------- */

static void assert_spec_equal(const struct tcp_option_spec *a,
			      const struct tcp_option_spec *b)
{
	assert_int_equal(a->kind, b->kind);
	if (a->kind == TOPT_MSS)
		assert_int_equal(a->u.mss, b->u.mss);
	else if (a->kind == TOPT_WSCALE)
		assert_int_equal(a->u.wscale, b->u.wscale);
	else if (a->kind == TOPT_TIMESTAMP)
		assert_memory_equal(&a->u.ts, &b->u.ts, sizeof(a->u.ts));
	else if (a->kind == TOPT_SACK)
		assert_memory_equal(&a->u.sack, &b->u.sack, sizeof(a->u.sack));
	else if (a->kind == TOPT_ACCECN)
		assert_memory_equal(&a->u.accecn, &b->u.accecn,
				    sizeof(a->u.accecn));
	else if (a->kind != TOPT_EOL && a->kind != TOPT_NOP &&
		 a->kind != TOPT_SACK_PERMITTED) {
		assert_int_equal(a->u.data.len, b->u.data.len);
		assert_memory_equal(a->u.data.bytes, b->u.data.bytes,
				    a->u.data.len);
	}
}

static int encode(const struct tcp_option_spec *items, size_t count,
		  uint8_t *buf, size_t cap, size_t *len, char *err,
		  size_t errlen)
{
	struct tcp_option_list l = { count, (struct tcp_option_spec *)items };

	return tcp_options_encode(&l, buf, cap, len, err, errlen);
}

/* Decode from a heap copy of exactly len bytes, for the sanitizers. */
static int decode(const uint8_t *bytes, size_t len,
		  struct tcp_option_storage *s, char *err, size_t errlen)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, bytes, len);
	rc = tcp_options_decode(copy, len, tcp_option_storage_list(s), err,
				errlen);
	free(copy);
	return rc;
}

static void assert_decode_fails(const uint8_t *bytes, size_t len,
				const char *want)
{
	struct tcp_option_storage s;
	char err[256] = "";

	assert_int_equal(decode(bytes, len, &s, err, sizeof(err)), -1);
	assert_string_equal(err, want);
}

static void assert_encode_fails(const struct tcp_option_spec *o,
				const char *want)
{
	uint8_t buf[TCP_OPTION_BYTES_MAX];
	char err[256] = "";
	size_t len;

	assert_int_equal(encode(o, 1, buf, sizeof(buf), &len, err,
				sizeof(err)),
			 -1);
	assert_string_equal(err, want);
}

/* --- every kind ----------------------------------------------------------- */

static void test_every_kind_encodes(void **state)
{
	uint8_t buf[TCP_OPTION_BYTES_MAX];
	char err[256] = "";
	size_t len;

	(void)state;
	for (size_t i = 0; i < N_CASES; i++) {
		memset(buf, 0xee, sizeof(buf));
		if (encode(&cases[i].spec, 1, buf, sizeof(buf), &len, err,
			   sizeof(err)) < 0)
			fail_msg("%s: %s", cases[i].text, err);
		assert_int_equal(len, cases[i].len);
		assert_memory_equal(buf, cases[i].bytes, len);
	}
}

static void test_every_kind_decodes(void **state)
{
	struct tcp_option_storage s;
	char err[256] = "";

	(void)state;
	for (size_t i = 0; i < N_CASES; i++) {
		if (decode(cases[i].bytes, cases[i].len, &s, err,
			   sizeof(err)) < 0)
			fail_msg("%s: %s", cases[i].text, err);
		assert_int_equal(s.list.count, 1);
		assert_spec_equal(&s.items[0], &cases[i].spec);
	}
}

static void test_every_kind_formats(void **state)
{
	char buf[128];

	(void)state;
	for (size_t i = 0; i < N_CASES; i++) {
		assert_int_equal(tcp_option_format(&cases[i].spec, buf,
						   sizeof(buf)),
				 strlen(cases[i].text));
		assert_string_equal(buf, cases[i].text);
	}
}

/* All the cases back to back, 40 bytes at a time: lists decode into the
 * same options in the same order, and encode back to the same bytes. */
static void test_lists_round_trip(void **state)
{
	uint8_t wire[TCP_OPTION_BYTES_MAX], again[TCP_OPTION_BYTES_MAX];
	struct tcp_option_storage s;
	size_t i = 0, len, first;

	(void)state;
	while (i < N_CASES) {
		len = 0;
		for (first = i; i < N_CASES &&
				len + cases[i].len <= sizeof(wire);
		     i++) {
			memcpy(wire + len, cases[i].bytes, cases[i].len);
			len += cases[i].len;
		}
		assert_int_equal(decode(wire, len, &s, NULL, 0), 0);
		assert_int_equal(s.list.count, i - first);
		for (size_t k = first; k < i; k++)
			assert_spec_equal(&s.items[k - first],
					  &cases[k].spec);
		assert_int_equal(tcp_options_encode(&s.list, again,
						    sizeof(again), &len, NULL,
						    0),
				 0);
		assert_memory_equal(again, wire, len);
	}
}

static void test_list_format(void **state)
{
	static const uint8_t syn[] = { 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0,
				       100, 0, 0, 0, 0, 1, 3, 3, 7 };
	struct tcp_option_storage s;
	char buf[128];

	(void)state;
	assert_int_equal(decode(syn, sizeof(syn), &s, NULL, 0), 0);
	tcp_options_format(&s.list, buf, sizeof(buf));
	assert_string_equal(buf, "<mss 1460,sackOK,TS val 100 ecr 0,nop,"
				 "wscale 7>");
	s.list.count = 0;
	tcp_options_format(&s.list, buf, sizeof(buf));
	assert_string_equal(buf, "<>");
}

/* Bytes after eol are padding; they come back as eols, byte for byte. */
static void test_eol_padding(void **state)
{
	static const uint8_t b[] = { 2, 4, 5, 0xb4, 0, 0, 0, 0 };
	uint8_t again[TCP_OPTION_BYTES_MAX];
	struct tcp_option_storage s;
	size_t len;

	(void)state;
	assert_int_equal(decode(b, sizeof(b), &s, NULL, 0), 0);
	assert_int_equal(s.list.count, 5);
	for (size_t i = 1; i < 5; i++)
		assert_int_equal(s.items[i].kind, TOPT_EOL);
	assert_int_equal(tcp_options_encode(&s.list, again, sizeof(again),
					    &len, NULL, 0),
			 0);
	assert_int_equal(len, sizeof(b));
	assert_memory_equal(again, b, sizeof(b));
}

static void test_md5_without_digest(void **state)
{
	struct tcp_option_spec o = { .kind = TOPT_MD5 };
	uint8_t buf[TCP_OPTION_BYTES_MAX], want[18] = { 19, 18 };
	size_t len;

	(void)state;
	assert_int_equal(encode(&o, 1, buf, sizeof(buf), &len, NULL, 0), 0);
	assert_int_equal(len, 18);
	assert_memory_equal(buf, want, sizeof(want));
}

/* --- the 40-byte limit ---------------------------------------------------- */

static void test_forty_bytes(void **state)
{
	struct tcp_option_spec o[12];
	uint8_t buf[64];
	char err[256] = "";
	size_t len;

	(void)state;
	for (size_t i = 0; i < 12; i++)
		o[i] = (struct tcp_option_spec){ .kind = TOPT_MSS,
						 .u.mss = 536 };
	assert_int_equal(encode(o, 10, buf, sizeof(buf), &len, err,
				sizeof(err)),
			 0);
	assert_int_equal(len, 40);
	o[10] = (struct tcp_option_spec){ .kind = TOPT_NOP };
	assert_int_equal(encode(o, 11, buf, sizeof(buf), &len, err,
				sizeof(err)),
			 -1);
	assert_string_equal(err, "TCP options take 41 bytes, more than 40");
	assert_int_equal(encode(o, 12, buf, sizeof(buf), &len, err,
				sizeof(err)),
			 -1);
	assert_string_equal(err, "TCP options take 45 bytes, more than 40");
	/* Nothing is written past the 40th byte. */
	memset(buf, 0xee, sizeof(buf));
	encode(o, 12, buf, sizeof(buf), &len, NULL, 0);
	for (size_t i = 40; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xee);
	/* A smaller buffer is its own limit. */
	assert_int_equal(encode(o, 2, buf, 7, &len, err, sizeof(err)), -1);
	assert_string_equal(err, "TCP options take 8 bytes, room for 7");
	assert_int_equal(encode(o, 0, NULL, 0, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 0);
}

static void test_forty_byte_decode(void **state)
{
	uint8_t nops[TCP_OPTION_BYTES_MAX + 1];
	struct tcp_option_storage s;

	(void)state;
	memset(nops, 1, sizeof(nops));
	assert_int_equal(decode(nops, 40, &s, NULL, 0), 0);
	assert_int_equal(s.list.count, 40);
	assert_decode_fails(nops, 41, "41 option bytes, more than 40");
}

/* --- malformed ------------------------------------------------------------ */

static void test_malformed_lengths(void **state)
{
	(void)state;
	assert_decode_fails((const uint8_t[]){ 2 }, 1,
			    "option kind 2 at byte 0 has no length byte");
	assert_decode_fails((const uint8_t[]){ 1, 1, 99 }, 3,
			    "option kind 99 at byte 2 has no length byte");
	assert_decode_fails((const uint8_t[]){ 2, 0, 1, 1 }, 4,
			    "option kind 2 at byte 0 has length 0 (< 2)");
	assert_decode_fails((const uint8_t[]){ 99, 1, 1, 1 }, 4,
			    "option kind 99 at byte 0 has length 1 (< 2)");
	assert_decode_fails((const uint8_t[]){ 1, 8, 10, 0, 0, 0, 1 }, 7,
			    "option kind 8 at byte 1 has length 10, past the "
			    "end of the 7 option bytes");
	assert_decode_fails((const uint8_t[]){ 99, 255, 0, 0 }, 4,
			    "option kind 99 at byte 0 has length 255, past "
			    "the end of the 4 option bytes");
}

static void test_wrong_length_for_kind(void **state)
{
	uint8_t b[TCP_OPTION_BYTES_MAX] = { 0 };

	(void)state;
	assert_decode_fails((const uint8_t[]){ 2, 3, 5, 1 }, 4,
			    "mss option (kind 2) with length 3, not 4");
	assert_decode_fails((const uint8_t[]){ 3, 4, 1, 1 }, 4,
			    "wscale option (kind 3) with length 4, not 3");
	assert_decode_fails((const uint8_t[]){ 4, 3, 0, 1 }, 4,
			    "sackOK option (kind 4) with length 3, not 2");
	b[0] = 8, b[1] = 9;
	assert_decode_fails(b, 12, "TS option (kind 8) with length 9, not 10");
	b[0] = 19, b[1] = 17;
	assert_decode_fails(b, 20,
			    "md5 option (kind 19) with length 17, not 18");
	b[0] = 5, b[1] = 2;
	assert_decode_fails(b, 2,
			    "sack option (kind 5) with length 2, not 2 + 8 "
			    "per block (1 to 4 blocks)");
	b[1] = 9;
	assert_decode_fails(b, 12,
			    "sack option (kind 5) with length 9, not 2 + 8 "
			    "per block (1 to 4 blocks)");
	b[1] = 2 + 5 * 8;
	assert_decode_fails(b, 40,
			    "option kind 5 at byte 0 has length 42, past the "
			    "end of the 40 option bytes");
	b[0] = 172, b[1] = 4;
	assert_decode_fails(b, 4,
			    "ECN option (kind 172) with length 4, not 2, 5, "
			    "8 or 11");
	b[0] = 174, b[1] = 14;
	assert_decode_fails(b, 14,
			    "ECN option (kind 174) with length 14, not 2, 5, "
			    "8 or 11");
}

static void test_encode_errors(void **state)
{
	struct tcp_option_spec o = { .kind = TOPT_SACK };

	(void)state;
	assert_encode_fails(&o, "sack with 0 blocks (1 to 4)");
	o.u.sack.count = 5;
	assert_encode_fails(&o, "sack with 5 blocks (1 to 4)");
	o = (struct tcp_option_spec){ .kind = TOPT_MD5,
				      .u.data = { .len = 5 } };
	assert_encode_fails(&o, "md5 digest of 5 bytes, not 16");
	o = (struct tcp_option_spec){ .kind = TOPT_FASTOPEN,
				      .u.data = { .len = 39 } };
	assert_encode_fails(&o, "TCP options take 41 bytes, more than 40");
	o = (struct tcp_option_spec){
		.kind = TOPT_ACCECN,
		.u.accecn = { .count = 1, .field = { ACCECN_CEB } },
	};
	assert_encode_fails(&o, "AccECN fields go in the order e0b ceb e1b "
				"or e1b ceb e0b");
	o.u.accecn = (typeof(o.u.accecn)){
		.count = 2,
		.field = { ACCECN_E0B, ACCECN_E1B },
	};
	assert_encode_fails(&o, "AccECN fields go in the order e0b ceb e1b "
				"or e1b ceb e0b");
	o.u.accecn = (typeof(o.u.accecn)){ .count = 4, .field = E0B_CEB_E1B };
	assert_encode_fails(&o, "AccECN fields go in the order e0b ceb e1b "
				"or e1b ceb e0b");
	o.u.accecn = (typeof(o.u.accecn)){ 1, E1B_CEB_E0B, { 0x1000000 } };
	assert_encode_fails(&o, "AccECN counter 16777216 exceeds 24 bits");
	o = (struct tcp_option_spec){ .kind = TOPT_UNKNOWN };
	assert_encode_fails(&o, "raw option of 0 bytes");
	o = (struct tcp_option_spec){ .kind = (enum tcp_option_kind)40 };
	assert_encode_fails(&o, "unknown option kind 40");
}

/* Every prefix of a full option block, and random bytes: decoding either
 * works or fails, never reads outside the buffer. */
static void test_prefixes_and_noise_are_safe(void **state)
{
	static const uint8_t full[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0,
					2, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2,
					0, 0, 0, 3, 0, 0, 0, 4, 254, 8,
					0xf9, 0x89, 1, 2, 3, 4, 3, 3 };
	struct tcp_option_storage s;
	uint8_t noise[TCP_OPTION_BYTES_MAX];
	uint32_t x = 88172645u;

	(void)state;
	assert_int_equal(sizeof(full), 40);
	for (size_t n = 0; n <= sizeof(full); n++)
		decode(full, n, &s, NULL, 0);
	assert_int_equal(decode(full, sizeof(full), &s, NULL, 0), -1);
	for (int i = 0; i < 50000; i++) {
		size_t n = (size_t)i % (sizeof(noise) + 1);

		for (size_t k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			/* Small kinds and lengths, to hit real options. */
			noise[k] = (uint8_t)(i & 1 ? x % 12 : x);
		}
		if (decode(noise, n, &s, NULL, 0) == 0)
			assert_true(s.list.count <= n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_encodes),
		cmocka_unit_test(test_every_kind_decodes),
		cmocka_unit_test(test_every_kind_formats),
		cmocka_unit_test(test_lists_round_trip),
		cmocka_unit_test(test_list_format),
		cmocka_unit_test(test_eol_padding),
		cmocka_unit_test(test_md5_without_digest),
		cmocka_unit_test(test_forty_bytes),
		cmocka_unit_test(test_forty_byte_decode),
		cmocka_unit_test(test_malformed_lengths),
		cmocka_unit_test(test_wrong_length_for_kind),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_prefixes_and_noise_are_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
