/* Key slots, key pairs, derivation and rotation (engine_keys.c). Internal to the engine. */
#ifndef GT_PROTO_ENGINE_KEYS_H
#define GT_PROTO_ENGINE_KEYS_H

#include "proto/engine_core.h"

int engine_keys_init(struct engine *e);
void engine_keys_free(struct engine *e);
int engine_keys_generate(struct engine *e, uint64_t now);
void engine_keys_timer(struct engine *e, uint64_t now);
uint64_t engine_keys_deadline(const struct engine *e, uint64_t now);
const struct engine_slot *engine_keys_send_slot(const struct engine *e);
/* Opens a data packet with the first key that authenticates it and whose window takes its time
 * field (committed then). A key whose window refuses the time field is not tried at all. Returns
 * the plaintext size; -2 when no key opened it and a window refused it (stale or replayed), -1
 * when no key opened it otherwise. */
int engine_keys_open(struct engine *e, uint8_t *out, size_t cap, const uint8_t *pkt, size_t len);
int engine_keys_process(struct engine *e, struct engine_path *p, const struct mud_ctl *m,
                        uint64_t now);
bool engine_keys_seen(const struct engine *e, const uint8_t pkey[MUD_PKEY_SIZE]);

#endif
