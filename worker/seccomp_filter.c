/* The worker's seccomp filter: one static allow-list of what the data loop needs, everything else
 * kills the process. libseccomp's filter checks the architecture first (a foreign one, i386
 * compat or x32 syscalls included, gets the same kill). With SANDBOX_F_DEBUG a forbidden syscall
 * raises SIGSYS instead; the handler names it on stderr and exits.
 *
 * Not allowed, among everything else: open/openat/openat2, socket, connect, bind, listen, accept,
 * ptrace, kill/tkill/tgkill (not even to itself: abort() dies of SIGSYS instead of SIGABRT),
 * execve/execveat, fork/vfork/clone/clone3, the setuid family, prctl, ioctl (the TUN's MTU and
 * offloads are set before the sandbox, later MTU changes are the supervisor's), fcntl, dup,
 * fstat/newfstatat (so no printf to a not-yet-used stdout), nanosleep, sigaction, sigaltstack
 * (a sanitizer build queries it before every noreturn call: see sandbox_exit()), getppid.
 *
 * Hot syscalls have no argument filter, so the kernel's seccomp action cache (5.11+) allows them
 * without running the filter. */
#include <errno.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"
#include "util/log.h"

#ifndef FUTEX_CMD_MASK
#define FUTEX_CMD_MASK ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
#endif

struct rule {
	int nr;                  /* SCMP_SYS(name): negative where the architecture lacks it */
	unsigned int argc;       /* 0 or 1 argument condition */
	struct scmp_arg_cmp arg;
};

#define ANY(name)          { SCMP_SYS(name), 0, { 0, 0, 0, 0 } }
#define ARG(name, i, op, a, b) { SCMP_SYS(name), 1, { (i), (op), (a), (b) } }
/* mmap/mprotect: the prot argument may hold only PROT_READ and PROT_WRITE (no PROT_EXEC, no
 * PROT_GROWS*): no new executable memory. */
#define NOEXEC(name)       ARG(name, 2, SCMP_CMP_MASKED_EQ, ~(uint64_t)(PROT_READ | PROT_WRITE), 0)
#define FUTEX(op)          ARG(futex, 1, SCMP_CMP_MASKED_EQ, (uint64_t)(int64_t)(FUTEX_CMD_MASK), (op))

static const struct rule allow[] = {
	/* I/O on descriptors the worker already holds */
	ANY(read),          /* TUN packets, the IPC channel, a timerfd or signalfd */
	ANY(write),         /* TUN packets, the IPC channel, log lines on stderr */
	ANY(readv),         /* TUN with a virtio-net header in front of the packet */
	ANY(writev),        /* likewise, and stdio/syslog's gathered writes */
	ANY(recvmsg),       /* UDP with cmsgs (GRO size, addresses), IPC messages with fds */
	ANY(sendmsg),       /* UDP with cmsgs (GSO size, source address), IPC messages */
	ANY(recvmmsg),      /* batched UDP receive */
	ANY(sendmmsg),      /* batched UDP send, one GSO message per path */
	ANY(recvfrom),      /* recv(): glibc's wrapper */
	ANY(sendto),        /* send(); replies on the hand-run client's control socket */
	ANY(close),         /* a descriptor the worker is done with */
	/* waiting and time */
	ANY(epoll_wait),    /* the loop's wait (x86_64 only; others have epoll_pwait) */
	ANY(epoll_pwait),   /* likewise */
	ANY(epoll_pwait2),  /* likewise, with a nanosecond timeout (5.11) */
	ANY(epoll_ctl),     /* add EPOLLOUT under back-pressure, drop a dead socket */
	ANY(timerfd_settime), /* arm a timerfd created before the sandbox (pacing) */
	ANY(timerfd_gettime), /* and read it back */
	ANY(clock_gettime), /* the engine's clock: vDSO, the syscall where the vDSO falls back */
	ANY(gettimeofday),  /* likewise, for gettimeofday() */
	ANY(time),          /* likewise, for time() (syslog's timestamp; x86_64 only) */
	ANY(getrandom),     /* key exchange: fresh X25519 secrets, libsodium's randombytes */
	ANY(getpid),        /* syslog's LOG_PID */
	/* memory: malloc and free, big blocks mmap-backed */
	ANY(brk),           /* the main heap */
	NOEXEC(mmap),       /* large blocks, new arenas (readable and writable only) */
	NOEXEC(mprotect),   /* an arena growing (readable and writable only) */
	ANY(munmap),        /* free() of a large block, arena trimming */
	ANY(mremap),        /* realloc() of a large block */
	ARG(madvise, 2, SCMP_CMP_EQ, MADV_DONTNEED, 0), /* free()'s trimming, returning pages */
	ARG(madvise, 2, SCMP_CMP_EQ, MADV_FREE, 0),     /* likewise, lazily */
	/* locks: only under contention, plain wait and wake (no PI, no requeue) */
	FUTEX(FUTEX_WAIT),        /* glibc's lll_lock (stdio, malloc arenas), contended */
	FUTEX(FUTEX_WAKE),        /* its unlock */
	FUTEX(FUTEX_WAIT_BITSET), /* glibc's timed waits */
	FUTEX(FUTEX_WAKE_BITSET), /* and their wake-up */
	/* signals and leaving */
	ANY(rt_sigreturn),  /* return from a signal handler (SIGTERM, SIGSYS in debug) */
	ANY(rt_sigprocmask), /* block signals around critical sections */
	ANY(restart_syscall), /* the kernel's restart of an interrupted timed wait */
	ANY(exit_group),    /* exit(), _exit() */
	ANY(exit),          /* a thread's end */
};

/* Debug mode: names resolved before the filter, read by the SIGSYS handler. */
#define NAMES_MAX 512
static char names[NAMES_MAX][32];
static uint32_t native_arch;

static size_t
put_str(char *buf, size_t off, size_t len, const char *s)
{
	while (*s != '\0' && off < len)
		buf[off++] = *s++;
	return off;
}

static size_t
put_num(char *buf, size_t off, size_t len, uint64_t v, unsigned int base)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0 && n < sizeof(tmp));
	while (n > 0 && off < len)
		buf[off++] = tmp[--n];
	return off;
}

/* Async-signal-safe: no stdio, no malloc, only write(2) and exit_group(2). The raw syscall, not
 * _exit(): a sanitizer build hooks calls to noreturn functions (and queries sigaltstack there). */
static void
sigsys_handler(int sig, siginfo_t *si, void *uctx)
{
	char buf[160];
	size_t n = 0;
	int nr = si->si_syscall;

	(void)sig;
	(void)uctx;
	n = put_str(buf, n, sizeof(buf), "sandbox: forbidden system call ");
	if (si->si_arch == native_arch && nr >= 0 && nr < NAMES_MAX && names[nr][0] != '\0')
		n = put_str(buf, n, sizeof(buf), names[nr]);
	else
		n = put_str(buf, n, sizeof(buf), "?");
	n = put_str(buf, n, sizeof(buf), " (");
	n = put_num(buf, n, sizeof(buf), (uint64_t)(unsigned int)nr, 10);
	if (si->si_arch != native_arch) {
		n = put_str(buf, n, sizeof(buf), ", arch 0x");
		n = put_num(buf, n, sizeof(buf), si->si_arch, 16);
	}
	n = put_str(buf, n, sizeof(buf), "), exiting\n");
	(void)!write(STDERR_FILENO, buf, n);
	syscall(SYS_exit_group, SANDBOX_TRAP_EXIT);
	_exit(SANDBOX_TRAP_EXIT); /* not reached */
}

static int
install_trap(void)
{
	struct sigaction sa;
	sigset_t set;
	char *s;
	int nr;

	for (nr = 0; nr < NAMES_MAX; nr++) {
		if ((s = seccomp_syscall_resolve_num_arch(native_arch, nr)) == NULL)
			continue;
		strncpy(names[nr], s, sizeof(names[nr]) - 1);
		free(s);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return -1;
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	return sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int
sandbox_seccomp_available(void)
{
	uint32_t arch = seccomp_arch_native();

	/* Filters supported: a NULL program is refused with EFAULT, not EINVAL. */
	errno = 0;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0) != -1 || errno != EFAULT) {
		if (errno == 0)
			errno = EINVAL;
		return 0;
	}
	/* The allow-list names syscalls of these architectures only. */
	if (arch != SCMP_ARCH_X86_64 && arch != SCMP_ARCH_AARCH64) {
		errno = EAFNOSUPPORT;
		return 0;
	}
	return 1;
}

/* Loads the filter. Returns 0, or -1 with errno. */
int
sandbox_seccomp(int debug)
{
	uint32_t deny = debug ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS;
	scmp_filter_ctx ctx;
	size_t i;
	int rc;

	native_arch = seccomp_arch_native();
	/* Before 4.14 (API level < 3) there is no process kill; the worker has one thread. */
	if (!debug && seccomp_api_get() < 3)
		deny = SCMP_ACT_KILL_THREAD;
	if (debug && install_trap() != 0) {
		log_warn("sandbox: SIGSYS handler");
		return -1;
	}
	if ((ctx = seccomp_init(deny)) == NULL) {
		errno = ENOMEM;
		log_warn("sandbox: seccomp_init");
		return -1;
	}
	/* no_new_privs is the sandbox's own step; TSYNC: refuse if other threads existed. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, deny)) != 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) != 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0) {
		log_warnx("sandbox: seccomp_attr_set: %s", strerror(-rc));
		goto fail;
	}
	for (i = 0; i < sizeof(allow) / sizeof(allow[0]); i++) {
		if (allow[i].nr < 0)
			continue; /* not a syscall on this architecture */
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, allow[i].nr, allow[i].argc,
		    allow[i].argc ? &allow[i].arg : NULL);
		if (rc != 0) {
			char *name = seccomp_syscall_resolve_num_arch(native_arch, allow[i].nr);

			log_warnx("sandbox: seccomp rule for %s: %s", name ? name : "?", strerror(-rc));
			free(name);
			goto fail;
		}
	}
	if ((rc = seccomp_load(ctx)) != 0) {
		log_warnx("sandbox: seccomp_load: %s", strerror(-rc));
		goto fail;
	}
	seccomp_release(ctx);
	return 0;

fail:
	seccomp_release(ctx);
	errno = rc < 0 ? -rc : EINVAL;
	return -1;
}
