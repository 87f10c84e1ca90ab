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
/* Data just sealed for p (dgram, len bytes): while p is a path we initiate on that has not
 * answered for two beats, the same datagram also goes on the best other confirmed path. */
void engine_path_copy_data(struct engine *e, const struct engine_path *p, uint64_t now,
                           const uint8_t *dgram, size_t len);

#endif
