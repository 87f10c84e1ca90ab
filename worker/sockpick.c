#include "sockpick.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static bool
is_wildcard(const struct mud_addr *a)
{
	static const uint8_t zero[16];
	return !memcmp(a->ip, zero, sizeof(zero));
}

int
sock_bound_get(int fd, struct sock_bound *b)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int v6only = 1;
	socklen_t olen = sizeof(v6only);

	memset(b, 0, sizeof(*b));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    mud_addr_from_sockaddr(&b->addr, (struct sockaddr *)&ss, len) == -1)
		return -1;
	if (b->addr.family == AF_INET6 && is_wildcard(&b->addr) &&
	    getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen) == 0 && !v6only)
		b->dualstack = true;
	return 0;
}

int
sock_pick(const struct sock_bound *b, int n, const struct mud_addr *local,
          const struct mud_addr *remote)
{
	int fam = remote->family;

	if (local->family == fam) {
		for (int i = 0; i < n; i++) /* exactly the address and port */
			if (b[i].addr.family == fam && mud_addr_ip_equal(&b[i].addr, local) &&
			    (!local->port || b[i].addr.port == local->port))
				return i;
		for (int i = 0; i < n; i++) /* a wildcard of the family on that port */
			if (b[i].addr.family == fam && is_wildcard(&b[i].addr) &&
			    (!local->port || b[i].addr.port == local->port))
				return i;
		if (local->port) /* a dual-stack wildcard on that port */
			for (int i = 0; i < n; i++)
				if (fam == AF_INET && b[i].dualstack && b[i].addr.port == local->port)
					return i;
	}
	for (int i = 0; i < n; i++) /* any wildcard of the family */
		if (b[i].addr.family == fam && is_wildcard(&b[i].addr))
			return i;
	for (int i = 0; i < n; i++)
		if (fam == AF_INET && b[i].dualstack)
			return i;
	if (!local->family) /* the source is the kernel's choice: a specific socket will do */
		for (int i = 0; i < n; i++)
			if (b[i].addr.family == fam)
				return i;
	return -1;
}
