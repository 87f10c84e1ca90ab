/* Anti-replay window: a ring of 64-bit words, one bit per 2-us slot (RFC 6479's layout). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/replay.h"

#define SLOT_BITS  47 /* 48-bit time without the control bit */
#define SLOT_MASK  ((UINT64_C(1) << SLOT_BITS) - 1)
#define SLOT_HALF  (UINT64_C(1) << (SLOT_BITS - 1))
#define WORD_MASK  (SLOT_MASK >> 6) /* word numbers wrap with the slots */

struct replay {
	uint64_t *words;
	uint64_t nwords;     /* power of two, so word numbers wrap cleanly mod 2^41 */
	uint64_t span_slots; /* (nwords - 1) * 64: the oldest word is the one being recycled */
	uint64_t top;        /* newest committed slot */
	int empty;
};

struct replay *
replay_new(uint64_t span_us)
{
	struct replay *r;
	uint64_t need, n = 2;

	if (span_us == 0)
		span_us = REPLAY_SPAN_DEFAULT_US;
	if (span_us > REPLAY_SPAN_MAX_US) {
		errno = EINVAL;
		return NULL;
	}
	need = (span_us + 127) / 128 + 1; /* 64 slots of 2 us per word, plus the recycled one */
	while (n < need)
		n <<= 1;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->words = calloc(n, sizeof(*r->words))) == NULL) {
		free(r);
		return NULL;
	}
	r->nwords = n;
	r->span_slots = (n - 1) * 64;
	r->empty = 1;
	return r;
}

void
replay_free(struct replay *r)
{
	if (r == NULL)
		return;
	free(r->words);
	free(r);
}

void
replay_reset(struct replay *r)
{
	r->empty = 1; /* the bitmap is cleared by the first commit */
}

uint64_t
replay_span_us(const struct replay *r)
{
	return r->span_slots * 2;
}

static enum replay_verdict
verdict(const struct replay *r, uint64_t slot)
{
	uint64_t ahead, back;

	if (r->empty)
		return REPLAY_FRESH;
	ahead = (slot - r->top) & SLOT_MASK;
	if (ahead != 0 && ahead < SLOT_HALF)
		return REPLAY_FRESH;
	back = (r->top - slot) & SLOT_MASK;
	if (back >= r->span_slots)
		return REPLAY_TOO_OLD;
	if (r->words[(slot >> 6) & (r->nwords - 1)] & (UINT64_C(1) << (slot & 63)))
		return REPLAY_DUPLICATE;
	return REPLAY_FRESH;
}

enum replay_verdict
replay_check(const struct replay *r, uint64_t t)
{
	return verdict(r, (t >> 1) & SLOT_MASK);
}

/* Move top forward to slot, clearing the words entered on the way. */
static void
advance(struct replay *r, uint64_t slot)
{
	uint64_t from = r->top >> 6, to = slot >> 6;
	uint64_t n = (to - from) & WORD_MASK;

	if (n >= r->nwords) {
		memset(r->words, 0, r->nwords * sizeof(*r->words));
	} else {
		for (uint64_t i = 1; i <= n; i++)
			r->words[(from + i) & (r->nwords - 1)] = 0;
	}
	r->top = slot;
}

enum replay_verdict
replay_commit(struct replay *r, uint64_t t)
{
	uint64_t slot = (t >> 1) & SLOT_MASK;
	enum replay_verdict v = verdict(r, slot);

	if (v != REPLAY_FRESH)
		return v;
	if (r->empty) {
		memset(r->words, 0, r->nwords * sizeof(*r->words));
		r->top = slot;
		r->empty = 0;
	} else if (((slot - r->top) & SLOT_MASK) < SLOT_HALF) {
		advance(r, slot);
	}
	r->words[(slot >> 6) & (r->nwords - 1)] |= UINT64_C(1) << (slot & 63);
	return REPLAY_FRESH;
}
