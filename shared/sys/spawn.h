/* Starting a worker: fork + exec with the IPC channel on IPC_WORKER_FD, then its whole
 * configuration over that channel (CONFIG, TUN, SOCKET..., PATH..., START), descriptors
 * included. Shared by the supervisor and the hand-run `gt-worker bind` parent, so that both
 * start workers the same way. No logging: -1 with errno. */
#ifndef GT_SYS_SPAWN_H
#define GT_SYS_SPAWN_H

#include <stdint.h>
#include <sys/types.h>

#include "ipc/ipc.h"

struct spawn_cmd {
	const char *path;  /* the program: "/proc/self/exe", or the installed gt-worker */
	char *const *argv; /* e.g. { "gt-worker", "spawned", NULL } */
	int stderr_fd;     /* the child's stderr; -1: /dev/null */
};

/* Forks and execs cmd with one end of a new SOCK_SEQPACKET socketpair on IPC_WORKER_FD,
 * /dev/null on stdin and stdout, stderr_fd on stderr and every other descriptor closed, with
 * no signal blocked or ignored. Returns the child's pid and the other end in *chan (close-on-
 * exec), or -1 with errno, the exec's own if that is what failed (the child is then reaped). */
pid_t spawn_worker(const struct spawn_cmd *cmd, int *chan);

/* What a worker is given before it starts. */
struct spawn_handoff {
	const struct ipc_config *config;
	int tun_fd;
	const struct ipc_tun *tun;
	int nsock;                       /* 1 .. IPC sockets the worker takes */
	const int *sock_fds;             /* nsock bound UDP sockets ... */
	const struct ipc_socket *socks;  /* ... and what each is bound to */
	int npaths;
	const struct ipc_path *paths;
};

/* Sends the worker its configuration, its descriptors and IPC_START on chan, numbering the
 * messages from *seq on. The descriptors stay open here: once this returns 0 the worker holds
 * its own copies (in flight or received), and the caller should close these. Returns 0, or -1
 * with errno (EINVAL for a handoff without a TUN or a socket). */
int spawn_handoff(int chan, uint32_t *seq, const struct spawn_handoff *h);

#endif
