/* The IPC decoder on arbitrary bytes: byte 0 picks the receiving side and the number of
 * descriptors that "came" with the message; the rest is the datagram. An accepted message must
 * satisfy the decoder's own promises. */
#include <stdlib.h>
#include <string.h>

#include "ipc/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	const char *why = NULL;

	if (size < 1)
		return 0;
	enum ipc_side side = (data[0] & 1) ? IPC_FROM_WORKER : IPC_FROM_SUPERVISOR;
	int nfds = (data[0] >> 1) & 3;

	if (ipc_decode(&m, data + 1, size - 1, nfds, side, &why) == 0) {
		if (m.hdr.version != IPC_VERSION || m.hdr.type >= IPC_TYPE_MAX)
			abort();
		if (sizeof(m.hdr) + m.hdr.len != size - 1)
			abort();
		if (!strcmp(ipc_type_name(m.hdr.type), "unknown"))
			abort();
		if (m.hdr.type == IPC_CONFIG && !memchr(m.u.config.name, 0, sizeof(m.u.config.name)))
			abort();
		if (m.hdr.type == IPC_TUN && !memchr(m.u.tun.ifname, 0, sizeof(m.u.tun.ifname)))
			abort();
	} else if (!why) {
		abort();
	}
	return 0;
}
