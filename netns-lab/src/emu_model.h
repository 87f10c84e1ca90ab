/* One direction of an emulated link, without I/O: given a packet's arrival time and size, it
 * decides whether the packet is lost, duplicated, and when each copy leaves. Time is passed in
 * (ns), so tests drive it with a fake clock.
 *
 * The order, per packet: cut, MTU, loss (random or Gilbert-Elliott), duplication; then for each
 * copy: the bottleneck (token bucket of `rate` and `bucket` bytes, tail drop past `queue`), the
 * one-way delay plus jitter, and reordering. Jitter keeps packets in order (a packet never
 * leaves before one that arrived earlier), except those picked for reordering, which are held
 * back `gap` and overtaken. */
#ifndef GT_LAB_EMU_MODEL_H
#define GT_LAB_EMU_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "emu_rng.h"
#include "lab_link.h"

struct model_stats {
	uint64_t	rx_pkts, rx_bytes;	/* arrived (IP bytes) */
	uint64_t	control;		/* of those, link-local control frames (such as
						 * the MLD reports the kernel sends on its own) */
	uint64_t	tx_pkts, tx_bytes;	/* left (counted by the caller) */
	uint64_t	lost;			/* loss model */
	uint64_t	qdrop;			/* queue full */
	uint64_t	cut;			/* link cut, arrivals and packets in flight */
	uint64_t	oversize;		/* larger than the MTU */
	uint64_t	dup;			/* extra copies made */
	uint64_t	reordered;		/* held back to be overtaken */
	uint64_t	other;			/* no memory, or a failed send */
	uint64_t	sockdrop;		/* lost before the emulator read them (socket
						 * buffer full: the emulator is too slow) */
};

struct model {
	struct lab_dir	p;
	bool		cut;
	bool		ge_bad;		/* Gilbert-Elliott state */
	uint64_t	link_free;	/* ns: when the bottleneck has sent all it holds */
	uint64_t	last_inorder;	/* latest departure given to an in-order packet */
	struct rng	r_loss, r_ge, r_jitter, r_dup, r_reorder;
	struct model_stats st;
};

/* LABEL names the direction ("fibre/up") for seeding. */
void	model_init(struct model *, const struct lab_dir *, uint64_t seed, const char *label);

/* A packet of iplen bytes arrives at now: returns how many copies leave (0, 1 or 2) and
 * writes their departure times to when[]. Updates the counters but tx_*. */
int	model_admit(struct model *, uint64_t now, uint32_t iplen, uint64_t when[2]);

/* A link-local control frame (multicast or broadcast destination, such as an IPv6 MLD report)
 * arrives: it takes the delay and obeys cuts, but draws no random number and takes no share
 * of the rate, so that such frames, which the kernel sends at random times, do not change a
 * seeded run; counted in control as well as rx_pkts. Returns 0 or 1 copy. */
int	model_admit_control(struct model *, uint64_t now, uint32_t iplen, uint64_t when[2]);

/* Restarts the random streams (and the Gilbert-Elliott state) from the seed, as at init. */
void	model_reseed(struct model *, uint64_t seed, const char *label);

/* Bytes waiting at the bottleneck at now, and the delay (ns) a packet arriving now would see
 * before jitter. */
uint64_t model_backlog(const struct model *, uint64_t now);
uint64_t model_delay(const struct model *, uint64_t now);

/* Time (ns) to send bytes at rate bit/s, rounded up. */
uint64_t model_tx_time(uint64_t bytes, uint64_t rate);

#endif
