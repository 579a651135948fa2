/* Script <-> live translation of one connection's sequence numbers and
 * timestamps: scripts count the stack's bytes from its ISN and echo its
 * timestamps from the script's own clock. */
#ifndef TCPCHECK_SEQMAP_H
#define TCPCHECK_SEQMAP_H

#include <stdbool.h>
#include <stdint.h>

/* Which numbers are translated: only those in the stack's own spaces.
 *
 *   outbound seq                   live -> script: seqmap_local_to_script()
 *   outbound ack and SACK blocks   the remote's numbers: as they are
 *   inbound seq                    the remote's numbers: as they are
 *   inbound ack and SACK blocks    script -> live: seqmap_local_to_live()
 *   outbound TS val                seqmap_ts_val_to_script(), for diffs
 *   inbound TS ecr                 script -> live: seqmap_ts_ecr_to_live()
 *
 * All arithmetic is modulo 2^32. Before anything is learned the map is the
 * identity. */
struct seqmap {
	bool has_isn;
	uint32_t isn_delta; /* live - script, the stack's sequence space */
	uint32_t local_isn_script; /* the number the script's SYN gave it */
	uint32_t remote_isn; /* the tool's ISN, as its script SYN wrote it */
	bool has_ts;
	uint32_t ts_delta; /* live - script, the stack's TS val clock */
};

void seqmap_init(struct seqmap *m);

/* From the stack's SYN or SYN-ACK: the seq the script wrote for it
 * (usually 0) and the one on the wire. Later calls replace the offset; the
 * caller learns once per connection (seqmap_has_isn()). */
void seqmap_learn_isn(struct seqmap *m, uint32_t script_seq,
		      uint32_t live_seq);
bool seqmap_has_isn(const struct seqmap *m);

/* A number in the stack's sequence space, live -> script and back. */
uint32_t seqmap_local_to_script(const struct seqmap *m, uint32_t live);
uint32_t seqmap_local_to_live(const struct seqmap *m, uint32_t script);

/* From the first outbound segment carrying TS: the val the script wrote
 * (checked or not; 0 when the script wrote none) and the live one. Later
 * calls replace the offset, as for the ISN. */
/* Both directions as scripts write them: a SYN's numbers are absolute,
 * every other segment's count from its sender's ISN, like tcpdump. The
 * stack's space (its seq, the tool's ack and SACK blocks): */
uint32_t seqmap_stack_to_live(const struct seqmap *m, uint32_t script,
			      bool syn);
uint32_t seqmap_stack_to_script(const struct seqmap *m, uint32_t live,
				bool syn);
/* The tool's space (its seq, the stack's ack and SACK blocks); the tool
 * sends its script numbers as they are, so only the ISN moves them. */
void seqmap_learn_remote_isn(struct seqmap *m, uint32_t isn);
uint32_t seqmap_tool_to_live(const struct seqmap *m, uint32_t script,
			     bool syn);
uint32_t seqmap_tool_to_script(const struct seqmap *m, uint32_t live,
			       bool syn);

void seqmap_learn_ts(struct seqmap *m, uint32_t script_val,
		     uint32_t live_val);
bool seqmap_has_ts(const struct seqmap *m);

/* An inbound ecr as the stack's clock reads it: a script that echoes the
 * val it wrote echoes the val the stack really sent. */
uint32_t seqmap_ts_ecr_to_live(const struct seqmap *m, uint32_t script_ecr);
/* An outbound val on the script's clock, for diffs. */
uint32_t seqmap_ts_val_to_script(const struct seqmap *m, uint32_t live_val);

#endif
