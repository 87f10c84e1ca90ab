/* The packets' departure heap (see emu_heap.h). */
#include <stdlib.h>

#include "emu_heap.h"

static int
before(const struct pkt *a, const struct pkt *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

int
heap_push(struct heap *h, struct pkt *p)
{
	size_t i;

	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 256;
		struct pkt **v = realloc(h->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	for (i = h->n++; i > 0 && before(p, h->v[(i - 1) / 2]); i = (i - 1) / 2)
		h->v[i] = h->v[(i - 1) / 2];
	h->v[i] = p;
	return 0;
}

struct pkt *
heap_pop(struct heap *h)
{
	struct pkt *top, *last;
	size_t i = 0;

	if (h->n == 0)
		return NULL;
	top = h->v[0];
	last = h->v[--h->n];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && before(h->v[c + 1], h->v[c]))
			c++;
		if (!before(h->v[c], last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}
