#include "clock.h"

#include <time.h>

#include "proto/wire.h"

#define WALL_CLOCK_SANE_US UINT64_C(1577836800000000) /* 2020-01-01 */

static uint64_t
read_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
mud_clock_mono(void)
{
	return read_us(CLOCK_MONOTONIC);
}

bool
mud_clock_init(struct mud_clock *c)
{
	uint64_t real = read_us(CLOCK_REALTIME);
	uint64_t mono = mud_clock_mono();

	c->base = real > mono ? real - mono : 0;
	return real >= WALL_CLOCK_SANE_US;
}

uint64_t
mud_clock_now(const struct mud_clock *c)
{
	return mud_t48(c->base + mud_clock_mono());
}
