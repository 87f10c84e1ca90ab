/* A binary min-heap of packets waiting to leave, ordered by time, then by arrival. */
#ifndef GT_LAB_EMU_HEAP_H
#define GT_LAB_EMU_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct pkt {
	uint64_t	 when;		/* ns, CLOCK_MONOTONIC: when it leaves */
	uint64_t	 seq;		/* arrival order, breaks ties */
	struct pkt	*next;		/* on the free list */
	uint32_t	 len;		/* bytes in data */
	unsigned char	 data[];
};

struct heap {
	struct pkt	**v;
	size_t		  n, cap;
};

/* Returns -1 if memory runs out. */
int		 heap_push(struct heap *, struct pkt *);
struct pkt	*heap_pop(struct heap *);
static inline struct pkt *
heap_top(const struct heap *h)
{
	return h->n ? h->v[0] : NULL;
}

#endif
