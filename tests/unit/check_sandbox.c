/* The worker's sandbox, one layer at a time. Every probe runs in a child forked here (not by
 * Check): the child applies the sandbox, tries something, and ends with sandbox_exit() (so no
 * sanitizer exit hook runs under seccomp); the test reads its exit status, stdout and stderr.
 * Each layer is also shown missing (skipped), to prove that the probe can tell. Needs root. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/futex.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/suite.h"
#include "util/log.h"
#include "../../worker/sandbox.h"

#define UID_A 61001 /* two workers' users, as the supervisor's range would give them */
#define UID_B 61002
/* A file that exists, to open: /etc/hostname, or /etc/passwd where there is none (set in
 * make_suite(), before Check forks). */
static const char *g_secret = "/etc/hostname";
#define SECRET g_secret

/* What a child is told: the sandbox options and what to try. */
struct job {
	uid_t uid;          /* 0: UID_A */
	unsigned int skip;  /* layers not applied */
	unsigned int flags; /* SANDBOX_F_* */
	pid_t other;        /* another process to signal or trace */
	int action;         /* index in forbidden[] */
	int prefilter;      /* PRE_*: fake a kernel without a mechanism */
	int same_as_other;  /* probe expects to reach the other process */
};

enum { PRE_NONE, PRE_NO_LANDLOCK, PRE_NO_SECCOMP };

struct child {
	pid_t pid;
	int in, out, err; /* its stdin (we write), stdout and stderr (we read) */
	char outbuf[512];
	size_t outlen;
};

struct result {
	int status;
	char out[512];
	char err[8192];
};

/* ASan re-maps the shadow of a large block and sets its huge-page mode with madvise(), which the
 * worker's filter does not allow (glibc's malloc never asks for it): clear shadow with memset. */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "clear_shadow_mmap_threshold=1099511627776";
}

/* ---- child side: no Check calls, report through the exit status and fds 1 and 2 ---- */

/* Children end with sandbox_exit(): no sanitizer hook, no LeakSanitizer (it would ptrace). */
#define child_exit sandbox_exit

static void
say(int fd, const char *s)
{
	(void)!write(fd, s, strlen(s));
}

/* Reports a failed step on stderr (with errno) and returns it as the exit status. */
static int
cfail(int step, const char *what)
{
	char buf[256];
	int err = errno;

	snprintf(buf, sizeof(buf), "child step %d: %s (errno %d %s)\n", step, what, err,
	    strerror(err));
	say(2, buf);
	return step;
}

static int
fake_missing(int which)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = -1;

	if (ctx == NULL)
		return -1;
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (which == PRE_NO_LANDLOCK) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(landlock_create_ruleset),
		    0);
	} else {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(prctl), 1,
		    SCMP_A0(SCMP_CMP_EQ, PR_SET_SECCOMP, 0));
		if (rc == 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(seccomp), 0);
	}
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

/* Applies the sandbox as the job says; writes the mask on stdout; returns it or -1. */
static int
apply(const struct job *j)
{
	struct sandbox_opts o;
	char buf[32];
	int mask;

	memset(&o, 0, sizeof(o));
	o.uid = j->uid ? j->uid : UID_A;
	o.gid = o.uid;
	o.flags = j->flags;
	o.skip = j->skip;
	log_init("gt-worker", 1, LOG_LEVEL_INFO);
	if (j->prefilter != PRE_NONE && fake_missing(j->prefilter) != 0)
		return cfail(100, "prefilter"), -1;
	mask = sandbox_apply(&o);
	snprintf(buf, sizeof(buf), "mask=%d\n", mask);
	say(1, buf);
	return mask;
}

/* Sandboxed, then waits until its stdin closes: the "other worker". */
static int
child_wait(const struct job *j)
{
	char c;

	if (apply(j) < 0)
		return cfail(1, "sandbox_apply");
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

/* Things the filter forbids; run after the sandbox, each must kill (or trap). */
static int g_udp = -1;
static pid_t g_ppid; /* getppid() is forbidden too: asked before */

static void
act_open(void)
{
	open(SECRET, O_RDONLY);
}

static void
act_openat(void)
{
	openat(AT_FDCWD, SECRET, O_RDONLY);
}

static void
act_openat2(void)
{
	struct open_how how = { .flags = O_RDONLY };

	syscall(SYS_openat2, AT_FDCWD, SECRET, &how, sizeof(how));
}

static void
act_socket(void)
{
	socket(AF_INET, SOCK_DGRAM, 0);
}

static void
act_connect(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	connect(g_udp, (struct sockaddr *)&a, sizeof(a));
}

static void
act_bind(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(g_udp, (struct sockaddr *)&a, sizeof(a));
}

static void
act_ptrace(void)
{
	ptrace(PTRACE_ATTACH, g_ppid, NULL, NULL);
}

static void
act_kill(void)
{
	kill(g_ppid, 0);
}

static void
act_kill_self(void)
{
	kill(getpid(), 0);
}

static void
act_tkill(void)
{
	syscall(SYS_tkill, getpid(), 0);
}

static void
act_tgkill(void)
{
	syscall(SYS_tgkill, getpid(), getpid(), 0);
}

static void
act_execve(void)
{
	char *argv[] = { "true", NULL }, *envp[] = { NULL };

	execve("/bin/true", argv, envp);
}

static void
act_execveat(void)
{
	char *argv[] = { "true", NULL }, *envp[] = { NULL };

	syscall(SYS_execveat, AT_FDCWD, "/bin/true", argv, envp, 0);
}

static void
act_fork(void)
{
	if (fork() == 0)
		child_exit(0);
}

static void
act_vfork(void)
{
	if (syscall(SYS_vfork) == 0)
		child_exit(0);
}

static void
act_clone(void)
{
	if (syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) == 0)
		child_exit(0);
}

static void
act_clone3(void)
{
	uint64_t args[8] = { 0 }; /* struct clone_args, version 0: exit_signal is the 5th */

	args[4] = SIGCHLD;
	if (syscall(SYS_clone3, args, sizeof(args)) == 0)
		child_exit(0);
}

static void
act_setuid(void)
{
	(void)!setuid(0);
}

static void
act_setresuid(void)
{
	syscall(SYS_setresuid, 0, 0, 0);
}

static void
act_setgroups(void)
{
	setgroups(0, NULL);
}

static void
act_prctl(void)
{
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static void
act_ioctl(void)
{
	int n;

	ioctl(0, FIONREAD, &n);
}

static void
act_mmap_exec(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void
act_mprotect_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		mprotect(p, 4096, PROT_READ | PROT_EXEC);
}

static void
act_madvise(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		madvise(p, 4096, MADV_WILLNEED);
}

static void
act_futex_pi(void)
{
	static uint32_t word;

	syscall(SYS_futex, &word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
}

static void
act_dup(void)
{
	(void)!dup(0);
}

static void
act_unshare(void)
{
	unshare(CLONE_NEWUSER);
}

static const struct {
	const char *what;
	const char *sysname; /* as the debug trap names it */
	void (*fn)(void);
} forbidden[] = {
	{ "open /etc/hostname", "openat", act_open },
	{ "openat", "openat", act_openat },
	{ "openat2", "openat2", act_openat2 },
	{ "socket(AF_INET, SOCK_DGRAM)", "socket", act_socket },
	{ "connect a UDP socket", "connect", act_connect },
	{ "bind a UDP socket", "bind", act_bind },
	{ "ptrace(PTRACE_ATTACH)", "ptrace", act_ptrace },
	{ "kill the parent", "kill", act_kill },
	{ "kill itself", "kill", act_kill_self },
	{ "tkill", "tkill", act_tkill },
	{ "tgkill", "tgkill", act_tgkill },
	{ "execve", "execve", act_execve },
	{ "execveat", "execveat", act_execveat },
	{ "fork", "clone", act_fork },
	{ "vfork", "vfork", act_vfork },
	{ "clone", "clone", act_clone },
	{ "clone3", "clone3", act_clone3 },
	{ "setuid(0)", "setuid", act_setuid },
	{ "setresuid(0)", "setresuid", act_setresuid },
	{ "setgroups", "setgroups", act_setgroups },
	{ "prctl", "prctl", act_prctl },
	{ "ioctl", "ioctl", act_ioctl },
	{ "mmap PROT_EXEC", "mmap", act_mmap_exec },
	{ "mprotect PROT_EXEC", "mprotect", act_mprotect_exec },
	{ "madvise MADV_WILLNEED", "madvise", act_madvise },
	{ "futex FUTEX_LOCK_PI", "futex", act_futex_pi },
	{ "dup", "dup", act_dup },
	{ "unshare", "unshare", act_unshare },
};
#define NFORBIDDEN ((int)(sizeof(forbidden) / sizeof(forbidden[0])))

static int
child_forbidden(const struct job *j)
{
	g_ppid = getppid();
	if ((g_udp = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return cfail(1, "socket before the sandbox");
	if (apply(j) < 0)
		return cfail(2, "sandbox_apply");
	forbidden[j->action].fn();
	say(1, "survived\n");
	return 0;
}

/* The data path: everything the worker's loop does must still work. */
static int
udp_pair(int *a, int *b, struct sockaddr_in *addr_b)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(*addr_b);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((*a = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) < 0 ||
	    (*b = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) < 0)
		return -1;
	if (bind(*a, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    bind(*b, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -1;
	return getsockname(*b, (struct sockaddr *)addr_b, &len);
}

static int
child_datapath(const struct job *j)
{
	struct sockaddr_in to;
	struct epoll_event ev, evs[4];
	struct itimerspec its = { .it_value = { 0, 1000000 } };
	struct mmsghdr mm[8];
	struct iovec iov[8], v2[2];
	struct msghdr mh;
	struct timespec ts;
	struct timeval tv;
	char bufs[8][64], buf[256], a[8] = "abcd", b[8] = "efgh";
	uint8_t key[32] = { 0 }, zero[32] = { 0 };
	uint64_t ticks;
	int p[2], sp[2], u1, u2, ep, tfd, i, n;

	/* What the supervisor and the worker set up before the sandbox. */
	if (pipe(p) != 0 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) != 0)
		return cfail(1, "pipe, socketpair");
	if (udp_pair(&u1, &u2, &to) != 0)
		return cfail(2, "UDP sockets on 127.0.0.1");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0)
		return cfail(3, "epoll, timerfd");
	if (apply(j) < 0)
		return cfail(4, "sandbox_apply");

	/* read, write, readv, writev on a pipe */
	if (write(p[1], "ping", 4) != 4 || read(p[0], buf, sizeof(buf)) != 4 ||
	    memcmp(buf, "ping", 4) != 0)
		return cfail(10, "pipe read/write");
	v2[0] = (struct iovec){ a, 4 };
	v2[1] = (struct iovec){ b, 4 };
	if (writev(p[1], v2, 2) != 8)
		return cfail(11, "writev");
	v2[0] = (struct iovec){ buf, 3 };
	v2[1] = (struct iovec){ buf + 3, 5 };
	if (readv(p[0], v2, 2) != 8 || memcmp(buf, "abcdefgh", 8) != 0)
		return cfail(12, "readv");

	/* the IPC channel: sendmsg/recvmsg, send/recv */
	memset(&mh, 0, sizeof(mh));
	iov[0] = (struct iovec){ "ipc", 3 };
	mh.msg_iov = iov;
	mh.msg_iovlen = 1;
	if (sendmsg(sp[0], &mh, 0) != 3)
		return cfail(13, "sendmsg on a socketpair");
	iov[0] = (struct iovec){ buf, sizeof(buf) };
	if (recvmsg(sp[1], &mh, 0) != 3 || memcmp(buf, "ipc", 3) != 0)
		return cfail(14, "recvmsg on a socketpair");
	if (send(sp[1], "x", 1, 0) != 1 || recv(sp[0], buf, sizeof(buf), 0) != 1)
		return cfail(15, "send/recv");

	/* UDP on 127.0.0.1, waited for in epoll */
	ev.events = EPOLLIN;
	ev.data.fd = u2;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, u2, &ev) != 0)
		return cfail(20, "epoll_ctl");
	if (sendto(u1, "one", 3, 0, (struct sockaddr *)&to, sizeof(to)) != 3)
		return cfail(21, "sendto");
	if (epoll_wait(ep, evs, 4, 2000) != 1 || evs[0].data.fd != u2)
		return cfail(22, "epoll_wait");
	if (recvfrom(u2, buf, sizeof(buf), 0, NULL, NULL) != 3)
		return cfail(23, "recvfrom");
	memset(&mh, 0, sizeof(mh));
	iov[0] = (struct iovec){ "two", 3 };
	mh.msg_name = &to;
	mh.msg_namelen = sizeof(to);
	mh.msg_iov = iov;
	mh.msg_iovlen = 1;
	if (sendmsg(u1, &mh, 0) != 3)
		return cfail(24, "sendmsg UDP");
	if (epoll_pwait(ep, evs, 4, 2000, NULL) != 1)
		return cfail(25, "epoll_pwait");
	memset(&mh, 0, sizeof(mh));
	iov[0] = (struct iovec){ buf, sizeof(buf) };
	mh.msg_iov = iov;
	mh.msg_iovlen = 1;
	if (recvmsg(u2, &mh, 0) != 3 || memcmp(buf, "two", 3) != 0)
		return cfail(26, "recvmsg UDP");
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < 8; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "batch %d", i);
		iov[i] = (struct iovec){ bufs[i], strlen(bufs[i]) };
		mm[i].msg_hdr.msg_name = &to;
		mm[i].msg_hdr.msg_namelen = sizeof(to);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	if (sendmmsg(u1, mm, 8, 0) != 8)
		return cfail(27, "sendmmsg");
	ts = (struct timespec){ 2, 0 };
	if (epoll_pwait2(ep, evs, 4, &ts, NULL) != 1)
		return cfail(28, "epoll_pwait2");
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < 8; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	for (n = 0; n < 8;) {
		if (epoll_wait(ep, evs, 4, 2000) != 1)
			return cfail(29, "epoll_wait for the batch");
		if ((i = recvmmsg(u2, mm + n, 8 - n, MSG_DONTWAIT, NULL)) <= 0)
			return cfail(30, "recvmmsg");
		n += i;
	}
	if (epoll_ctl(ep, EPOLL_CTL_DEL, u2, NULL) != 0)
		return cfail(31, "epoll_ctl DEL");

	/* a timer, the clocks */
	ev.data.fd = tfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) != 0 || timerfd_settime(tfd, 0, &its, NULL) != 0)
		return cfail(40, "timerfd_settime");
	if (epoll_wait(ep, evs, 4, 2000) != 1 || read(tfd, &ticks, sizeof(ticks)) != 8)
		return cfail(41, "timerfd expiry");
	if (timerfd_gettime(tfd, &its) != 0)
		return cfail(42, "timerfd_gettime");
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0 || clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return cfail(43, "clock_gettime");
	if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) != 0)
		return cfail(44, "clock_gettime, the syscall itself");
	if (gettimeofday(&tv, NULL) != 0 || time(NULL) == (time_t)-1)
		return cfail(45, "gettimeofday, time");

	/* key material */
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key) ||
	    memcmp(key, zero, sizeof(key)) == 0)
		return cfail(50, "getrandom");

	/* memory: small blocks, large (mmap-backed) ones, realloc across the threshold */
	{
		void *small[64], *big, *huge, *r;

		for (i = 0; i < 64; i++)
			if ((small[i] = malloc((size_t)(16 + i * 24))) == NULL)
				return cfail(60, "malloc small");
		for (i = 0; i < 64; i += 2)
			free(small[i]);
		if ((big = malloc(256 * 1024)) == NULL)
			return cfail(61, "malloc 256 KiB");
		memset(big, 0xa5, 256 * 1024);
		if ((huge = calloc(1, 8 << 20)) == NULL)
			return cfail(62, "calloc 8 MiB");
		memset(huge, 1, 8 << 20);
		if ((r = realloc(big, 4 << 20)) == NULL)
			return cfail(63, "realloc to 4 MiB");
		free(r);
		free(huge);
		for (i = 1; i < 64; i += 2)
			free(small[i]);
		if ((r = malloc(200 * 1024)) == NULL)
			return cfail(64, "malloc after free");
		free(r);
	}

	/* what malloc does on its own: return pages, wake a lock's waiter */
	{
		static uint32_t word;
		void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);

		if (m == MAP_FAILED || madvise(m, 1 << 20, MADV_DONTNEED) != 0 ||
		    madvise(m, 1 << 20, MADV_FREE) != 0 || munmap(m, 1 << 20) != 0)
			return cfail(65, "mmap, madvise, munmap");
		if (syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) != 0)
			return cfail(66, "futex wake");
	}

	/* the rest of the loop's calls */
	if (getpid() <= 0)
		return cfail(70, "getpid");
	if (close(p[0]) != 0 || close(p[1]) != 0)
		return cfail(71, "close");
	log_warnx("data path: log line after the sandbox");
	say(1, "ok\n");
	return 0;
}

/* Identity and no_new_privs, checked with the seccomp layer off (prctl and getresuid are
 * forbidden by it). */
static int
child_ids(const struct job *j)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct caps[2];
	uid_t uid = j->uid ? j->uid : UID_A, r, e, s;
	gid_t rg, eg, sg, groups[2] = { 0, 27 };

	/* Supplementary groups to lose (root may have none here). */
	if (getuid() == 0 && setgroups(2, groups) != 0)
		return cfail(10, "setgroups before the sandbox");
	if (apply(j) < 0)
		return cfail(1, "sandbox_apply");
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return cfail(2, "no_new_privs is not set");
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return cfail(3, "still dumpable");
	if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid)
		return cfail(4, "uids are not the requested one");
	if (getresgid(&rg, &eg, &sg) != 0 || rg != uid || eg != uid || sg != uid)
		return cfail(5, "gids are not the requested one");
	if (getgroups(0, NULL) != 0)
		return cfail(6, "supplementary groups left");
	if (setuid(0) != -1 || errno != EPERM)
		return cfail(7, "setuid(0) did not fail with EPERM");
	if (setgid(0) != -1 || setresuid(0, 0, 0) != -1)
		return cfail(8, "setgid(0) or setresuid(0) did not fail");
	memset(caps, 0xff, sizeof(caps));
	if (syscall(SYS_capget, &hdr, caps) != 0 || caps[0].effective || caps[0].permitted ||
	    caps[1].effective || caps[1].permitted)
		return cfail(9, "capabilities left");
	return 0;
}

/* Rlimits, checked with seccomp off: fds 0-4 are open (0-2 and a pipe), nothing above. */
static int
child_rlimits(const struct job *j)
{
	static const int zero[] = { RLIMIT_NPROC, RLIMIT_FSIZE, RLIMIT_CORE };
	struct rlimit rl;
	int p[2], q[2];
	size_t i;

	if (pipe(p) != 0 || p[0] != 3 || p[1] != 4)
		return cfail(1, "pipe on fds 3 and 4");
	if (apply(j) < 0)
		return cfail(2, "sandbox_apply");
	for (i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (getrlimit(zero[i], &rl) != 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
			return cfail(3 + (int)i, "an rlimit is not 0");
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur != 5 || rl.rlim_max != 5)
		return cfail(6, "RLIMIT_NOFILE is not the highest fd + 1");
	if (pipe(q) != -1 || errno != EMFILE)
		return cfail(7, "a new descriptor was allowed");
	if (fork() == 0)
		child_exit(0);
	if (errno != EAGAIN)
		return cfail(8, "fork was not refused by RLIMIT_NPROC");
	return 0;
}

/* Landlock, checked with the ids and seccomp layers off (as root). */
static int
child_landlock(const struct job *j)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *tmp = getenv("GT_SBX_FILE");
	int fd, s;

	if (apply(j) < 0)
		return cfail(1, "sandbox_apply");
	if ((fd = open(SECRET, O_RDONLY)) >= 0 || errno != EACCES)
		return cfail(2, "open of a system file did not fail with EACCES");
	if (tmp != NULL && ((fd = open(tmp, O_RDONLY)) >= 0 || errno != EACCES))
		return cfail(3, "open of a world-readable file did not fail with EACCES");
	if (mkdir("/tmp/gt-sbx-never", 0700) == 0 || errno != EACCES)
		return cfail(4, "mkdir did not fail with EACCES");
	/* ABI >= 4: TCP */
	if (sandbox_landlock_abi() >= 4) {
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			return cfail(5, "TCP socket");
		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno != EACCES)
			return cfail(6, "TCP bind did not fail with EACCES");
		close(s);
	}
	return 0;
}

/* Reaching another process: kill(0) and ptrace, or only kill (action 1), or an abstract UNIX
 * socket (action 2, other = unused, name in GT_SBX_ABSTRACT). With same_as_other the probe
 * expects success (a control). */
static int
child_reach(const struct job *j)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *name;
	int s, rc;

	if (apply(j) < 0)
		return cfail(1, "sandbox_apply");
	if (j->action == 2) {
		if ((name = getenv("GT_SBX_ABSTRACT")) == NULL)
			return cfail(2, "no socket name");
		strncpy(sun.sun_path + 1, name, sizeof(sun.sun_path) - 2);
		if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			return cfail(3, "socket");
		rc = connect(s, (struct sockaddr *)&sun,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name)));
		if (j->same_as_other)
			return rc == 0 ? 0 : cfail(4, "connect (control) failed");
		return rc == -1 && errno == EPERM ? 0 : cfail(5, "connect did not fail with EPERM");
	}
	rc = kill(j->other, 0);
	if (j->same_as_other)
		return rc == 0 ? 0 : cfail(6, "kill (control) failed");
	if (rc != -1 || errno != EPERM)
		return cfail(7, "kill of the other worker did not fail with EPERM");
	if (j->action == 1)
		return 0;
	if (ptrace(PTRACE_ATTACH, j->other, NULL, NULL) != -1)
		return cfail(8, "ptrace attached to the other worker");
	if (errno != EPERM)
		return cfail(9, "ptrace failed, but not with EPERM");
	return 0;
}

/* Kills (or traces) the other process under the full sandbox: seccomp must kill us first. */
static int
child_attack(const struct job *j)
{
	if (apply(j) < 0)
		return cfail(1, "sandbox_apply");
	if (j->action == 0)
		kill(j->other, SIGKILL);
	else
		ptrace(PTRACE_ATTACH, j->other, NULL, NULL);
	say(1, "survived\n");
	return 0;
}

/* A writable regular file among the fds: refused before anything changes. */
static int
child_file_fd(const struct job *j)
{
	FILE *f = tmpfile();

	if (f == NULL)
		return cfail(1, "tmpfile");
	if (apply(j) != -1 || errno != EINVAL)
		return cfail(2, "sandbox_apply accepted a writable regular file");
	if (getuid() != 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
		return cfail(3, "the refusal changed the process");
	return 0;
}

static void *
thread_wait(void *arg)
{
	char c;

	(void)!read(*(int *)arg, &c, 1);
	return NULL;
}

/* A second thread: refused (Landlock and no_new_privs would cover one thread only). */
static int
child_threads(const struct job *j)
{
	pthread_t t;
	int p[2], mask;

	if (pipe(p) != 0 || pthread_create(&t, NULL, thread_wait, &p[0]) != 0)
		return cfail(1, "thread");
	mask = apply(j);
	close(p[1]);
	pthread_join(t, NULL);
	if (mask != -1 || errno != EBUSY)
		return cfail(2, "sandbox_apply accepted a second thread");
	return 0;
}

/* Degraded: a kernel without Landlock or seccomp (faked by a filter installed first). */
static int
child_degraded(const struct job *j)
{
	int spare = open("/dev/null", O_RDONLY), mask = apply(j), fd;

	close(spare); /* a free descriptor slot, so that open() meets Landlock, not EMFILE */
	if (!(j->flags & SANDBOX_F_DEGRADED))
		return mask == -1 ? 0 : cfail(1, "ran without a mechanism, degraded mode not allowed");
	if (mask < 0)
		return cfail(2, "degraded mode refused");
	/* What remains must still hold: with seccomp this kills, with only Landlock EACCES. */
	if ((fd = open(SECRET, O_RDONLY)) >= 0 || errno != EACCES)
		return cfail(3, "open did not fail with EACCES");
	return 0;
}

static int
child_bad_uid(const struct job *j)
{
	struct sandbox_opts o = { .uid = 0, .gid = 0 };

	(void)j;
	log_init("gt-worker", 1, LOG_LEVEL_INFO);
	if (sandbox_apply(&o) != -1 || errno != EINVAL)
		return cfail(1, "uid 0 accepted");
	o.uid = UID_A;
	o.gid = 0;
	if (sandbox_apply(&o) != -1 || errno != EINVAL)
		return cfail(2, "gid 0 accepted");
	return 0;
}

/* ---- parent side ---- */

static void
spawn(struct child *c, int (*fn)(const struct job *), const struct job *j)
{
	int in[2], out[2], err[2];

	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	fflush(NULL);
	c->pid = fork();
	ck_assert_int_ge(c->pid, 0);
	if (c->pid == 0) {
		/* The worker's view: fds 0-2, nothing else (no Check temporary file). */
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(120);
		close_range(3, ~0U, 0);
		child_exit(fn(j));
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	c->in = in[1];
	c->out = out[0];
	c->err = err[0];
	c->outlen = 0;
}

/* Reads the child's stdout until a full line (its sandbox is applied); returns that mask. */
static int
ready(struct child *c)
{
	ssize_t n;
	int mask;

	while (memchr(c->outbuf, '\n', c->outlen) == NULL) {
		n = read(c->out, c->outbuf + c->outlen, sizeof(c->outbuf) - 1 - c->outlen);
		if (n <= 0)
			break;
		c->outlen += (size_t)n;
	}
	c->outbuf[c->outlen] = '\0';
	ck_assert_msg(sscanf(c->outbuf, "mask=%d", &mask) == 1, "child said \"%s\"", c->outbuf);
	return mask;
}

static size_t
drain(int fd, char *buf, size_t len, size_t have)
{
	ssize_t n;

	while (have < len - 1 && (n = read(fd, buf + have, len - 1 - have)) > 0)
		have += (size_t)n;
	buf[have] = '\0';
	return have;
}

/* Closes the child's stdin, reads the rest of its output and reaps it. */
static void
finish(struct child *c, struct result *r)
{
	close(c->in);
	memcpy(r->out, c->outbuf, c->outlen);
	drain(c->out, r->out, sizeof(r->out), c->outlen);
	drain(c->err, r->err, sizeof(r->err), 0);
	close(c->out);
	close(c->err);
	ck_assert_int_eq(waitpid(c->pid, &r->status, 0), c->pid);
}

static void
run(int (*fn)(const struct job *), const struct job *j, struct result *r)
{
	struct child c;

	spawn(&c, fn, j);
	finish(&c, r);
}

static const char *
status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status 0x%x", status);
	return buf;
}

#define assert_exit(r, code) do { \
	char sb_[64]; \
	ck_assert_msg(WIFEXITED((r)->status) && WEXITSTATUS((r)->status) == (code), \
	    "child: %s, wanted exit %d; stdout: %s; stderr: %s", \
	    status_str((r)->status, sb_, sizeof(sb_)), (code), (r)->out, (r)->err); \
} while (0)

#define assert_sigsys(r) do { \
	char sb_[64]; \
	ck_assert_msg(WIFSIGNALED((r)->status) && WTERMSIG((r)->status) == SIGSYS, \
	    "child: %s, wanted SIGSYS; stdout: %s; stderr: %s", \
	    status_str((r)->status, sb_, sizeof(sb_)), (r)->out, (r)->err); \
} while (0)

static void
need_root(void)
{
	ck_assert_msg(geteuid() == 0, "the sandbox tests run as root (they switch uids)");
}

/* The layers this kernel should give. */
static unsigned int
expected_mask(void)
{
	int abi = sandbox_landlock_abi();
	unsigned int m = SANDBOX_REQUIRED;

	if (abi >= 4)
		m |= SANDBOX_LL_NET;
	if (abi >= 6)
		m |= SANDBOX_LL_SCOPE;
	return m;
}

START_TEST(test_full_mask)
{
	struct job j = { 0 };
	struct child c;
	struct result r;
	char want[128];
	int mask;

	need_root();
	spawn(&c, child_wait, &j);
	mask = ready(&c);
	finish(&c, &r);
	assert_exit(&r, 0);
	ck_assert_msg((unsigned int)mask == expected_mask(), "in force 0x%x, expected 0x%x (ABI %d)",
	    mask, expected_mask(), sandbox_landlock_abi());
	snprintf(want, sizeof(want), "sandbox: in force: %s",
	    sandbox_layers_str(expected_mask(), (char[128]){ 0 }, 128));
	ck_assert_msg(strstr(r.err, want) != NULL, "no \"%s\" in: %s", want, r.err);
}
END_TEST

START_TEST(test_seccomp_kills)
{
	struct job j = { .action = _i };
	struct result r;

	need_root();
	run(child_forbidden, &j, &r);
	ck_assert_msg(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGSYS,
	    "%s: not killed by SIGSYS (status 0x%x); stdout: %s; stderr: %s", forbidden[_i].what,
	    r.status, r.out, r.err);
}
END_TEST

START_TEST(test_seccomp_traps_and_names)
{
	struct job j = { .action = _i, .flags = SANDBOX_F_DEBUG };
	struct result r;
	char want[96];

	need_root();
	run(child_forbidden, &j, &r);
	assert_exit(&r, SANDBOX_TRAP_EXIT);
	snprintf(want, sizeof(want), "forbidden system call %s (", forbidden[_i].sysname);
	ck_assert_msg(strstr(r.err, want) != NULL, "%s: no \"%s\" in: %s", forbidden[_i].what,
	    want, r.err);
}
END_TEST

/* Control: without the seccomp layer the same calls do not kill (they fail or succeed). */
START_TEST(test_seccomp_off_survives)
{
	struct job j = { .action = _i, .skip = SANDBOX_SECCOMP };
	struct result r;

	need_root();
	run(child_forbidden, &j, &r);
	assert_exit(&r, 0);
	ck_assert_msg(strstr(r.out, "survived") != NULL, "%s: stdout: %s", forbidden[_i].what,
	    r.out);
}
END_TEST

START_TEST(test_data_path)
{
	/* _i == 0: debug mode, so a missing syscall is named; 1: the worker's own mode */
	struct job j = { .flags = _i == 0 ? SANDBOX_F_DEBUG : 0 };
	struct result r;

	need_root();
	run(child_datapath, &j, &r);
	assert_exit(&r, 0);
	ck_assert_msg(strstr(r.out, "ok\n") != NULL, "stdout: %s", r.out);
	ck_assert_msg(strstr(r.err, "gt-worker: data path: log line after the sandbox") != NULL,
	    "stderr: %s", r.err);
}
END_TEST

/* Another worker, sandboxed with another uid: killing or tracing it is fatal to the attacker. */
START_TEST(test_other_worker_seccomp)
{
	struct job jb = { .uid = UID_B }, ja = { .uid = UID_A, .action = _i };
	struct child b;
	struct result ra, rb;

	need_root();
	spawn(&b, child_wait, &jb);
	ck_assert_int_ge(ready(&b), 0);
	ja.other = b.pid;
	run(child_attack, &ja, &ra);
	assert_sigsys(&ra);
	ck_assert_int_eq(kill(b.pid, 0), 0); /* still there */
	finish(&b, &rb);
	assert_exit(&rb, 0);
}
END_TEST

/* The uid layer alone (no Landlock scoping, no seccomp): kill and ptrace fail with EPERM. */
START_TEST(test_other_worker_ids_only)
{
	unsigned int only_ids = SANDBOX_ALL & ~SANDBOX_IDS;
	struct job jb = { .uid = UID_B, .skip = only_ids };
	struct job ja = { .uid = UID_A, .skip = only_ids };
	struct child b;
	struct result ra, rb;

	need_root();
	spawn(&b, child_wait, &jb);
	ck_assert_int_eq(ready(&b), SANDBOX_IDS);
	ja.other = b.pid;
	run(child_reach, &ja, &ra);
	assert_exit(&ra, 0);

	/* Control: with the same uid the uid layer does not separate them. Hence a uid each. */
	ja.uid = UID_B;
	ja.same_as_other = 1;
	ja.action = 1;
	run(child_reach, &ja, &ra);
	assert_exit(&ra, 0);
	/* And the probe can fail: the same uid, expecting EPERM. */
	ja.same_as_other = 0;
	run(child_reach, &ja, &ra);
	assert_exit(&ra, 7);
	finish(&b, &rb);
	assert_exit(&rb, 0);
}
END_TEST

/* Landlock alone (root, no uid change, no seccomp): no file access, no TCP bind. */
START_TEST(test_landlock_only)
{
	struct job j = { .skip = SANDBOX_IDS | SANDBOX_RLIMITS | SANDBOX_SECCOMP };
	struct result r;
	char path[] = "/tmp/gt-sbx-XXXXXX";
	int fd;

	need_root();
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(fchmod(fd, 0644), 0);
	close(fd);
	setenv("GT_SBX_FILE", path, 1);
	run(child_landlock, &j, &r);
	assert_exit(&r, 0);

	/* Control: the same probe without Landlock fails at its first step. */
	j.skip |= SANDBOX_LANDLOCK;
	run(child_landlock, &j, &r);
	assert_exit(&r, 2);
	unlink(path);
	unsetenv("GT_SBX_FILE");
}
END_TEST

/* Landlock ABI >= 6 alone (root, same uid as the target): no signal out of the sandbox, no
 * abstract UNIX socket outside it. */
START_TEST(test_landlock_scope)
{
	unsigned int only_ll = SANDBOX_IDS | SANDBOX_RLIMITS | SANDBOX_SECCOMP;
	struct job jb = { .skip = SANDBOX_ALL };
	struct job ja = { .skip = only_ll, .action = 1 };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct child b;
	struct result ra, rb;
	char name[64];
	int ls;

	need_root();
	if (sandbox_landlock_abi() < 6) {
		fprintf(stderr, "check_sandbox: landlock ABI %d < 6: scoping not tested\n",
		    sandbox_landlock_abi());
		return;
	}
	spawn(&b, child_wait, &jb);
	ck_assert_int_eq(ready(&b), 0);
	ja.other = b.pid;
	run(child_reach, &ja, &ra);
	assert_exit(&ra, 0);
	ja.skip = SANDBOX_ALL; /* control: nothing applied, the signal goes through */
	ja.same_as_other = 1;
	run(child_reach, &ja, &ra);
	assert_exit(&ra, 0);
	finish(&b, &rb);
	assert_exit(&rb, 0);

	snprintf(name, sizeof(name), "gt-sbx-%d", (int)getpid());
	ck_assert_int_ge(ls = socket(AF_UNIX, SOCK_STREAM, 0), 0);
	memcpy(sun.sun_path + 1, name, strlen(name));
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&sun,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name))), 0);
	ck_assert_int_eq(listen(ls, 4), 0);
	setenv("GT_SBX_ABSTRACT", name, 1);
	ja = (struct job){ .skip = only_ll, .action = 2 };
	run(child_reach, &ja, &ra);
	assert_exit(&ra, 0);
	ja.skip = SANDBOX_ALL;
	ja.same_as_other = 1;
	run(child_reach, &ja, &ra);
	assert_exit(&ra, 0);
	unsetenv("GT_SBX_ABSTRACT");
	close(ls);
}
END_TEST

START_TEST(test_ids_and_nnp)
{
	struct job j = { .skip = SANDBOX_SECCOMP };
	struct result r;

	need_root();
	run(child_ids, &j, &r);
	assert_exit(&r, 0);
	j.uid = UID_B;
	run(child_ids, &j, &r);
	assert_exit(&r, 0);
	/* Controls: without no_new_privs (and the layers that need it), then without the uid drop. */
	j.skip = SANDBOX_SECCOMP | SANDBOX_LANDLOCK | SANDBOX_NNP;
	run(child_ids, &j, &r);
	assert_exit(&r, 2);
	j.skip = SANDBOX_ALL & ~SANDBOX_NNP;
	run(child_ids, &j, &r);
	assert_exit(&r, 4);
}
END_TEST

START_TEST(test_rlimits)
{
	struct job j = { .skip = SANDBOX_SECCOMP };
	struct result r;

	need_root();
	run(child_rlimits, &j, &r);
	assert_exit(&r, 0);
	j.skip |= SANDBOX_RLIMITS; /* control */
	run(child_rlimits, &j, &r);
	assert_exit(&r, 3);
}
END_TEST

START_TEST(test_refusals)
{
	struct job j = { 0 };
	struct result r;

	need_root();
	run(child_file_fd, &j, &r);
	assert_exit(&r, 0);
	ck_assert_msg(strstr(r.err, "writable regular file") != NULL, "stderr: %s", r.err);
	run(child_threads, &j, &r);
	assert_exit(&r, 0);
	ck_assert_msg(strstr(r.err, "threads") != NULL, "stderr: %s", r.err);
	run(child_bad_uid, &j, &r);
	assert_exit(&r, 0);
}
END_TEST

START_TEST(test_missing_mechanism)
{
	struct job j = { .prefilter = _i == 0 ? PRE_NO_LANDLOCK : PRE_NO_SECCOMP };
	const char *what = _i == 0 ? "sandbox: landlock unavailable" : "sandbox: seccomp unavailable";
	unsigned int gone = _i == 0 ? SANDBOX_LANDLOCK | SANDBOX_LL_NET | SANDBOX_LL_SCOPE :
	    SANDBOX_SECCOMP;
	struct child c;
	struct result r;
	int mask;

	need_root();
	/* Refused by default, before anything changed. */
	spawn(&c, child_degraded, &j);
	ck_assert_int_eq(ready(&c), -1);
	finish(&c, &r);
	assert_exit(&r, 0);
	ck_assert_msg(strstr(r.err, what) != NULL, "stderr: %s", r.err);

	/* Allowed: the rest is in force and said so. Without Landlock, seccomp kills the open(). */
	j.flags = SANDBOX_F_DEGRADED;
	spawn(&c, child_degraded, &j);
	mask = ready(&c);
	finish(&c, &r);
	ck_assert_msg((unsigned int)mask == (expected_mask() & ~gone), "mask 0x%x", mask);
	ck_assert_msg(strstr(r.err, what) != NULL, "stderr: %s", r.err);
	if (_i == 0)
		assert_sigsys(&r);
	else
		assert_exit(&r, 0);
}
END_TEST

START_TEST(test_layers_str)
{
	char buf[128];

	ck_assert_str_eq(sandbox_layers_str(0, buf, sizeof(buf)), "none");
	ck_assert_str_eq(sandbox_layers_str(SANDBOX_IDS | SANDBOX_SECCOMP, buf, sizeof(buf)),
	    "ids,seccomp");
	ck_assert_str_eq(sandbox_layers_str(SANDBOX_ALL, buf, sizeof(buf)),
	    "ids,nnp,landlock,landlock-net,landlock-scope,rlimits,seccomp");
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("layers");

	if (access(g_secret, R_OK) != 0)
		g_secret = "/etc/passwd";

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_layers_str);
	tcase_add_test(tc, test_full_mask);
	tcase_add_loop_test(tc, test_seccomp_kills, 0, NFORBIDDEN);
	tcase_add_loop_test(tc, test_seccomp_traps_and_names, 0, NFORBIDDEN);
	tcase_add_loop_test(tc, test_seccomp_off_survives, 0, NFORBIDDEN);
	tcase_add_loop_test(tc, test_data_path, 0, 2);
	tcase_add_loop_test(tc, test_other_worker_seccomp, 0, 2);
	tcase_add_test(tc, test_other_worker_ids_only);
	tcase_add_test(tc, test_landlock_only);
	tcase_add_test(tc, test_landlock_scope);
	tcase_add_test(tc, test_ids_and_nnp);
	tcase_add_test(tc, test_rlimits);
	tcase_add_test(tc, test_refusals);
	tcase_add_loop_test(tc, test_missing_mechanism, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
