/* Worker start-up (see spawn.h). */
#define _GNU_SOURCE /* pipe2, dup3, close_range */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "sys/spawn.h"

/* In the child until the exec: where a failed exec writes its errno (close-on-exec, so the
 * parent reads nothing at all when the exec went through). */
#define REPORT_FD (IPC_WORKER_FD + 1)
#define FD_LIMIT_MAX 65536 /* descriptors closed one by one without close_range */

static void
close_keep_errno(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

/* Every descriptor from first up: close_range (5.9), else one by one up to the limit taken
 * before the fork (getrlimit is not async-signal-safe). */
static void
close_from(int first, int limit)
{
	if (close_range((unsigned)first, ~0U, 0) == 0)
		return;
	for (int fd = first; fd < limit; fd++)
		(void)close(fd);
}

/* The child: only async-signal-safe calls. Every descriptor it keeps is first copied above
 * REPORT_FD, so that no dup2 meets its own target (which would keep close-on-exec) and none
 * is overwritten before it is copied. */
static void
child_exec(const struct spawn_cmd *cmd, int chan, int null, int report, int limit)
{
	int src[5] = { null, null, cmd->stderr_fd >= 0 ? cmd->stderr_fd : null, chan, report };
	int high[5], rep = report, err;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	for (int i = 0; i < 5; i++)
		if ((high[i] = fcntl(src[i], F_DUPFD_CLOEXEC, REPORT_FD + 1)) == -1)
			goto fail;
	for (int i = 0; i < 4; i++)
		if (dup2(high[i], i) == -1) /* stdin, stdout, stderr, IPC_WORKER_FD */
			goto fail;
	if (dup3(high[4], REPORT_FD, O_CLOEXEC) == -1)
		goto fail;
	rep = REPORT_FD;
	close_from(REPORT_FD + 1, limit);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &dfl, NULL); /* SIG_IGN would survive the exec */
	execv(cmd->path, cmd->argv);
fail:
	err = errno;
	(void)!write(rep, &err, sizeof(err));
	_exit(127);
}

/* The exec's outcome: 0, or -1 with the errno the child reported. */
static int
exec_result(int report)
{
	int err;
	ssize_t n;

	do
		n = read(report, &err, sizeof(err));
	while (n == -1 && errno == EINTR);
	if (n == 0)
		return 0;
	errno = n == (ssize_t)sizeof(err) ? err : EIO;
	return -1;
}

pid_t
spawn_worker(const struct spawn_cmd *cmd, int *chan)
{
	int sp[2] = { -1, -1 }, rp[2] = { -1, -1 }, null = -1, limit = FD_LIMIT_MAX;
	struct rlimit rl;
	pid_t pid = -1;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < FD_LIMIT_MAX)
		limit = (int)rl.rlim_cur;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1 ||
	    pipe2(rp, O_CLOEXEC) == -1 || (null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		goto fail;
	if ((pid = fork()) == 0)
		child_exec(cmd, sp[1], null, rp[1], limit);
	close_keep_errno(sp[1]);
	close_keep_errno(rp[1]);
	close_keep_errno(null);
	sp[1] = rp[1] = null = -1;
	if (pid == -1 || exec_result(rp[0]) == -1)
		goto fail;
	close(rp[0]);
	*chan = sp[0];
	return pid;
fail:
	if (pid > 0) {
		int saved = errno;

		(void)waitpid(pid, NULL, 0);
		errno = saved;
	}
	close_keep_errno(sp[0]);
	close_keep_errno(sp[1]);
	close_keep_errno(rp[0]);
	close_keep_errno(rp[1]);
	close_keep_errno(null);
	return -1;
}

static int
send_one(int chan, uint32_t *seq, enum ipc_type type, const void *payload, size_t len,
         const int *fd)
{
	return ipc_send(chan, type, (*seq)++, payload, len, fd, fd != NULL ? 1 : 0);
}

int
spawn_handoff(int chan, uint32_t *seq, const struct spawn_handoff *h)
{
	if (h->config == NULL || h->tun == NULL || h->tun_fd < 0 || h->nsock < 1 ||
	    h->sock_fds == NULL || h->socks == NULL || (h->npaths > 0 && h->paths == NULL)) {
		errno = EINVAL;
		return -1;
	}
	if (send_one(chan, seq, IPC_CONFIG, h->config, sizeof(*h->config), NULL) == -1 ||
	    send_one(chan, seq, IPC_TUN, h->tun, sizeof(*h->tun), &h->tun_fd) == -1)
		return -1;
	for (int i = 0; i < h->nsock; i++)
		if (send_one(chan, seq, IPC_SOCKET, &h->socks[i], sizeof(h->socks[i]),
		             &h->sock_fds[i]) == -1)
			return -1;
	for (int i = 0; i < h->npaths; i++)
		if (send_one(chan, seq, IPC_PATH, &h->paths[i], sizeof(h->paths[i]), NULL) == -1)
			return -1;
	return send_one(chan, seq, IPC_START, NULL, 0, NULL);
}
