/* Sender-side path choice and pacing (replaces the reference's weighted random choice and global
 * window, docs/protocol.md sections 8.2 and 8.3; the peer cannot tell).
 *
 * Each path has a virtual queue: the bytes sent on it that its rate has not drained yet, as if
 * the path were a pipe of that rate. A packet of size S sent now on path p would arrive at
 *	now + owd(p) + (queue(p) + S) / rate(p)
 * and the scheduler picks the usable path (usable, rate > 0) that minimises this, among those
 * whose queue holds less than queue_us of their rate (the pacing limit: at most that much is let
 * into a path's bottleneck at once). At low load every packet takes the path of least delay; once
 * its queue reaches the limit the next best path takes the overflow; with equal delays the bytes
 * split in proportion to the rates.
 *
 * The choice is made per burst: the path chosen for a burst's first packet keeps the burst until
 * it holds burst_pkts packets or burst_bytes bytes, queue_us has passed since it began, the path
 * becomes unusable, or the caller ends the burst, so a GSO batch goes out on one path. A burst
 * may take its path past the limit by at most one burst.
 *
 * Memory: fixed, 32 paths. Cost: O(paths) per burst, O(1) per further packet of a burst.
 * Rates are in bytes/s, times in us on the caller's clock (monotonic; a step back of more than
 * 1 s restarts the queues' draining from the new time). Sizes are UDP payloads; each path adds its
 * per-packet overhead (sched_set_overhead(): the outer IP and UDP headers) so that a path is paced
 * in the bytes its link spends, not the payload (the reference counts payload only and so
 * overdrives a link set to its exact rate by 1.9% with IPv4, 3.3% with IPv6).
 */
#ifndef GT_PROTO_SCHED_H
#define GT_PROTO_SCHED_H

#include <stddef.h>
#include <stdint.h>

#define SCHED_MAX_PATHS 32

struct sched_config {
	uint32_t burst_pkts;  /* default 16 */
	uint32_t burst_bytes; /* default 65536 */
	uint32_t queue_us;    /* pacing limit per path; default 5000 */
	uint32_t tie_us;      /* arrival times this close are a tie, kept by the last path; 1000 */
};

struct sched;

void sched_config_default(struct sched_config *c);

/* c NULL: the defaults. Returns NULL with errno EINVAL (a zero field) or ENOMEM. All paths start
 * unusable. */
struct sched *sched_new(const struct sched_config *c);
void sched_free(struct sched *s);

/* Set what the engine knows of path (< SCHED_MAX_PATHS): usable or not (OK and not skipped as
 * backup), its transmit rate in bytes/s (0: never chosen) and one-way delay estimate in us (say
 * RTT/2). The virtual queue is kept. Returns -1 with errno EINVAL for a bad path. */
int sched_set_path(struct sched *s, unsigned path, int usable, uint64_t rate, uint64_t owd_us);

/* Bytes the link spends on each packet of path beyond its UDP payload (28 for IPv4, 48 for IPv6;
 * 0 until set), counted by sched_pick() and sched_account(). Kept by sched_set_path(); cleared by
 * sched_clear_path(). Returns -1 with errno EINVAL for a bad path or more than 65535. */
int sched_set_overhead(struct sched *s, unsigned path, unsigned bytes);

/* The path is gone: unusable, its virtual queue emptied. */
void sched_clear_path(struct sched *s, unsigned path);

/* Choose the path for a packet of size bytes to be sent at now, and count it on that path's
 * queue. Returns the path, or -1 with errno EAGAIN (every usable path is at its limit: wait until
 * sched_next()) or ENETUNREACH (no usable path). */
int sched_pick(struct sched *s, uint64_t now, size_t size);

/* The next sched_pick() starts a new burst (end of a GSO batch, or of a TUN read batch). */
void sched_burst_end(struct sched *s);

/* Count bytes sent on path outside sched_pick() (control messages, probes). */
void sched_account(struct sched *s, uint64_t now, unsigned path, size_t size);

/* The earliest time sched_pick() can succeed: now if it can already, UINT64_MAX if no path is
 * usable. */
uint64_t sched_next(struct sched *s, uint64_t now);

/* The virtual queue of path at now, in bytes (tests, status). */
uint64_t sched_queued(struct sched *s, uint64_t now, unsigned path);

#endif
