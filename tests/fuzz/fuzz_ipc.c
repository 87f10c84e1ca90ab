/* The IPC decoder on arbitrary bytes: byte 0 picks the route (bits 0-1: supervisor -> worker,
 * worker -> supervisor, ctl -> supervisor, supervisor -> ctl, so each of the three parties is a
 * receiver) and the number of descriptors that "came" with the message (bits 2-3); the rest is
 * the datagram. An accepted message must satisfy the decoder's own promises. */
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum ipc_party route[4][2] = {
	{ IPC_SUPERVISOR, IPC_WORKER },
	{ IPC_WORKER, IPC_SUPERVISOR },
	{ IPC_CTL, IPC_SUPERVISOR },
	{ IPC_SUPERVISOR, IPC_CTL },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	const char *why = NULL;

	if (size < 1)
		return 0;
	enum ipc_party from = route[data[0] & 3][0], to = route[data[0] & 3][1];
	int nfds = (data[0] >> 2) & 3;

	if (ipc_decode(&m, data + 1, size - 1, nfds, from, to, &why) == 0) {
		if (m.hdr.version != IPC_VERSION || m.hdr.type >= IPC_TYPE_MAX)
			abort();
		if (sizeof(m.hdr) + m.hdr.len != size - 1)
			abort();
		if (!strcmp(ipc_type_name(m.hdr.type), "unknown"))
			abort();
		if (!ipc_route_ok(m.hdr.type, from, to))
			abort();
		if (m.hdr.type == IPC_CONFIG && !memchr(m.u.config.name, 0, sizeof(m.u.config.name)))
			abort();
		if (m.hdr.type == IPC_CONFIG && (m.u.config.delay_spread_ms > IPC_SPREAD_MAX_MS ||
		                                 m.u.config.keepalive_ms > IPC_TIMER_MAX_MS))
			abort();
		if (m.hdr.type == IPC_SET_CONF && (m.u.conf.delay_spread_ms > IPC_SPREAD_MAX_MS ||
		                                   m.u.conf.kxtimeout_ms > IPC_TIMER_MAX_MS))
			abort();
		if (m.hdr.type == IPC_TUN && !memchr(m.u.tun.ifname, 0, sizeof(m.u.tun.ifname)))
			abort();
	} else if (!why) {
		abort();
	}
	return 0;
}
