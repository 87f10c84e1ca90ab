/* Receive-side resequencing: puts authenticated data packets back in the order of the sender's
 * timestamps, so TCP over paths of unequal delay sees few reorderings (docs/protocol.md
 * section 11 item 8).
 *
 * Rule. Packets leave in timestamp order. The oldest held packet H is released as soon as no
 * earlier packet can still come: every *active* path has delivered H or something newer (arrival
 * on one path is assumed in timestamp order). Otherwise H waits, for each lagging path p, until
 * the time a packet sent with H's timestamp would have reached us over p: ts(H) + offset(p) +
 * jitter + 4 * deviation(p), where offset(p) is the smoothed (arrival - sender timestamp) of p.
 * So the wait is the delay spread between the paths plus a jitter term, measured from arrivals,
 * never more than hold_max_us after H arrived. A path with no arrival for idle_us is no longer
 * waited for; with a single active path nothing is ever held. A path is only waited for once it
 * has delivered something, so the first packets of a new path may come late, unless the caller
 * reports its control messages (reseq_path_seen()) and that it expects data on it
 * (reseq_path_expect()): then it is known, and waited for, before its first data packet.
 *
 * Late packets (older than one already released) are handed back at once for delivery, marked
 * late, never dropped: duplicates are the replay window's job (it runs before this), so what is
 * late here is a real packet that TCP would rather have late than never. Equal timestamps keep
 * their arrival order.
 *
 * Memory: one pool of capacity x slot_size bytes (default 4096 x 1500 = 6 MiB) plus 48 bytes a
 * slot, all allocated in reseq_new(). A packet is copied once into a slot (or decrypted straight
 * into reseq_slot(), no copy); a packet that need not wait is not copied at all (RESEQ_DELIVER).
 * At most capacity - capacity/16 packets are held: past that the oldest is released at once
 * ("overflow"); the rest of the pool holds packets popped but not yet recycled.
 * Cost: O(log capacity) per packet (a binary heap on the timestamp) plus O(paths) per release.
 *
 * Use, per received packet, after replay check, AEAD and replay commit:
 *	rc = reseq_push(r, now, path, ts, plain, len);
 *	if (rc == RESEQ_DELIVER || rc == RESEQ_LATE) deliver(plain, len);
 *	while (reseq_pop(r, now, &pkt)) deliver(pkt.data, pkt.len);
 * and when the TUN writes of a batch are done: reseq_recycle(r). Sleep until reseq_deadline()
 * and pop again then. Times are in us on the caller's clock, which should be monotonic: if it
 * jumps back by more than 1 s, the path estimates are dropped and everything held is released.
 * ts is the raw 48-bit time field.
 */
#ifndef GT_PROTO_RESEQ_H
#define GT_PROTO_RESEQ_H

#include <stddef.h>
#include <stdint.h>

#define RESEQ_MAX_PATHS 32

struct reseq_config {
	uint32_t capacity;    /* packet slots; default 4096 */
	uint32_t slot_size;   /* bytes a slot holds; default 1500 */
	uint32_t hold_max_us; /* longest wait for an earlier packet; default 200000 */
	uint32_t jitter_us;   /* margin added to the measured spread; default 2000 */
	uint32_t idle_us;     /* a path silent this long is not waited for; default 100000 */
};

enum reseq_result {
	RESEQ_HELD = 0,    /* stored; reseq_pop() hands it out later */
	RESEQ_DELIVER = 1, /* next in order: deliver your own buffer now, then reseq_pop() */
	RESEQ_LATE = 2,    /* older than a released packet: deliver your own buffer now */
};

struct reseq_pkt {
	const uint8_t *data; /* valid until reseq_recycle() or reseq_free() */
	uint32_t len;
	unsigned path;
	uint64_t ts;      /* the 48-bit time field as pushed */
	uint64_t arrival; /* the now given to reseq_push() */
};

struct reseq_stats {
	uint64_t in_order;  /* arrived with nothing newer held (includes RESEQ_DELIVER) */
	uint64_t reordered; /* arrived after a newer packet and was put back in order */
	uint64_t late;      /* arrived after a newer packet was released (RESEQ_LATE) */
	uint64_t timeouts;  /* held packets released by giving up on an active lagging path */
	uint64_t overflow;  /* releases forced because no slot was free */
	uint32_t held;      /* packets held now */
	uint32_t held_max;  /* most ever held at once */
};

struct reseq;

void reseq_config_default(struct reseq_config *c);

/* c NULL: the defaults. Returns NULL with errno EINVAL (capacity below 2 or above 2^24,
 * slot_size 0 or above 65536) or ENOMEM. */
struct reseq *reseq_new(const struct reseq_config *c);
void reseq_free(struct reseq *r);

/* Hand over one authenticated packet received on path (< RESEQ_MAX_PATHS) at now. Returns a
 * reseq_result, or -1 with errno EINVAL (bad path, len > slot_size) or ENOBUFS (it would have to
 * wait and no slot is free: pop, deliver, reseq_recycle() and push it again); a failed push
 * changes nothing. data may be reseq_slot(). */
int reseq_push(struct reseq *r, uint64_t now, unsigned path, uint64_t ts, const void *data,
               size_t len);

/* Something other than data (a control message) arrived on path at now, sent with time field ts
 * (flag bit ignored), which must not be ahead of the timestamps of data the sender sends after it
 * (true when both come from one clock and data stamps never run behind it). Arrival being in
 * order on a path, the path has brought everything sent on it before ts; while it carries no
 * data, this also measures its offset. It does not make the path active (waited for): only its
 * data does, or reseq_path_expect(). */
void reseq_path_seen(struct reseq *r, uint64_t now, unsigned path, uint64_t ts);

/* The caller expects data on path (on != 0: the sender may use it, e.g. it is selected for data)
 * or not. An expected path with estimates (from data or reseq_path_seen()) is waited for however
 * long it has been silent, not only within idle_us of its last data, so the first packets it
 * brings, or the first after a pause, are not late; but a path without data lately is not
 * waited for when the spread to it is over hold_max_us (its packets would be late anyway). The
 * price is latency: packets on a faster path always wait for the spread to the slowest expected
 * one. Cleared by reseq_path_reset(). */
void reseq_path_expect(struct reseq *r, unsigned path, int on);

/* The slot_size buffer the next reseq_push() copies into; decrypt into it and push it to save
 * the copy. Overwritten by the next push. NULL when no slot is free. */
uint8_t *reseq_slot(struct reseq *r);

/* Next packet due at now, in order: 1 and *out filled, or 0. */
int reseq_pop(struct reseq *r, uint64_t now, struct reseq_pkt *out);

/* The slots of every popped packet become free again (their data pointers die). */
void reseq_recycle(struct reseq *r);

/* When reseq_pop() will release something without new input: UINT64_MAX if nothing is held, a
 * time <= now if something is due already. */
uint64_t reseq_deadline(const struct reseq *r);

/* Release everything held now on the next pops, whatever is missing (shutdown, path change). */
void reseq_flush(struct reseq *r);

/* Path removed: forget its estimates and stop waiting for it. */
void reseq_path_reset(struct reseq *r, unsigned path);

const struct reseq_stats *reseq_stats(const struct reseq *r);

#endif
