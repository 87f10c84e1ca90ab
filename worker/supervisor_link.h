/* The worker's side of the control channel: engine events become IPC messages, IPC requests
 * become engine calls, and everything outgoing goes through the bounded, non-blocking queue of
 * shared/ipc/outq.h, so the data loop never waits for the supervisor. */
#ifndef GT_WORKER_SUPERVISOR_LINK_H
#define GT_WORKER_SUPERVISOR_LINK_H

#include <stdint.h>

#include "ipc/ipc.h"
#include "loop.h"

/* Makes the channel non-blocking and sets up the queue. Returns 0 or -1 with errno. */
int sup_link_init(struct worker *w);

/* Queues IPC_READY. */
void sup_link_ready(struct worker *w, uint32_t features);

/* Logs the engine's events and queues them for the supervisor. */
void sup_link_report_events(struct worker *w);

/* Serves one request from the supervisor (only call it when sup_link_wants_input()). Returns
 * 0, or -1 (bad message, logged; the channel closed sets w->stop and returns 0). */
int sup_link_read(struct worker *w, uint64_t now);

/* Sends what the socket takes and sets the channel's epoll interest: EPOLLOUT only while
 * something waits, EPOLLIN only while a reply has room. Returns 0, or -1 (channel broken). */
int sup_link_flush(struct worker *w);

/* Applies a path command (zero fields leave values unchanged). Returns 0 or an errno value. */
int worker_apply_path(struct engine *e, uint64_t now, const struct ipc_path *p);

/* Applies live settings (checked by ipc_decode). Returns 0 or an errno value. */
int worker_apply_conf(struct worker *w, const struct ipc_conf *c);

/* The TUN MTU to ask for: the engine's, under the configured cap (0: none). */
unsigned worker_tun_mtu(unsigned engine_mtu, unsigned cap);

#endif
