/* The worker's sandbox (docs/architecture.md section 2): one call, once the worker holds its
 * TUN fd, its UDP sockets, its IPC channel and its epoll/timer fds, before it reads the first
 * byte from the network. In a fixed order:
 *
 *   0. preflight: the process must be single-threaded (Landlock, no_new_privs and the rlimits are
 *      per thread); note the highest open fd; refuse a writable regular file among the fds
 *      (RLIMIT_FSIZE 0 would kill the worker on its first write to it); load the time zone
 *      (syslog's localtime() would open /etc/localtime later)
 *   1. ids: setgroups(0), setresgid, setresuid to an unprivileged uid/gid, no capabilities left,
 *      verified: setuid(0) and setgid(0) fail
 *   2. PR_SET_NO_NEW_PRIVS, and not dumpable (no ptrace, no core, /proc/PID owned by root)
 *   3. Landlock: every file-system right the kernel knows handled, no rule: no file access at all;
 *      ABI >= 4 also no TCP bind/connect; ABI >= 6 also no signal to and no abstract UNIX socket
 *      connection with a process outside this sandbox (not even a sibling worker)
 *   4. rlimits: NOFILE = highest fd + 1, NPROC, FSIZE and CORE 0
 *   5. seccomp: the allow-list in seccomp_filter.c; anything else kills the process (SIGSYS), or
 *      with SANDBOX_F_DEBUG traps, names the syscall on stderr and _exit(SANDBOX_TRAP_EXIT)
 *
 * Each spawned worker gets its own uid and gid from the supervisor's uid range, so one worker
 * cannot signal or ptrace another even without Landlock's scoping; a hand-run client uses
 * SANDBOX_NOBODY. Once it returns, the worker can read, write, send, receive, wait in epoll, read
 * the clock, draw random bytes and allocate memory: nothing else. Key material needs getrandom
 * (libsodium's sodium_init() must have run before), and logs must go to stderr (a pipe or a
 * socket, not a file) or to a syslog socket that is already connected. */
#ifndef GT_WORKER_SANDBOX_H
#define GT_WORKER_SANDBOX_H

#include <sys/types.h>

/* The layers, as bits of sandbox_apply()'s result (what is in force) and of sandbox_opts.skip. */
#define SANDBOX_IDS      0x01u /* unprivileged uid/gid, no groups, no capabilities */
#define SANDBOX_NNP      0x02u /* no_new_privs, not dumpable */
#define SANDBOX_LANDLOCK 0x04u /* Landlock: no file-system access */
#define SANDBOX_LL_NET   0x08u /* Landlock ABI >= 4: no TCP bind or connect */
#define SANDBOX_LL_SCOPE 0x10u /* Landlock ABI >= 6: no signals / abstract sockets outside */
#define SANDBOX_RLIMITS  0x20u /* NOFILE = highest fd + 1, NPROC = FSIZE = CORE = 0 */
#define SANDBOX_SECCOMP  0x40u /* the seccomp allow-list */
/* Refusing to run without these is the default; LL_NET and LL_SCOPE depend on the kernel. */
#define SANDBOX_REQUIRED (SANDBOX_IDS | SANDBOX_NNP | SANDBOX_LANDLOCK | SANDBOX_RLIMITS | SANDBOX_SECCOMP)
#define SANDBOX_ALL      (SANDBOX_REQUIRED | SANDBOX_LL_NET | SANDBOX_LL_SCOPE)

/* sandbox_opts.flags */
#define SANDBOX_F_DEBUG    0x1u /* a forbidden syscall is named on stderr, then _exit(): no kill */
#define SANDBOX_F_DEGRADED 0x2u /* run even if the kernel lacks Landlock or seccomp (said loudly) */

/* A hand-run client's default user and group. */
#define SANDBOX_NOBODY 65534

/* The exit status of a worker that made a forbidden syscall under SANDBOX_F_DEBUG (128 + SIGSYS,
 * as a shell reports it); without the flag the kernel kills it with SIGSYS. */
#define SANDBOX_TRAP_EXIT (128 + 31)

struct sandbox_opts {
	uid_t uid;          /* not 0: the supervisor's per-worker uid, or SANDBOX_NOBODY */
	gid_t gid;          /* not 0: likewise, the worker's own group */
	unsigned int flags; /* SANDBOX_F_* */
	unsigned int skip;  /* tests only: SANDBOX_* layers not to apply; 0 in the worker */
};

/* Applies the layers above, in that order, to the calling (single-threaded) process. Returns the
 * set of layers in force (SANDBOX_* bits, what the worker reports to the supervisor), or -1 with
 * errno set, after logging why. A missing kernel mechanism is an error (EOPNOTSUPP or the
 * kernel's errno) unless SANDBOX_F_DEGRADED; a failure of a present mechanism always is. After -1
 * the process may be partly sandboxed: the caller must exit (fatal). */
int sandbox_apply(const struct sandbox_opts *o);

/* Ends a sandboxed process with exit_group(2) itself, and never returns: no atexit handler, no
 * stdio flush (stderr is unbuffered), no sanitizer exit hook. exit() in a sanitizer build would
 * run LeakSanitizer, which ptraces, and any call to a noreturn function first queries
 * sigaltstack: both are forbidden. Deliberately not declared noreturn, for that reason. */
void sandbox_exit(int status);

/* The kernel's Landlock ABI version, 0 if it has none (for logs and the supervisor). */
int sandbox_landlock_abi(void);

/* Writes the names of the layers in mask ("ids,nnp,landlock,...", "none") into buf. */
const char *sandbox_layers_str(unsigned int mask, char *buf, size_t len);

/* Internal: one file per mechanism. sandbox_landlock.c: */
int sandbox_landlock(int abi, unsigned int *in_force);
/* seccomp_filter.c: 1 if the kernel takes seccomp filters and the architecture's allow-list has
 * been reviewed, 0 (with errno) if not; then the filter itself. */
int sandbox_seccomp_available(void);
int sandbox_seccomp(int debug);

#endif
