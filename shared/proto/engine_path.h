/* The path table, path states and the per-path update (engine_path.c). Internal to the engine;
 * engine_path_set() and engine_paths() of engine.h live there too. */
#ifndef GT_PROTO_ENGINE_PATH_H
#define GT_PROTO_ENGINE_PATH_H

#include "proto/engine_core.h"

struct engine_path *engine_path_find(struct engine *e, const struct mud_addr *local,
                                     const struct mud_addr *remote);
struct engine_path *engine_path_create(struct engine *e, const struct mud_addr *local,
                                       const struct mud_addr *remote, uint64_t now);
void engine_paths_update(struct engine *e, uint64_t now);
uint64_t engine_paths_deadline(const struct engine *e, uint64_t now);
void engine_delay_apply(struct engine *e);
/* A path to carry a copy of data sent on p while p is unconfirmed (engine.c send_copy()). */
struct engine_path *engine_path_standin(struct engine *e, const struct engine_path *p,
                                        uint64_t now, size_t len);

#endif
