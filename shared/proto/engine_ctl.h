/* Control messages: building, processing, the client's timer (engine_ctl.c). Internal to the
 * engine. */
#ifndef GT_PROTO_ENGINE_CTL_H
#define GT_PROTO_ENGINE_CTL_H

#include "proto/engine_core.h"

void engine_ctl_recv(struct engine *e, struct engine_path *p, uint64_t now, uint64_t time_field,
                     const struct mud_ctl *m, enum mud_dialect d, size_t size);
int engine_ctl_send(struct engine *e, struct engine_path *p, uint64_t now, uint64_t sent_time,
                    uint64_t fw_bytes, uint64_t fw_total, size_t size, enum mud_dialect d);
void engine_ctl_timer(struct engine *e, struct engine_path *p, uint64_t now);
uint64_t engine_ctl_deadline(const struct engine *e, const struct engine_path *p, uint64_t now);

#endif
