/* sandbox_apply(): the order of the layers, the identity drop and the rlimits (sandbox.h). The
 * mechanisms live in sandbox_landlock.c and seccomp_filter.c. */
#define _GNU_SOURCE /* setresuid, getresuid */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "util/log.h"

struct preflight {
	int highest_fd;   /* the highest open descriptor */
	int landlock_abi; /* 0: none */
	int seccomp;      /* 1: filters work here */
};

const char *
sandbox_layers_str(unsigned int mask, char *buf, size_t len)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{ SANDBOX_IDS, "ids" },
		{ SANDBOX_NNP, "nnp" },
		{ SANDBOX_LANDLOCK, "landlock" },
		{ SANDBOX_LL_NET, "landlock-net" },
		{ SANDBOX_LL_SCOPE, "landlock-scope" },
		{ SANDBOX_RLIMITS, "rlimits" },
		{ SANDBOX_SECCOMP, "seccomp" },
	};
	size_t i, off = 0;
	int n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(mask & names[i].bit))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? "," : "", names[i].name);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	if (off == 0)
		snprintf(buf, len, "none");
	return buf;
}

void
sandbox_exit(int status)
{
	for (;;)
		syscall(SYS_exit_group, status);
}

/* The number of threads of this process, from /proc/self/status; -1 if unknown. */
static int
thread_count(void)
{
	char line[256];
	FILE *f;
	int n = -1;

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* A writable regular file would kill the worker (SIGXFSZ) on its first write once RLIMIT_FSIZE
 * is 0: refuse it now, loudly, instead. */
static int
check_fd(int fd)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	if ((fl = fcntl(fd, F_GETFL)) == -1 || (fl & O_ACCMODE) == O_RDONLY)
		return 0;
	log_warnx("sandbox: fd %d is a writable regular file: with RLIMIT_FSIZE 0 its first write "
	    "kills the worker; give it a pipe, a socket or /dev/null instead", fd);
	errno = EINVAL;
	return -1;
}

/* Sets *highest to the highest open descriptor; with check, refuses writable regular files. */
static int
scan_fds(int check, int *highest)
{
	struct rlimit rl;
	struct dirent *de;
	DIR *d;
	int fd, self;

	*highest = -1;
	if ((d = opendir("/proc/self/fd")) != NULL) {
		self = dirfd(d);
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			fd = atoi(de->d_name);
			if (fd == self)
				continue;
			if (check && check_fd(fd) != 0) {
				closedir(d);
				return -1;
			}
			if (fd > *highest)
				*highest = fd;
		}
		closedir(d);
		return 0;
	}
	/* No /proc: probe below the soft limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	if (rl.rlim_cur > 1 << 20)
		rl.rlim_cur = 1 << 20;
	for (fd = 0; (rlim_t)fd < rl.rlim_cur; fd++) {
		if (fcntl(fd, F_GETFD) == -1)
			continue;
		if (check && check_fd(fd) != 0)
			return -1;
		*highest = fd;
	}
	return 0;
}

/* A kernel mechanism is missing: an error unless the caller allowed degraded mode. */
static int
missing(const struct sandbox_opts *o, const char *what, int err)
{
	int degraded = (o->flags & SANDBOX_F_DEGRADED) != 0;

	log_warnx("sandbox: %s unavailable: %s%s", what, strerror(err),
	    degraded ? " (running without it, degraded mode allowed)" : "");
	if (!degraded) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Step 0: everything that needs the file system or may refuse, before anything changes. */
static int
preflight(const struct sandbox_opts *o, struct preflight *pf)
{
	unsigned int todo = SANDBOX_ALL & ~o->skip;
	int n;

	if ((todo & SANDBOX_IDS) && (o->uid == 0 || o->gid == 0 || o->uid == (uid_t)-1 ||
	    o->gid == (gid_t)-1)) {
		log_warnx("sandbox: refusing uid %u gid %u: not an unprivileged user", (unsigned)o->uid,
		    (unsigned)o->gid);
		errno = EINVAL;
		return -1;
	}
	if ((n = thread_count()) != 1) {
		log_warnx("sandbox: the process has %d threads (unknown if -1): the sandbox needs one",
		    n);
		errno = n < 0 ? ENOENT : EBUSY;
		return -1;
	}
	if (scan_fds(todo & SANDBOX_RLIMITS, &pf->highest_fd) != 0)
		return -1;
	pf->landlock_abi = 0;
	if (todo & SANDBOX_LANDLOCK) {
		if ((pf->landlock_abi = sandbox_landlock_abi()) == 0 &&
		    missing(o, "landlock", errno) != 0)
			return -1;
	}
	pf->seccomp = 0;
	if (todo & SANDBOX_SECCOMP) {
		if ((pf->seccomp = sandbox_seccomp_available()) == 0 &&
		    missing(o, "seccomp", errno) != 0)
			return -1;
	}
	/* syslog() formats local time: load the zone while files can still be opened. */
	tzset();
	return 0;
}

/* No capabilities left in any set, ambient included (dropping is always permitted). */
static int
drop_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	int i;

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return -1;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) != 0)
		return -1;
	if (syscall(SYS_capget, &hdr, data) != 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if (data[i].effective || data[i].permitted || data[i].inheritable) {
			errno = EPERM;
			return -1;
		}
	}
	return 0;
}

/* Step 1: the worker's own uid and gid, no supplementary group, no capability; then prove it. */
static int
drop_ids(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	gid_t groups[8];
	int i, n;

	if (geteuid() == 0) {
		if (setgroups(0, NULL) != 0) {
			log_warn("sandbox: setgroups");
			return -1;
		}
		if (setresgid(gid, gid, gid) != 0) {
			log_warn("sandbox: setresgid %u", (unsigned)gid);
			return -1;
		}
		if (setresuid(uid, uid, uid) != 0) {
			log_warn("sandbox: setresuid %u", (unsigned)uid);
			return -1;
		}
	}
	/* Not root: only the target identity itself is acceptable (checked below). */
	if (drop_caps() != 0) {
		log_warn("sandbox: dropping capabilities");
		return -1;
	}
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return -1;
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid) {
		log_warnx("sandbox: running as uid %u/%u/%u gid %u/%u/%u, not %u/%u: start as root",
		    (unsigned)ru, (unsigned)eu, (unsigned)su, (unsigned)rg, (unsigned)eg,
		    (unsigned)sg, (unsigned)uid, (unsigned)gid);
		errno = EPERM;
		return -1;
	}
	if ((n = getgroups((int)(sizeof(groups) / sizeof(groups[0])), groups)) < 0) {
		log_warn("sandbox: getgroups");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (groups[i] != gid) {
			log_warnx("sandbox: still in supplementary group %u", (unsigned)groups[i]);
			errno = EPERM;
			return -1;
		}
	}
	/* The point of no return: root must be out of reach. */
	if (setuid(0) != -1 || setgid(0) != -1) {
		log_warnx("sandbox: root could be regained after the identity drop");
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* Step 2: no privilege from exec (there is none to come) and not dumpable. */
static int
no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_warn("sandbox: PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		log_warn("sandbox: PR_SET_DUMPABLE");
		return -1;
	}
	return 0;
}

/* Step 4: no new descriptor above those held, no process, no file growth, no core. */
static int
set_rlimits(int highest_fd)
{
	static const struct {
		int res;
		const char *name;
	} zero[] = {
		{ RLIMIT_NPROC, "RLIMIT_NPROC" },
		{ RLIMIT_FSIZE, "RLIMIT_FSIZE" },
		{ RLIMIT_CORE, "RLIMIT_CORE" },
	};
	struct rlimit rl;
	size_t i;

	rl.rlim_cur = rl.rlim_max = (rlim_t)(highest_fd + 1);
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("sandbox: RLIMIT_NOFILE %d", highest_fd + 1);
		return -1;
	}
	rl.rlim_cur = rl.rlim_max = 0;
	for (i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
		if (setrlimit(zero[i].res, &rl) != 0) {
			log_warn("sandbox: %s 0", zero[i].name);
			return -1;
		}
	}
	return 0;
}

int
sandbox_apply(const struct sandbox_opts *o)
{
	unsigned int todo = SANDBOX_ALL & ~o->skip;
	unsigned int in_force = 0;
	struct preflight pf;
	unsigned int uid, gid;
	char desc[128];

	if (preflight(o, &pf) != 0)
		return -1;
	if (todo & SANDBOX_IDS) {
		if (drop_ids(o->uid, o->gid) != 0)
			return -1;
		in_force |= SANDBOX_IDS;
	}
	if (todo & SANDBOX_NNP) {
		if (no_new_privs() != 0)
			return -1;
		in_force |= SANDBOX_NNP;
	}
	if ((todo & SANDBOX_LANDLOCK) && pf.landlock_abi > 0) {
		if (sandbox_landlock(pf.landlock_abi, &in_force) != 0)
			return -1;
		if (!(in_force & SANDBOX_LL_NET))
			log_info("sandbox: landlock ABI %d: TCP bind/connect not restricted by landlock",
			    pf.landlock_abi);
		if (!(in_force & SANDBOX_LL_SCOPE))
			log_info("sandbox: landlock ABI %d: signals and abstract sockets not scoped",
			    pf.landlock_abi);
	}
	if (todo & SANDBOX_RLIMITS) {
		if (set_rlimits(pf.highest_fd) != 0)
			return -1;
		in_force |= SANDBOX_RLIMITS;
	}
	uid = (unsigned int)getuid();
	gid = (unsigned int)getgid();
	if ((todo & SANDBOX_SECCOMP) && pf.seccomp) {
		if (sandbox_seccomp((o->flags & SANDBOX_F_DEBUG) != 0) != 0)
			return -1;
		in_force |= SANDBOX_SECCOMP;
	}
	/* From here on only the allow-list: this line is written with write(2). */
	log_info("sandbox: in force: %s (uid %u gid %u, landlock ABI %d, seccomp %s)",
	    sandbox_layers_str(in_force, desc, sizeof(desc)), uid, gid, pf.landlock_abi,
	    !(in_force & SANDBOX_SECCOMP) ? "off" : (o->flags & SANDBOX_F_DEBUG) ? "traps" : "kills");
	return (int)in_force;
}
