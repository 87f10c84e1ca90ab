/* RTT and the per-path rate and loss estimates (engine_rate.c). Internal to the engine. */
#ifndef GT_PROTO_ENGINE_RATE_H
#define GT_PROTO_ENGINE_RATE_H

#include "proto/engine_core.h"

void engine_rate_snapshot(struct engine_path *p, uint64_t time_field, const struct mud_ctl *m,
                          uint64_t sent_at);
void engine_rtt_sample(struct engine_rtt *s, uint64_t sample, uint64_t now);

#endif
