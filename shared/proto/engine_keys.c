/* Key slots, key pairs, derivation and rotation (docs/protocol.md sections 2.4 and 4).
 *
 * Departures from the reference, invisible on the wire (a stock peer derives the same keys):
 * - every slot carries the replay window of the data received under it; slots that still hold
 *   the PSK share the PSK slot's window, so a PSK packet is remembered whichever slot opened it;
 * - a client re-derives `next` on a reply when its own pair changed since the last derivation,
 *   not only when the server's key changed, so its rotation is never lost (the race of 4.4);
 *   it ignores replies to messages that carried an older pair of its own; and when the server
 *   changes its key unprompted it answers with a new pair rather than deriving a key the server
 *   does not have (a restarted server, or master's server-side timer, B.4 item 1);
 * - a server makes a new pair for every new client key (at most once per ENGINE_KX_SERVER_MIN),
 *   never on a timer, so a stock client, which re-derives only on a new server key, rotates
 *   every period too, and master's server-side bug (B.4 item 1) cannot happen. */
#include <string.h>

#include <sodium.h>

#include "proto/engine_keys.h"

#define ENGINE_KX_SERVER_MIN ENGINE_SEC

static void
slot_set_psk(struct engine_slot *s, const uint8_t psk[MUD_KEY_SIZE])
{
	memcpy(s->enc, psk, MUD_KEY_SIZE);
	memcpy(s->dec, psk, MUD_KEY_SIZE);
	s->cipher = AEAD_CHACHA20POLY1305;
}

int
engine_keys_init(struct engine *e)
{
	struct engine_keys *k = &e->kx;
	struct engine_slot *slots[] = {&k->psk, &k->current, &k->next, &k->last};

	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		slot_set_psk(slots[i], e->cfg.psk);
		slots[i]->is_psk = true;
		slots[i]->rp = replay_new(e->cfg.replay_span);
		if (!slots[i]->rp)
			return -1;
	}
	return 0;
}

void
engine_keys_free(struct engine *e)
{
	struct engine_keys *k = &e->kx;

	replay_free(k->psk.rp);
	replay_free(k->current.rp);
	replay_free(k->next.rp);
	replay_free(k->last.rp);
	sodium_memzero(k, sizeof(*k));
}

int
engine_keys_generate(struct engine *e, uint64_t now)
{
	struct engine_keys *k = &e->kx;
	uint8_t secret[KEYX_SIZE];

	e->cfg.random(e->cfg.random_ctx, secret, sizeof(secret));
	int rc = keyx_pair_from_secret(&k->pair, secret);
	sodium_memzero(secret, sizeof(secret));
	if (rc)
		return -1;
	k->have_pair = true;
	k->pair_time = now;
	k->pair_derived = false;
	/* Control messages stamped after pair_ts carry the new public key. */
	k->pair_ts = e->ctl_last_ts;
	k->pair_ts_valid = e->ctl_sent_any;
	return 0;
}

/* Client: a new pair at start and every kxtimeout (section 4.4). */
void
engine_keys_timer(struct engine *e, uint64_t now)
{
	struct engine_keys *k = &e->kx;

	if (!engine_is_client(e))
		return;
	if (!k->have_pair || now - k->pair_time >= e->cfg.kxtimeout)
		engine_keys_generate(e, now);
}

uint64_t
engine_keys_deadline(const struct engine *e, uint64_t now)
{
	const struct engine_keys *k = &e->kx;

	if (!engine_is_client(e))
		return UINT64_MAX;
	if (!k->have_pair)
		return now;
	uint64_t age = now - k->pair_time;
	if (age >= e->cfg.kxtimeout)
		return now;
	return now + (e->cfg.kxtimeout - age);
}

const struct engine_slot *
engine_keys_send_slot(const struct engine *e)
{
	if (engine_is_client(e) && e->kx.use_next)
		return &e->kx.next;
	return &e->kx.current;
}

static struct replay *
slot_window(struct engine_keys *k, struct engine_slot *s)
{
	return s->is_psk ? k->psk.rp : s->rp;
}

/* Data received under next: last := current, current := next, use_next := 0. next keeps the
 * same key; the oldest window is recycled for it. */
static void
promote(struct engine *e)
{
	struct engine_keys *k = &e->kx;
	struct replay *spare = k->last.rp;

	k->last = k->current;
	k->current = k->next;
	k->next.rp = spare;
	replay_reset(spare);
	k->use_next = false;
	if (!k->current.is_psk) {
		k->keyed = true;
		k->rotations++;
		engine_event(e, ENGINE_EV_KEY_ROTATED, -1, k->current.cipher);
	}
}

int
engine_keys_open(struct engine *e, uint8_t *out, size_t cap, const uint8_t *pkt, size_t len)
{
	struct engine_keys *k = &e->kx;
	struct engine_slot *order[] = {&k->current, &k->next, &k->last, &k->psk};
	const uint64_t t = mud_pkt_time(pkt);
	bool psk_tried = false, stale = false;

	/* The peer's data time fields increase across its keys (a stock peer's follow its clock),
	 * so one already taken under any key is a replay, whichever key it claims. */
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (replay_check(slot_window(k, order[i]), t) == REPLAY_DUPLICATE)
			return -2;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		struct engine_slot *s = order[i];

		/* The same key twice cannot succeed the second time. */
		if (s->is_psk && psk_tried)
			continue;
		if (i > 0 && !s->is_psk && !k->current.is_psk && s != &k->current &&
		    sodium_memcmp(s->dec, k->current.dec, MUD_KEY_SIZE) == 0)
			continue;
		if (s->is_psk)
			psk_tried = true;
		/* A time field this key's window refuses costs no decryption. */
		if (replay_check(slot_window(k, s), t) != REPLAY_FRESH) {
			stale = true;
			continue;
		}
		e->aead_opens++;
		int n = mud_open(out, cap, pkt, len, s->cipher, s->dec);
		if (n < 0)
			continue;
		if (replay_commit(slot_window(k, s), t) != REPLAY_FRESH)
			return -2;
		if (s == &k->next)
			promote(e);
		return n;
	}
	return stale ? -2 : -1;
}

/* next := keys derived from the own pair and the peer's key (section 4.2). */
static int
derive(struct engine *e, const uint8_t pkey[MUD_PKEY_SIZE], uint8_t peer_aes)
{
	struct engine_keys *k = &e->kx;
	uint8_t enc[MUD_KEY_SIZE], dec[MUD_KEY_SIZE];

	if (keyx_derive(enc, dec, e->cfg.psk, &k->pair, pkey))
		return -1;
	memcpy(k->next.enc, enc, MUD_KEY_SIZE);
	memcpy(k->next.dec, dec, MUD_KEY_SIZE);
	sodium_memzero(enc, sizeof(enc));
	sodium_memzero(dec, sizeof(dec));
	k->next.cipher = (e->aes && peer_aes) ? AEAD_AEGIS256 : AEAD_CHACHA20POLY1305;
	/* Every slot owns a distinct window; one that held the PSK used the PSK slot's. */
	k->next.is_psk = false;
	replay_reset(k->next.rp);
	memcpy(k->remote, pkey, MUD_PKEY_SIZE);
	k->pair_derived = true;
	memcpy(k->seen[k->nseen++ % ENGINE_SEEN_KEYS], pkey, MUD_PKEY_SIZE);
	return 0;
}

/* Whether pkey is one of the last remote keys derived from (a replay carries an old one; a
 * restarted peer a new one). */
bool
engine_keys_seen(const struct engine *e, const uint8_t pkey[MUD_PKEY_SIZE])
{
	const struct engine_keys *k = &e->kx;
	unsigned n = k->nseen < ENGINE_SEEN_KEYS ? k->nseen : ENGINE_SEEN_KEYS;

	for (unsigned i = 0; i < n; i++)
		if (memcmp(k->seen[i], pkey, MUD_PKEY_SIZE) == 0)
			return true;
	return false;
}

/* Section 4.3, for a server on an initiation and a client on a reply. Returns 0 (answer) or -1
 * (keyx failure: counted by the caller, no answer). */
int
engine_keys_process(struct engine *e, struct engine_path *p, const struct mud_ctl *m,
                    uint64_t now)
{
	struct engine_keys *k = &e->kx;
	bool changed = sodium_memcmp(m->pkey, k->remote, MUD_PKEY_SIZE) != 0;

	(void)p;
	if (!engine_is_client(e)) {
		if (!changed)
			return 0;
		if (!k->have_pair || now - k->pair_time >= ENGINE_KX_SERVER_MIN)
			if (engine_keys_generate(e, now))
				return -1;
		return derive(e, m->pkey, m->aes);
	}

	/* A reply to a message sent with an older pair of ours: the server derived from that
	 * pair, so deriving now would give a key it does not have. Wait for the next one. */
	if (k->pair_ts_valid && !mud_t48_newer(m->sent_time & MUD_T48_MASK, k->pair_ts))
		return 0;
	if (changed && k->pair_derived && k->have_pair) {
		/* The server changed its key on its own (a restart, or master's timer, B.4 item 1):
		 * it derived nothing new from our unchanged key, so a key derived now would be one
		 * it does not hold. A new pair of ours makes it derive, then we do. */
		return engine_keys_generate(e, now);
	}
	if (changed || !k->pair_derived)
		return derive(e, m->pkey, m->aes);
	k->use_next = true;
	return 0;
}
