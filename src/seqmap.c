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
	m->local_isn_script = script_seq;
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

uint32_t seqmap_stack_to_live(const struct seqmap *m, uint32_t script,
			      bool syn)
{
	return seqmap_local_to_live(m, syn ? script
					   : script + m->local_isn_script);
}

uint32_t seqmap_stack_to_script(const struct seqmap *m, uint32_t live,
				bool syn)
{
	uint32_t abs = seqmap_local_to_script(m, live);

	return syn ? abs : abs - m->local_isn_script;
}

void seqmap_learn_remote_isn(struct seqmap *m, uint32_t isn)
{
	m->remote_isn = isn;
}

uint32_t seqmap_tool_to_live(const struct seqmap *m, uint32_t script,
			     bool syn)
{
	return syn ? script : script + m->remote_isn;
}

uint32_t seqmap_tool_to_script(const struct seqmap *m, uint32_t live,
			       bool syn)
{
	return syn ? live : live - m->remote_isn;
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
