/* Landlock: a ruleset that handles every access right the kernel knows and grants none, so the
 * worker can open no file, make no file-system object, bind or connect no TCP socket (ABI >= 4),
 * and signal or reach through an abstract UNIX socket no process outside its own sandbox
 * (ABI >= 6). Descriptors it already holds keep working: Landlock checks rights when a file is
 * opened, and the TUN fd and the sockets were opened before (by the supervisor).
 *
 * The system headers may be older than the kernel (Debian 12 ships 6.1's, ABI 2): the ABI 3-6
 * rights and the longer ruleset struct are spelled out here, with the kernel's values. */
#include <errno.h>
#include <linux/landlock.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"
#include "util/log.h"

#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

/* File-system rights: ABI 1 has bits 0-12 (execute ... make_sym), then one more each. */
#define LL_FS_ABI1       ((1ULL << 13) - 1)
#define LL_FS_REFER      (1ULL << 13) /* ABI 2 */
#define LL_FS_TRUNCATE   (1ULL << 14) /* ABI 3 */
#define LL_FS_IOCTL_DEV  (1ULL << 15) /* ABI 5 */
/* Network rights, ABI 4. */
#define LL_NET_BIND_TCP    (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
/* Scopes, ABI 6. */
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define LL_SCOPE_SIGNAL        (1ULL << 1)

/* struct landlock_ruleset_attr as of ABI 6; older kernels take a prefix of it. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped;             /* ABI 6 */
};

int
sandbox_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? 0 : (int)abi;
}

/* Restricts the calling thread. *in_force gains SANDBOX_LANDLOCK, and LL_NET / LL_SCOPE when the
 * ABI has them. Returns 0, or -1 with errno. */
int
sandbox_landlock(int abi, unsigned int *in_force)
{
	struct ll_ruleset_attr attr = { 0 };
	size_t size = offsetof(struct ll_ruleset_attr, handled_access_net);
	unsigned int got = SANDBOX_LANDLOCK;
	int fd, saved;

	attr.handled_access_fs = LL_FS_ABI1;
	if (abi >= 2)
		attr.handled_access_fs |= LL_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LL_FS_TRUNCATE;
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = offsetof(struct ll_ruleset_attr, scoped);
		got |= SANDBOX_LL_NET;
	}
	if (abi >= 5)
		attr.handled_access_fs |= LL_FS_IOCTL_DEV;
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size = sizeof(attr);
		got |= SANDBOX_LL_SCOPE;
	}
	/* ABI 7 added audit logging flags, no right. A later ABI may know rights we do not. */
	if (abi > 7)
		log_info("sandbox: landlock ABI %d: rights newer than ABI 7 not handled", abi);

	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (fd < 0) {
		log_warn("sandbox: landlock_create_ruleset (ABI %d)", abi);
		return -1;
	}
	/* No rule: nothing is granted. */
	if (syscall(SYS_landlock_restrict_self, fd, 0) != 0) {
		saved = errno;
		log_warn("sandbox: landlock_restrict_self");
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	*in_force |= got;
	return 0;
}
