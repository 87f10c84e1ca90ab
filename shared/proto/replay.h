/* Anti-replay window for one receive key, keyed by the sender's 48-bit timestamp (docs/protocol.md
 * section 11 item 1).
 *
 * Rule: the window remembers the highest committed timestamp ("top") and one bit per 2-us slot
 * for a span below it. A timestamp is fresh when it is newer than top (serial arithmetic mod
 * 2^48: "newer" means at most 2^47 - 2 us ahead), or when it lies within the span below top and
 * has not been committed yet. Older than the span is rejected. Bit 0 (the control flag) is
 * ignored, slot = t >> 1, so keep data and control messages in separate windows. A stock peer
 * may send two data packets with the same timestamp: the second one is rejected (the price of
 * replay protection, docs/protocol.md section 11 item 1).
 *
 * Check before the AEAD, commit after it: replay_check() only reads, so a forged packet cannot
 * move or fill the window. replay_commit() repeats the test and its verdict is the one to obey:
 * two copies checked in one batch both pass the check, only the first one commits.
 *
 * Memory: 2^k bits with 2^k >= span/128 + 1 words of 64 bits; the default span of 1 s takes
 * 64 KiB and really covers 1.048 s (replay_span_us() tells). Spans up to 64 s are accepted.
 * Cost: O(1) per check; a commit that moves top forward by d us clears d/128 words (at most the
 * whole bitmap), so O(1) amortised over a stream of timestamps. One allocation, in replay_new().
 */
#ifndef GT_PROTO_REPLAY_H
#define GT_PROTO_REPLAY_H

#include <stdint.h>

#define REPLAY_SPAN_DEFAULT_US 1000000ULL  /* 1 s */
#define REPLAY_SPAN_MAX_US     64000000ULL /* 64 s, 4 MiB */

enum replay_verdict {
	REPLAY_FRESH = 0,  /* never seen and within the window: accept */
	REPLAY_DUPLICATE,  /* already committed: drop */
	REPLAY_TOO_OLD,    /* below the window: drop */
};

struct replay;

/* A window covering at least span_us below the newest timestamp (0: the default). Returns NULL
 * with errno ENOMEM, or EINVAL if span_us exceeds REPLAY_SPAN_MAX_US. Starts empty. */
struct replay *replay_new(uint64_t span_us);
void replay_free(struct replay *r);

/* Forget everything (a new key): the next timestamp is fresh whatever its value. O(1). */
void replay_reset(struct replay *r);

/* The span really covered, in us (at least what replay_new() was asked for). */
uint64_t replay_span_us(const struct replay *r);

/* Would t (the raw 48-bit time field; bits above 47 and bit 0 are ignored) be accepted? Read
 * only: call before decryption. */
enum replay_verdict replay_check(const struct replay *r, uint64_t t);

/* Record t once the packet has authenticated. Returns the same verdict as replay_check() would
 * have at this moment; anything but REPLAY_FRESH means the packet must be dropped and nothing
 * was changed. Safe to call without a prior check. */
enum replay_verdict replay_commit(struct replay *r, uint64_t t);

#endif
