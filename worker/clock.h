/* The protocol clock (docs/protocol.md section 5): wall-clock microseconds as of start-up,
 * advanced by the monotonic clock, masked to 48 bits with bit 0 clear. Later steps of the wall clock do not
 * move it, so it never goes backwards. */
#ifndef GT_WORKER_CLOCK_H
#define GT_WORKER_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct mud_clock {
	uint64_t base; /* realtime - monotonic at start, in us (0 if the wall clock was unset) */
};

/* Returns false when the wall clock looks unset (before 2020): the peer will then reject every
 * datagram as out of tolerance, so the caller should say so loudly. */
bool mud_clock_init(struct mud_clock *c);

uint64_t mud_clock_now(const struct mud_clock *c);

/* Monotonic microseconds (for timeouts). */
uint64_t mud_clock_mono(void);

#endif
