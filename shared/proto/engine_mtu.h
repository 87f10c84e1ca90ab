/* Path MTU discovery and the tunnel MTU (engine_mtu.c). Internal to the engine. */
#ifndef GT_PROTO_ENGINE_MTU_H
#define GT_PROTO_ENGINE_MTU_H

#include "proto/engine_core.h"

void engine_mtu_reset(struct engine_path *p);
void engine_mtu_answered(struct engine *e, struct engine_path *p, size_t size, unsigned wire_mtu);
size_t engine_mtu_init_size(struct engine *e, struct engine_path *p, uint64_t now);
void engine_mtu_unanswered(struct engine_path *p);
unsigned engine_mtu_usable(unsigned wire, enum mud_dialect d);
void engine_mtu_tunnel(struct engine *e);

#endif
