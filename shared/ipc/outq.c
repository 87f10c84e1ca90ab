#include "ipc/outq.h"

#include <errno.h>
#include <string.h>

_Static_assert(sizeof(struct ipc_stats) <= IPC_OUTQ_PAYLOAD, "outq slot too small for stats");
_Static_assert(sizeof(struct ipc_path_stats) <= IPC_OUTQ_PAYLOAD, "outq slot too small");
_Static_assert(sizeof(struct ipc_path_event) <= IPC_OUTQ_PAYLOAD, "outq slot too small");
_Static_assert(sizeof(struct ipc_result) <= IPC_OUTQ_PAYLOAD, "outq slot too small");

void
ipc_outq_init(struct ipc_outq *q, int sock, ipc_outq_snapshot_fn *snapshot, void *ctx)
{
	memset(q, 0, sizeof(*q));
	q->sock = sock;
	q->snapshot = snapshot;
	q->ctx = ctx;
}

static int
set_msg(struct ipc_outq_msg *m, enum ipc_type type, const void *payload, size_t len)
{
	if (len > sizeof(m->payload)) {
		errno = EINVAL;
		return -1;
	}
	m->type = (uint16_t)type;
	m->len = (uint16_t)len;
	if (len)
		memcpy(m->payload, payload, len);
	return 0;
}

static int
ring_push(struct ipc_outq *q, enum ipc_type type, const void *payload, size_t len)
{
	return set_msg(&q->ring[(q->head + q->count) % IPC_OUTQ_SLOTS], type, payload, len) ? -1
	       : (q->count++, 0);
}

int
ipc_outq_event(struct ipc_outq *q, enum ipc_type type, const void *payload, size_t len)
{
	/* once one is lost, later ones are too until the snapshot: the marker then covers them */
	if (q->lost || q->count >= IPC_OUTQ_SLOTS - IPC_OUTQ_REPLY_ROOM) {
		q->lost++;
		q->lost_total++;
		return -1;
	}
	return ring_push(q, type, payload, len);
}

bool
ipc_outq_can_reply(const struct ipc_outq *q)
{
	return q->count < IPC_OUTQ_SLOTS;
}

int
ipc_outq_reply(struct ipc_outq *q, enum ipc_type type, const void *payload, size_t len)
{
	if (!ipc_outq_can_reply(q)) {
		errno = ENOBUFS;
		return -1;
	}
	return ring_push(q, type, payload, len);
}

void
ipc_outq_mtu(struct ipc_outq *q, unsigned mtu)
{
	q->mtu = (struct ipc_mtu){ .mtu = mtu };
	q->mtu_pending = true;
}

void
ipc_outq_want_snapshot(struct ipc_outq *q)
{
	q->snap_wanted = true;
}

int
ipc_outq_snap_add(struct ipc_outq *q, enum ipc_type type, const void *payload, size_t len)
{
	if (q->snap_n == IPC_OUTQ_SNAP_MAX) {
		errno = ENOBUFS;
		return -1;
	}
	if (set_msg(&q->snap[q->snap_n], type, payload, len))
		return -1;
	q->snap_n++;
	return 0;
}

bool
ipc_outq_pending(const struct ipc_outq *q)
{
	return q->count || q->mtu_pending || q->lost || q->snap_wanted || q->snap_next < q->snap_n;
}

/* 1 sent, 0 socket full, -1 broken. */
static int
send_one(struct ipc_outq *q, const struct ipc_outq_msg *m)
{
	if (ipc_send(q->sock, (enum ipc_type)m->type, q->seq, m->payload, m->len, NULL, 0) == 0) {
		q->seq++;
		return 1;
	}
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ? 0 : -1;
}

int
ipc_outq_flush(struct ipc_outq *q)
{
	int r;

	/* a snapshot partly sent goes out whole before anything else */
	while (q->snap_next < q->snap_n) {
		if ((r = send_one(q, &q->snap[q->snap_next])) <= 0)
			return r;
		q->snap_next++;
	}
	while (q->count) {
		if ((r = send_one(q, &q->ring[q->head])) <= 0)
			return r;
		q->head = (q->head + 1) % IPC_OUTQ_SLOTS;
		q->count--;
	}
	if (q->mtu_pending) {
		struct ipc_outq_msg m;
		set_msg(&m, IPC_MTU_REQ, &q->mtu, sizeof(q->mtu));
		if ((r = send_one(q, &m)) <= 0)
			return r;
		q->mtu_pending = false;
	}
	if (q->lost) {
		struct ipc_events_lost l = { .count = q->lost };
		struct ipc_outq_msg m;
		set_msg(&m, IPC_EVENTS_LOST, &l, sizeof(l));
		if ((r = send_one(q, &m)) <= 0)
			return r;
		q->lost = 0;
		q->snap_wanted = true; /* the resync */
	}
	if (q->snap_wanted) {
		q->snap_wanted = false;
		q->snap_n = q->snap_next = 0;
		if (q->snapshot)
			q->snapshot(q, q->ctx);
		while (q->snap_next < q->snap_n) {
			if ((r = send_one(q, &q->snap[q->snap_next])) <= 0) {
				if (r == 0 && q->snap_next == 0) {
					/* nothing of it left: take a newer one when there is room */
					q->snap_n = 0;
					q->snap_wanted = true;
				}
				return r;
			}
			q->snap_next++;
		}
	}
	return 1;
}
