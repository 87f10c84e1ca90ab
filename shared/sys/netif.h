/* Network interfaces by name, through ioctls on a fresh AF_INET datagram socket: what the
 * privileged side of a tunnel (the supervisor, the hand-run `gt-worker bind` parent) changes
 * after it has handed the TUN descriptor to a worker. Needs CAP_NET_ADMIN to set. No logging:
 * -1 with errno (ENODEV for an unknown name, EINVAL for one too long). */
#ifndef GT_SYS_NETIF_H
#define GT_SYS_NETIF_H

#include <stdbool.h>

int netif_set_mtu(const char *name, int mtu);
int netif_get_mtu(const char *name);
int netif_set_up(const char *name, bool up);

/* The device's transmit queue length in packets (for a TUN: how many packets wait for its
 * reader, see TUN_TXQLEN_DEFAULT). */
int netif_set_txqlen(const char *name, int qlen);
int netif_get_txqlen(const char *name);

/* The tunnel MTU for a path whose IP MTU is path_mtu (family AF_INET or AF_INET6 of the
 * underlay): the UDP payload one IP packet carries, at most the protocol's largest datagram
 * (MUD_MTU_MAX), less the protocol's overhead (MUD_OVERHEAD). -1 with EINVAL when the path
 * cannot carry the protocol's smallest datagram. */
int netif_tunnel_mtu(int path_mtu, int family);

#endif
