/* The lab's address plan (see scn_plan.h). */
#include <inttypes.h>
#include <stdio.h>

#include "scn_plan.h"

void
plan_link_addr4(char *buf, size_t len, int k, int side)
{
	snprintf(buf, len, "198.18.%d.%d/24", k, side);
}

void
plan_link_addr6(char *buf, size_t len, int k, int side)
{
	snprintf(buf, len, "fd00:0:1:%x::%d/64", k, side);
}

void
plan_lan_addr4(char *buf, size_t len, int h, int side)
{
	snprintf(buf, len, "198.19.%d.%d/24", h, side);
}

void
plan_lan_addr6(char *buf, size_t len, int h, int side)
{
	snprintf(buf, len, "fd00:0:2:%x::%d/64", h, side);
}

static const char *const roles[] = { "concentrator", "site", "host" };
static const char *const actions[] = { "cut", "restore", "set" };

int
plan_print(const struct scenario *s, FILE *f)
{
	char a[64], b[64], c[64], d[64];
	int conc = scn_concentrator(s), h = 0;

	/* 198.18.k.0/24 and 198.19.h.0/24 need k and h below 256. */
	if (s->nlinks > 250 || s->nnodes > 250)
		return -1;
	fprintf(f, "lab %" PRIu64 " %" PRIu64 " %d\n", s->seed, s->stats_interval, s->nlinks);
	for (int i = 0; i < s->nnodes; i++)
		fprintf(f, "node %s %s %s\n", s->nodes[i].name, roles[s->nodes[i].role],
		    s->nodes[i].via >= 0 ? s->nodes[s->nodes[i].via].name : "-");
	fprintf(f, "pub %s 198.19.0.1/32 fd00:0:3::1/128\n", s->nodes[conc].name);
	for (int i = 0; i < s->nlinks; i++) {
		const struct scn_link *l = &s->links[i];
		int k = i + 1;
		plan_link_addr4(a, sizeof(a), k, 2);
		plan_link_addr6(b, sizeof(b), k, 2);
		plan_link_addr4(c, sizeof(c), k, 1);
		plan_link_addr6(d, sizeof(d), k, 1);
		fprintf(f, "link %s %s %d %u %s %d %d %s %s 02:67:74:01:%02x:02 %s %s "
		    "02:67:74:01:%02x:01\n", l->name, s->nodes[l->site].name, k, l->params.mtu,
		    l->params.backup ? "backup" : "primary", 100 + k,
		    (l->params.backup ? 200 : 100) + k, a, b, k, c, d, k);
	}
	for (int i = 0; i < s->nnodes; i++) {
		if (s->nodes[i].role != SCN_HOST)
			continue;
		h++;
		plan_lan_addr4(a, sizeof(a), h, 1);
		plan_lan_addr6(b, sizeof(b), h, 1);
		plan_lan_addr4(c, sizeof(c), h, 2);
		plan_lan_addr6(d, sizeof(d), h, 2);
		fprintf(f, "lan %s %s %d %s %s %s %s\n", s->nodes[i].name,
		    s->nodes[s->nodes[i].via].name, h, a, b, c, d);
	}
	for (int i = 0; i < s->nevents; i++) {
		const struct scn_event *e = &s->events[i];
		fprintf(f, "event %" PRIu64 " %s %s %d%s%s\n", e->at, s->links[e->link].name,
		    actions[e->action], e->mask, e->args[0] ? " " : "", e->args);
	}
	return ferror(f) ? -1 : 0;
}
