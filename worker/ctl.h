/* The hand-run tunnel's control socket: `gt-worker path|show|set` talk to the running
 * `gt-worker bind` (its privileged parent) over a UNIX SOCK_SEQPACKET socket named after the TUN
 * device, with the IPC messages of shared/ipc: the CLI is the ctl party and the parent plays the
 * supervisor (requests ctl -> supervisor, answers supervisor -> ctl). The socket lives in the
 * first of /run/user/UID/gt-worker, /run/gt-worker.UID, /tmp/gt-worker.UID whose parent folder
 * is writable, mode 0700. */
#ifndef GT_WORKER_CTL_H
#define GT_WORKER_CTL_H

#include <stddef.h>

#include "ipc/ipc.h"

#define CTL_ERROR_NONE -2 /* no tunnel is running */
#define CTL_ERROR_MANY -3 /* several: name one with dev */

/* The folder's path into dst. Returns dst, or NULL (no writable place). */
char *ctl_rundir(char *dst, size_t size);

/* A listening control socket and the file it was bound to. */
struct ctl_listener {
	int fd;
	char path[128];
	unsigned long long dev, ino; /* the socket file's, to remove only our own */
};

/* Creates, binds and listens on the socket for the device. A leftover socket file of a
 * previous run is replaced; one that a running tunnel answers on (the same device name in
 * another network namespace) is not: -1 with errno EADDRINUSE. Returns 0 or -1 with errno;
 * l->path is set in both cases. */
int ctl_listen(const char *dev, struct ctl_listener *l);

/* Closes the socket and removes its file, unless another tunnel has replaced it since. */
void ctl_unlisten(struct ctl_listener *l);

/* Connects to the tunnel named dev, or to the only one running when dev is NULL. Returns the
 * fd, -1 (errno), CTL_ERROR_NONE or CTL_ERROR_MANY. */
int ctl_connect(const char *dev);

/* Prints glorytun's message for a ctl_connect() failure on stderr. */
void ctl_connect_error(const char *cmd, int ret);

struct ipc_msg;

/* Reads the next answer of the tunnel (waits at most a few seconds). Returns 1, 0 at the end,
 * -1 with errno. */
int ctl_answer(int fd, struct ipc_msg *m);

/* The session as `show` and `path` need it: IPC_STATUS, IPC_STATS and the paths. */
struct ctl_session {
	struct ipc_status status;
	struct ipc_stats stats;
	struct ipc_path_stats paths[32];
	int npaths;
};

/* Sends a request answered by IPC_RESULT (IPC_PATH, IPC_SET_CONF). Returns 0, or -1 with errno:
 * the tunnel's own error, or why there was no answer. */
int ctl_request(int fd, enum ipc_type type, const void *payload, size_t len);

/* Asks the tunnel for its state. Returns 0 or -1 with errno. */
int ctl_session(int fd, struct ctl_session *s);

#endif
