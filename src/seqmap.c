/* Script <-> live sequence and timestamp translation for one connection. */
#include "seqmap.h"

#include <string.h>

void seqmap_init(struct seqmap *m)
{
	memset(m, 0, sizeof(*m));
}

void seqmap_learn_isn(struct seqmap *m, uint32_t script_seq,
		      uint32_t live_seq)
{
	m->isn_delta = live_seq - script_seq;
	m->has_isn = true;
}

bool seqmap_has_isn(const struct seqmap *m)
{
	return m->has_isn;
}

uint32_t seqmap_local_to_script(const struct seqmap *m, uint32_t live)
{
	return live - m->isn_delta;
}

uint32_t seqmap_local_to_live(const struct seqmap *m, uint32_t script)
{
	return script + m->isn_delta;
}

void seqmap_learn_ts(struct seqmap *m, uint32_t script_val,
		     uint32_t live_val)
{
	m->ts_delta = live_val - script_val;
	m->has_ts = true;
}

bool seqmap_has_ts(const struct seqmap *m)
{
	return m->has_ts;
}

uint32_t seqmap_ts_ecr_to_live(const struct seqmap *m, uint32_t script_ecr)
{
	return script_ecr + m->ts_delta;
}

uint32_t seqmap_ts_val_to_script(const struct seqmap *m, uint32_t live_val)
{
	return live_val - m->ts_delta;
}
