/* Network-namespace helpers for suites that touch interfaces: each test process enters a
 * namespace of its own (Check forks every test), so nothing reaches the host's network. */
#ifndef GT_TESTS_NETNS_H
#define GT_TESTS_NETNS_H

/* unshare(CLONE_NEWNET) and bring lo up; aborts the test on failure. */
void netns_enter(void);

/* Sets an IPv4 address and netmask on an interface (SIOCSIFADDR); aborts the test on failure. */
void netns_add_addr4(const char *ifname, const char *ip, const char *mask);

#endif
