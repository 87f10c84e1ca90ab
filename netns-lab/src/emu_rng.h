/* The emulator's random numbers: xoshiro256** seeded through splitmix64, so that a scenario's
 * seed gives the same stream on every machine. One stream per purpose and direction, so that
 * turning jitter on does not change which packets are lost. */
#ifndef GT_LAB_EMU_RNG_H
#define GT_LAB_EMU_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t	s[4];
};

/* Seeds from the scenario's seed and a label ("fibre/up/loss"). */
void		rng_seed(struct rng *, uint64_t seed, const char *label);
uint64_t	rng_next(struct rng *);
/* True with probability ppb / 10^9. */
bool		rng_chance(struct rng *, uint32_t ppb);
/* Uniform in [-w, w]. */
int64_t		rng_uniform(struct rng *, uint64_t w);
/* About normal (Irwin-Hall of 12) with standard deviation sd, cut at 4 sd. */
int64_t		rng_normal(struct rng *, uint64_t sd);

#endif
