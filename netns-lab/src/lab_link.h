/* One emulated link's parameters, per direction, and the words that set them. The same words
 * serve a scenario's `link` line, its timeline's `set` events and `gtlab link ... set`.
 *
 *   [up|down|both] rate R | delay T | jitter T [uniform|normal] | loss P% [burst N]
 *                | loss ge P% R% [BAD% [GOOD%]] | loss 0 | duplicate P% | reorder P% [gap T]
 *                | queue T|SIZE | bucket SIZE | mtu N | backup (scenario only)
 *
 * `up` is the site -> concentrator direction, `down` the other; words before any direction word
 * apply to both, and `up`, `down`, `both` switch the target for the words that follow. */
#ifndef GT_LAB_LINK_H
#define GT_LAB_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { LAB_UP = 0, LAB_DOWN = 1 };
#define LAB_BOTH ((1 << LAB_UP) | (1 << LAB_DOWN))

enum lab_loss { LAB_LOSS_NONE, LAB_LOSS_RANDOM, LAB_LOSS_GE };
enum lab_jitter { LAB_JITTER_UNIFORM, LAB_JITTER_NORMAL };
enum lab_queue { LAB_QUEUE_TIME, LAB_QUEUE_BYTES };

#define LAB_MTU_MIN	1280	/* IPv6 needs it */
#define LAB_MTU_MAX	9000
#define LAB_DELAY_MAX	(10ull * 1000000000ull)	/* 10 s */

struct lab_dir {
	uint64_t	rate;		/* bit/s of IP packets; 0: unlimited */
	uint64_t	delay;		/* one-way, ns */
	uint64_t	jitter;		/* ns: half-width (uniform) or sd (normal) */
	int		jitter_dist;	/* enum lab_jitter */
	int		loss_kind;	/* enum lab_loss */
	uint32_t	loss;		/* ppb, LAB_LOSS_RANDOM */
	uint32_t	ge_p;		/* ppb per packet: good -> bad */
	uint32_t	ge_r;		/* ppb per packet: bad -> good */
	uint32_t	ge_bad;		/* ppb lost in the bad state */
	uint32_t	ge_good;	/* ppb lost in the good state */
	uint32_t	dup;		/* ppb */
	uint32_t	reorder;	/* ppb */
	uint64_t	reorder_gap;	/* ns a reordered packet is held back */
	int		queue_kind;	/* enum lab_queue */
	uint64_t	queue;		/* ns of the rate, or bytes */
	uint64_t	burst;		/* `bucket`: bytes sent at once after idling */
	unsigned	mtu;		/* largest IP packet carried; larger ones are dropped */
};

struct lab_link {
	struct lab_dir	dir[2];
	unsigned	mtu;		/* the interfaces' MTU */
	bool		backup;
};

/* Where the words are read: a scenario's link line, or a change at run time. */
enum lab_ctx { LAB_CTX_SCENARIO, LAB_CTX_RUNTIME };

void	lab_link_init(struct lab_link *);

/* Applies words argv[0..argc-1] to the link. On error returns -1 and writes a message (without
 * file or line) to err; the link may then be partly changed: callers work on a copy. */
int	lab_link_apply(struct lab_link *, int argc, char **argv, enum lab_ctx,
	    char *err, size_t errlen);

/* A direction's parameters as words lab_link_apply reads back ("rate 100mbit delay 5ms ..."). */
int	lab_dir_format(const struct lab_dir *, char *buf, size_t len);

/* Splits a line into words in place (blanks separate); returns the count, or -1 past max. */
int	lab_split(char *line, char **argv, int max);

#endif
