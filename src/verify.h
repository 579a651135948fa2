/* Expected versus live TCP segment: which fields differ, by name. */
#ifndef TCPCHECK_VERIFY_H
#define TCPCHECK_VERIFY_H

#include "diag.h"
#include "packet/packet.h"
#include "script.h"

/* A live segment with its numbers already in script terms (seqmap.h). */
struct live_segment {
	const struct packet *packet;
	uint32_t seq;     /* script-relative */
	uint32_t ack;     /* script-relative (to the tool's ISN) */
	uint32_t ts_val;  /* script-relative when the segment carries TS */
	struct tcp_option_list *options; /* decoded; TS val, SACK mapped */
};

/* Compare the TCP fields; on a difference fill d (EXIT_FAIL, at loc)
 * with the fields that differ ("expected ack 2, got ack 1"). */
int verify_segment(const struct packet_spec *exp, const struct live_segment *l,
		   const struct src_loc *loc, struct diag *d);

/* What only the run can judge of a live segment: its ECN codepoint and
 * flow label (the run maps them), its TS val (--tcp_ts_tick_usecs). */
struct verify_checks {
	const char *ecn; /* the scripted codepoint's name; NULL: none */
	bool ecn_bad, flowlabel_bad, ts_val_bad;
};

/* Both segments on the lines of an error already set, field by field
 * (diag_pair_add), with every field marked that differs where the script
 * constrains it: the IP fields written, flags, range, ack, win and urg
 * when written, the options unless "<...>" (one by one when both lists
 * are as long, else the whole list). */
void verify_pair(const struct packet_spec *exp, const struct live_segment *l,
		 const struct verify_checks *x, struct diag *d);

/* The scripted segment, and the live one, in script syntax. */
void verify_format_expected(const struct packet_spec *exp, char *buf,
			    size_t len);
void verify_format_live(const struct live_segment *l, bool with_options,
			char *buf, size_t len);

#endif
