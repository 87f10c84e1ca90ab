/* Which of a worker's UDP sockets sends a datagram. A worker may hold several (IPv4 and IPv6,
 * several bound addresses); a reply must leave from the socket the request reached, so that the
 * peer sees the address and port it wrote to. The engine's path knows its local address (the
 * packet info destination and the bound port of the socket it came in on), so the choice is:
 * the socket bound to exactly that address and port; else a wildcard socket of the family with
 * that port; else any wildcard socket of the family; else a dual-stack one (IPv4 over IPv6). A
 * socket bound to another specific address is never used: it cannot send from this one. */
#ifndef GT_WORKER_SOCKPICK_H
#define GT_WORKER_SOCKPICK_H

#include <stdbool.h>

#include "proto/addr.h"

struct sock_bound {
	struct mud_addr addr; /* as bound: a wildcard has an all-zero ip */
	bool dualstack;       /* AF_INET6 wildcard that carries IPv4 too */
};

/* Reads a bound socket's address (getsockname) and whether it is dual stack. Returns 0 or -1
 * with errno. */
int sock_bound_get(int fd, struct sock_bound *b);

/* The index of the socket for a datagram from local (family 0: any) to remote, or -1. */
int sock_pick(const struct sock_bound *b, int n, const struct mud_addr *local,
              const struct mud_addr *remote);

#endif
