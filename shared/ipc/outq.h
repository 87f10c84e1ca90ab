/* A worker's outgoing IPC messages, in a bounded queue, so that sending never blocks the data
 * loop (the channel is non-blocking; the loop asks for EPOLLOUT only while this is non-empty).
 *
 * Policy when the supervisor does not read (memory stays bounded: about 12 KiB per worker):
 * - Replies (IPC_RESULT) are never dropped: they take a slot of the ring, and the worker reads
 *   a request only while the ring has a free slot (ipc_outq_can_reply), with IPC_OUTQ_REPLY_ROOM
 *   slots that events may not take. A supervisor that keeps writing fills its own socket buffer.
 * - Events (IPC_PATH_EVENT) share the ring, in order with the replies, up to
 *   IPC_OUTQ_SLOTS - IPC_OUTQ_REPLY_ROOM. An event that finds no room is dropped and counted:
 *   once the ring has drained, the queue sends IPC_EVENTS_LOST (the count) and then a full state
 *   snapshot (IPC_STATS, IPC_PATH_STATS..., IPC_STATS_END), so the supervisor's view is exact
 *   again. Events are never lost silently.
 * - IPC_MTU_REQ is coalesced: only the newest value is kept (the snapshot carries it too).
 * - Stats replies are coalesced: a request only marks a snapshot as wanted; the snapshot is
 *   taken when its first message leaves (one that the full socket refused is thrown away and
 *   taken again later), so it is the newest, and any number of requests made while one waits
 *   get that one snapshot. A snapshot partly sent is finished first, before anything else.
 * Order on the wire: ring (events and replies, FIFO), the MTU request, the lost marker, the
 * snapshot. */
#ifndef GT_IPC_OUTQ_H
#define GT_IPC_OUTQ_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc/ipc.h"

#define IPC_OUTQ_SLOTS 32
#define IPC_OUTQ_REPLY_ROOM 8
#define IPC_OUTQ_SNAP_MAX 34 /* IPC_STATS, 32 IPC_PATH_STATS, IPC_STATS_END */
#define IPC_OUTQ_PAYLOAD 176 /* the largest message a worker sends (IPC_STATS) */

struct ipc_outq_msg {
	uint16_t type;
	uint16_t len;
	uint8_t payload[IPC_OUTQ_PAYLOAD];
};

struct ipc_outq;

/* Fills q's snapshot with ipc_outq_snap_add(): IPC_STATS, its IPC_PATH_STATS, IPC_STATS_END. */
typedef void ipc_outq_snapshot_fn(struct ipc_outq *q, void *ctx);

struct ipc_outq {
	int sock;
	uint32_t seq;
	struct ipc_outq_msg ring[IPC_OUTQ_SLOTS];
	unsigned head, count;
	bool mtu_pending;
	struct ipc_mtu mtu;
	uint32_t lost;       /* events dropped, not yet reported */
	uint64_t lost_total; /* for logs and tests */
	bool snap_wanted;
	struct ipc_outq_msg snap[IPC_OUTQ_SNAP_MAX];
	unsigned snap_n, snap_next; /* snapshot being sent: snap[snap_next..snap_n) */
	ipc_outq_snapshot_fn *snapshot;
	void *ctx;
};

void ipc_outq_init(struct ipc_outq *q, int sock, ipc_outq_snapshot_fn *snapshot, void *ctx);

/* Queues an event. Returns 0, or -1 when it was dropped (counted for IPC_EVENTS_LOST). */
int ipc_outq_event(struct ipc_outq *q, enum ipc_type type, const void *payload, size_t len);

/* Whether a request may be read now: its reply is sure to find a slot. */
bool ipc_outq_can_reply(const struct ipc_outq *q);

/* Queues a reply. Returns 0, or -1 with errno ENOBUFS (the caller read a request without
 * asking ipc_outq_can_reply) or EINVAL. */
int ipc_outq_reply(struct ipc_outq *q, enum ipc_type type, const void *payload, size_t len);

/* Asks for the TUN MTU (replaces a request not yet sent). */
void ipc_outq_mtu(struct ipc_outq *q, unsigned mtu);

/* Marks a stats snapshot as wanted. */
void ipc_outq_want_snapshot(struct ipc_outq *q);

/* For the snapshot callback: appends one message. Returns 0, or -1 (full or too big). */
int ipc_outq_snap_add(struct ipc_outq *q, enum ipc_type type, const void *payload, size_t len);

/* Whether anything waits to be sent (ask for EPOLLOUT then). */
bool ipc_outq_pending(const struct ipc_outq *q);

/* Sends what it can without blocking. Returns 1 when everything is out, 0 when the socket is
 * full (call again when writable), -1 with errno on a broken channel. */
int ipc_outq_flush(struct ipc_outq *q);

#endif
