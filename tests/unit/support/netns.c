#define _GNU_SOURCE /* unshare */
#include "support/netns.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

void
netns_enter(void)
{
	struct ifreq ifr;

	/* A failed unshare must stop the test before it touches any interface. */
	if (unshare(CLONE_NEWNET) == -1)
		ck_abort_msg("unshare(CLONE_NEWNET): %s", strerror(errno));
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ck_assert_int_eq(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	ck_assert_int_eq(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
}

void
netns_add_addr4(const char *ifname, const char *ip, const char *mask)
{
	struct ifreq ifr;
	struct sockaddr_in sin;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(s, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	ck_assert_msg(ioctl(s, SIOCSIFADDR, &ifr) == 0, "SIOCSIFADDR: %s", strerror(errno));
	ck_assert_int_eq(inet_pton(AF_INET, mask, &sin.sin_addr), 1);
	memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
	ck_assert_msg(ioctl(s, SIOCSIFNETMASK, &ifr) == 0, "SIOCSIFNETMASK: %s", strerror(errno));
	close(s);
}
