/* The lab's addresses and names, derived from a scenario; printed as a plan that gtlab reads.
 *
 * Link k (1.., in file order): 198.18.k.0/24 and fd00:0:1:k::/64 (k in hex); the concentrator
 * is .1 / ::1, the site .2 / ::2; MACs 02:67:74:01:kk:01 and :02; the site routes what it sends
 * from its address of link k with table 100+k. Host h (1.., in file order): 198.19.h.0/24 and
 * fd00:0:2:h::/64 between it (.2) and its gateway (.1). The concentrator's public address:
 * 198.19.0.1/32 and fd00:0:3::1/128 on its loopback. Everything is in 198.18.0.0/15 and fd00::/8.
 *
 * Plan lines (fields separated by one blank):
 *   lab SEED STATS_NS NLINKS
 *   node NAME ROLE VIA|-
 *   pub NODE ADDR4 ADDR6
 *   link NAME SITE K MTU primary|backup TABLE METRIC SITE4 SITE6 SITEMAC CONC4 CONC6 CONCMAC
 *   lan HOST GW H GW4 GW6 HOST4 HOST6
 *   event AT_NS LINK ACTION MASK [ARGS...]
 */
#ifndef GT_LAB_SCN_PLAN_H
#define GT_LAB_SCN_PLAN_H

#include <stdio.h>

#include "scn.h"

/* Address text for link k's side (1 concentrator, 2 site), with prefix length. */
void	plan_link_addr4(char *buf, size_t len, int k, int side);
void	plan_link_addr6(char *buf, size_t len, int k, int side);
/* Address text of host h's segment: side 1 the gateway, 2 the host. */
void	plan_lan_addr4(char *buf, size_t len, int h, int side);
void	plan_lan_addr6(char *buf, size_t len, int h, int side);

int	plan_print(const struct scenario *, FILE *);

#endif
