/* TCP options, byte-exact both ways: RFC 9293 3.1 and 3.2 (eol, nop, mss),
 * RFC 7323 (wscale, TS), RFC 2018 (sackOK, sack), RFC 2385 (md5), RFC 7413
 * (Fast Open, kind 34, and its experimental kind 254 with magic 0xf989 per
 * RFC 6994), draft-ietf-tcpm-accurate-ecn (AccECN, kinds 172 and 174). */
#include "packet/wire.h"

#include <string.h>

enum {
	OPT_EOL = 0,
	OPT_NOP = 1,
	OPT_MSS = 2,
	OPT_WSCALE = 3,
	OPT_SACK_PERMITTED = 4,
	OPT_SACK = 5,
	OPT_TIMESTAMP = 8,
	OPT_MD5 = 19,
	OPT_FASTOPEN = 34,
	OPT_ACCECN0 = 172, /* fields e0b, ceb, e1b */
	OPT_ACCECN1 = 174, /* fields e1b, ceb, e0b */
	OPT_EXPERIMENT = 254,
};

#define FASTOPEN_EXP_MAGIC 0xf989
#define MD5_DIGEST_LEN 16
#define ACCECN_FIELD_LEN 3

static const enum accecn_field accecn0_order[3] = { ACCECN_E0B, ACCECN_CEB,
						    ACCECN_E1B };
static const enum accecn_field accecn1_order[3] = { ACCECN_E1B, ACCECN_CEB,
						    ACCECN_E0B };

/* The wire kind the fields' order calls for, or -1 if it fits neither. */
static int accecn_kind(const struct tcp_option_spec *o)
{
	bool first1 = o->u.accecn.field[0] == ACCECN_E1B;
	const enum accecn_field *order = first1 ? accecn1_order : accecn0_order;

	if (o->u.accecn.count < 0 || o->u.accecn.count > 3)
		return -1;
	for (int i = 0; i < o->u.accecn.count; i++)
		if (o->u.accecn.field[i] != order[i])
			return -1;
	return first1 ? OPT_ACCECN1 : OPT_ACCECN0;
}

/* --- encode --------------------------------------------------------------- */

/* Kind, length and the place the contents go; NULL if it would not fit. */
static uint8_t *opt_start(uint8_t *out, size_t room, uint8_t kind,
			  size_t len)
{
	if (len > room)
		return NULL;
	out[0] = kind;
	out[1] = (uint8_t)len;
	return out + 2;
}

static int encode_data(const struct tcp_option_spec *o, uint8_t *out,
		       size_t room, size_t *used, char *err, size_t errlen)
{
	uint8_t *d;
	size_t n = o->u.data.len;

	if (n > TCP_OPTION_BYTES_MAX)
		return packet_err(err, errlen, "option data of %zu bytes", n);
	if (o->kind == TOPT_MD5) {
		if (n != 0 && n != MD5_DIGEST_LEN)
			return packet_err(err, errlen,
					  "md5 digest of %zu bytes, not %d",
					  n, MD5_DIGEST_LEN);
		*used = 2 + MD5_DIGEST_LEN;
		d = opt_start(out, room, OPT_MD5, *used);
		if (d)
			memset(d, 0, MD5_DIGEST_LEN);
	} else if (o->kind == TOPT_FASTOPEN) {
		*used = 2 + n;
		d = opt_start(out, room, OPT_FASTOPEN, *used);
	} else {
		*used = 4 + n;
		d = opt_start(out, room, OPT_EXPERIMENT, *used);
		if (d) {
			put_be16(d, FASTOPEN_EXP_MAGIC);
			d += 2;
		}
	}
	if (d)
		memcpy(d, o->u.data.bytes, n);
	return 0;
}

static int encode_sack(const struct tcp_option_spec *o, uint8_t *out,
		       size_t room, size_t *used, char *err, size_t errlen)
{
	int count = o->u.sack.count;
	uint8_t *d;

	if (count < 1 || count > SACK_BLOCKS_MAX)
		return packet_err(err, errlen,
				  "sack with %d blocks (1 to %d)", count,
				  SACK_BLOCKS_MAX);
	*used = 2 + 8 * (size_t)count;
	d = opt_start(out, room, OPT_SACK, *used);
	for (int i = 0; d && i < count; i++) {
		put_be32(d + 8 * i, o->u.sack.block[i].left);
		put_be32(d + 8 * i + 4, o->u.sack.block[i].right);
	}
	return 0;
}

static int encode_accecn(const struct tcp_option_spec *o, uint8_t *out,
			 size_t room, size_t *used, char *err, size_t errlen)
{
	int kind = accecn_kind(o);
	uint8_t *d;

	if (kind < 0)
		return packet_err(err, errlen,
				  "AccECN fields go in the order e0b ceb e1b "
				  "or e1b ceb e0b");
	for (int i = 0; i < o->u.accecn.count; i++)
		if (o->u.accecn.value[i] > 0xffffff)
			return packet_err(err, errlen,
					  "AccECN counter %u exceeds 24 bits",
					  o->u.accecn.value[i]);
	*used = 2 + ACCECN_FIELD_LEN * (size_t)o->u.accecn.count;
	d = opt_start(out, room, (uint8_t)kind, *used);
	for (int i = 0; d && i < o->u.accecn.count; i++)
		put_be24(d + ACCECN_FIELD_LEN * i, o->u.accecn.value[i]);
	return 0;
}

static int encode_unknown(const struct tcp_option_spec *o, uint8_t *out,
			  size_t room, size_t *used, char *err, size_t errlen)
{
	if (o->u.data.len < 1 || o->u.data.len > TCP_OPTION_BYTES_MAX)
		return packet_err(err, errlen,
				  "raw option of %zu bytes", o->u.data.len);
	*used = o->u.data.len;
	if (*used <= room)
		memcpy(out, o->u.data.bytes, *used);
	return 0;
}

/* Write one option at out if it fits in room; *used is its length either
 * way, so the caller can say how far over the limit the list goes. */
static int encode_one(const struct tcp_option_spec *o, uint8_t *out,
		      size_t room, size_t *used, char *err, size_t errlen)
{
	uint8_t *d;

	if (o->kind == TOPT_UNKNOWN)
		return encode_unknown(o, out, room, used, err, errlen);
	switch (o->kind) {
	case TOPT_EOL:
	case TOPT_NOP:
		*used = 1;
		if (room >= 1)
			out[0] = o->kind == TOPT_EOL ? OPT_EOL : OPT_NOP;
		return 0;
	case TOPT_MSS:
		*used = 4;
		if ((d = opt_start(out, room, OPT_MSS, 4)))
			put_be16(d, o->u.mss);
		return 0;
	case TOPT_WSCALE:
		*used = 3;
		if ((d = opt_start(out, room, OPT_WSCALE, 3)))
			d[0] = o->u.wscale;
		return 0;
	case TOPT_SACK_PERMITTED:
		*used = 2;
		opt_start(out, room, OPT_SACK_PERMITTED, 2);
		return 0;
	case TOPT_SACK:
		return encode_sack(o, out, room, used, err, errlen);
	case TOPT_TIMESTAMP:
		*used = 10;
		if ((d = opt_start(out, room, OPT_TIMESTAMP, 10))) {
			put_be32(d, o->u.ts.val);
			put_be32(d + 4, o->u.ts.ecr);
		}
		return 0;
	case TOPT_MD5:
	case TOPT_FASTOPEN:
	case TOPT_FASTOPEN_EXP:
		return encode_data(o, out, room, used, err, errlen);
	case TOPT_ACCECN:
		return encode_accecn(o, out, room, used, err, errlen);
	}
	return packet_err(err, errlen, "unknown option kind %d", (int)o->kind);
}

int tcp_options_encode(const struct tcp_option_list *opts, uint8_t *buf,
		       size_t cap, size_t *len, char *err, size_t errlen)
{
	size_t off = 0, used = 0, limit;

	limit = cap < TCP_OPTION_BYTES_MAX ? cap : TCP_OPTION_BYTES_MAX;
	for (size_t i = 0; opts && i < opts->count; i++) {
		/* Past the limit, keep counting without writing. */
		size_t room = off < limit ? limit - off : 0;
		uint8_t *out = room ? buf + off : NULL;

		if (encode_one(&opts->items[i], out, room, &used, err,
			       errlen) < 0)
			return -1;
		off += used;
	}
	if (off > TCP_OPTION_BYTES_MAX)
		return packet_err(err, errlen,
				  "TCP options take %zu bytes, more than %d",
				  off, TCP_OPTION_BYTES_MAX);
	if (off > cap)
		return packet_err(err, errlen,
				  "TCP options take %zu bytes, room for %zu",
				  off, cap);
	*len = off;
	return 0;
}

/* --- decode --------------------------------------------------------------- */

static const char *kind_name(uint8_t kind)
{
	switch (kind) {
	case OPT_MSS:
		return "mss";
	case OPT_WSCALE:
		return "wscale";
	case OPT_SACK_PERMITTED:
		return "sackOK";
	case OPT_SACK:
		return "sack";
	case OPT_TIMESTAMP:
		return "TS";
	case OPT_MD5:
		return "md5";
	case OPT_FASTOPEN:
		return "FO";
	case OPT_EXPERIMENT:
		return "FOEXP";
	case OPT_ACCECN0:
	case OPT_ACCECN1:
		return "ECN";
	default:
		return "unknown";
	}
}

static int bad_len(struct bytes opt, const char *want, char *err,
		   size_t errlen)
{
	return packet_err(err, errlen, "%s option (kind %u) with length %zu, "
			  "not %s", kind_name(get_u8(opt, 0)), get_u8(opt, 0),
			  opt.len, want);
}

static void decode_raw(struct bytes opt, struct tcp_option_spec *o)
{
	o->kind = TOPT_UNKNOWN;
	o->u.data.len = opt.len;
	get_bytes(opt, 0, o->u.data.bytes, opt.len);
}

/* Contents after a header of hdr bytes: an MD5 digest, a cookie. */
static void decode_data(struct bytes opt, size_t hdr, enum tcp_option_kind k,
			struct tcp_option_spec *o)
{
	o->kind = k;
	o->u.data.len = opt.len > hdr ? opt.len - hdr : 0;
	get_bytes(opt, hdr, o->u.data.bytes, o->u.data.len);
}

static int decode_sack(struct bytes opt, struct tcp_option_spec *o,
		       char *err, size_t errlen)
{
	size_t n = (opt.len - 2) / 8;

	if ((opt.len - 2) % 8 || n < 1 || n > SACK_BLOCKS_MAX)
		return bad_len(opt, "2 + 8 per block (1 to 4 blocks)", err,
			       errlen);
	o->kind = TOPT_SACK;
	o->u.sack.count = (int)n;
	for (size_t i = 0; i < n; i++) {
		o->u.sack.block[i].left = get_be32(opt, 2 + 8 * i);
		o->u.sack.block[i].right = get_be32(opt, 6 + 8 * i);
	}
	return 0;
}

static int decode_accecn(struct bytes opt, struct tcp_option_spec *o,
			 char *err, size_t errlen)
{
	const enum accecn_field *order =
		get_u8(opt, 0) == OPT_ACCECN1 ? accecn1_order : accecn0_order;
	size_t n = (opt.len - 2) / ACCECN_FIELD_LEN;

	if ((opt.len - 2) % ACCECN_FIELD_LEN || n > 3)
		return bad_len(opt, "2, 5, 8 or 11", err, errlen);
	o->kind = TOPT_ACCECN;
	o->u.accecn.count = (int)n;
	for (size_t i = 0; i < 3; i++) {
		o->u.accecn.field[i] = order[i];
		o->u.accecn.value[i] = i < n ? get_be24(opt, 2 + 3 * i) : 0;
	}
	return 0;
}

/* One option of length opt.len >= 2, known to be all there. */
static int decode_one(struct bytes opt, struct tcp_option_spec *o,
		      char *err, size_t errlen)
{
	switch (get_u8(opt, 0)) {
	case OPT_MSS:
		if (opt.len != 4)
			return bad_len(opt, "4", err, errlen);
		o->kind = TOPT_MSS;
		o->u.mss = get_be16(opt, 2);
		return 0;
	case OPT_WSCALE:
		if (opt.len != 3)
			return bad_len(opt, "3", err, errlen);
		o->kind = TOPT_WSCALE;
		o->u.wscale = get_u8(opt, 2);
		return 0;
	case OPT_SACK_PERMITTED:
		if (opt.len != 2)
			return bad_len(opt, "2", err, errlen);
		o->kind = TOPT_SACK_PERMITTED;
		return 0;
	case OPT_SACK:
		return decode_sack(opt, o, err, errlen);
	case OPT_TIMESTAMP:
		if (opt.len != 10)
			return bad_len(opt, "10", err, errlen);
		o->kind = TOPT_TIMESTAMP;
		o->u.ts.val = get_be32(opt, 2);
		o->u.ts.ecr = get_be32(opt, 6);
		return 0;
	case OPT_MD5:
		if (opt.len != 2 + MD5_DIGEST_LEN)
			return bad_len(opt, "18", err, errlen);
		decode_data(opt, 2, TOPT_MD5, o);
		return 0;
	case OPT_FASTOPEN:
		decode_data(opt, 2, TOPT_FASTOPEN, o);
		return 0;
	case OPT_EXPERIMENT:
		/* Kind 254 is shared by every experiment (RFC 6994). */
		if (opt.len >= 4 && get_be16(opt, 2) == FASTOPEN_EXP_MAGIC)
			decode_data(opt, 4, TOPT_FASTOPEN_EXP, o);
		else
			decode_raw(opt, o);
		return 0;
	case OPT_ACCECN0:
	case OPT_ACCECN1:
		return decode_accecn(opt, o, err, errlen);
	default:
		decode_raw(opt, o);
		return 0;
	}
}

/* The length byte of the option at off, checked against what is left. */
static int option_len(struct bytes b, size_t off, size_t *olen, char *err,
		      size_t errlen)
{
	uint8_t kind = get_u8(b, off);

	if (!bytes_has(b, off, 2))
		return packet_err(err, errlen,
				  "option kind %u at byte %zu has no length "
				  "byte", kind, off);
	*olen = get_u8(b, off + 1);
	if (*olen < 2)
		return packet_err(err, errlen,
				  "option kind %u at byte %zu has length %zu "
				  "(< 2)", kind, off, *olen);
	if (!bytes_has(b, off, *olen))
		return packet_err(err, errlen,
				  "option kind %u at byte %zu has length %zu, "
				  "past the end of the %zu option bytes",
				  kind, off, *olen, b.len);
	return 0;
}

int tcp_options_decode(const uint8_t *buf, size_t len,
		       struct tcp_option_list *out, char *err, size_t errlen)
{
	struct bytes b = { buf, len };
	size_t off = 0, olen = 0;

	out->count = 0;
	if (len > TCP_OPTION_BYTES_MAX)
		return packet_err(err, errlen,
				  "%zu option bytes, more than %d", len,
				  TCP_OPTION_BYTES_MAX);
	/* Each option takes a byte at least, so 40 entries are enough. */
	while (off < len) {
		struct tcp_option_spec *o = &out->items[out->count];
		uint8_t kind = get_u8(b, off);

		memset(o, 0, sizeof(*o));
		if (kind == OPT_EOL || kind == OPT_NOP) {
			o->kind = kind == OPT_EOL ? TOPT_EOL : TOPT_NOP;
			olen = 1;
		} else if (option_len(b, off, &olen, err, errlen) < 0 ||
			   decode_one(bytes_sub(b, off, olen), o, err,
				      errlen) < 0) {
			return -1;
		}
		out->count++;
		off += olen;
	}
	return 0;
}
