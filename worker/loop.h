/* The worker's data loop: one tunnel's TUN device and UDP socket(s) moved through the protocol
 * engine, in batches, with epoll. It runs sandboxed: everything it needs (descriptors, buffers,
 * the epoll set, signal handlers) is made by worker_init() before the sandbox goes up.
 *
 * Per wake-up: received datagrams are read in recvmmsg batches (GRO runs split into their
 * datagrams) and given to the engine, whose packets for the TUN are coalesced into TCP
 * super-packets when the TUN has a virtio-net header; TUN frames are read, TSO super-packets split
 * into segments, sealed by the engine and sent in sendmmsg batches where consecutive datagrams on
 * one path of one size form a UDP GSO run. A full TUN drops packets (as a NIC queue would) rather
 * than stall the control plane; when the engine paces (EAGAIN), the TUN is left unread until the
 * engine's deadline, so the kernel queues for us. Each datagram leaves from the socket its path's
 * local address belongs to (sockpick.h). The control channel is supervisor_link.h: the loop
 * only calls it, and it never blocks the loop. */
#ifndef GT_WORKER_LOOP_H
#define GT_WORKER_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "ipc/outq.h"
#include "proto/engine.h"
#include "sockpick.h"
#include "tun.h"
#include "udp.h"

#define WORKER_SOCK_MAX 4

/* epoll tags */
enum { WORKER_EV_TUN = 0, WORKER_EV_IPC = 1, WORKER_EV_SOCK = 2 };

struct worker_stats {
	uint64_t tun_rx, tun_tx;           /* packets read from / written to the TUN */
	uint64_t tun_tx_drop;              /* TUN full or down */
	uint64_t tun_rx_drop;              /* unusable frames, no path, too big */
	uint64_t udp_rx, udp_tx;           /* datagrams */
	uint64_t udp_tx_drop;              /* send errors (EMSGSIZE counted too: MTU probing) */
	uint64_t gso_runs, gro_runs, coalesced;
};

struct worker_buffers;

struct worker {
	struct engine *engine;
	struct mud_clock clock;
	struct tun_dev tun;
	struct udp_sock sock[WORKER_SOCK_MAX];
	struct sock_bound bound[WORKER_SOCK_MAX]; /* what each socket is bound to */
	int nsock;
	int ipc;              /* channel to the supervisor (or the hand-run parent), or -1 */
	struct ipc_outq out;  /* what waits to go out on it (supervisor_link.h) */
	uint32_t ipc_interest; /* its epoll events now */
	int epfd;
	unsigned engine_mtu;  /* the engine's tunnel MTU */
	unsigned mtu_max;     /* the configured cap (0: none) */
	unsigned mtu;         /* tunnel MTU last asked for */
	struct worker_stats stats;
	struct worker_buffers *b;
	bool tun_paused;      /* engine said EAGAIN: TUN not polled until the deadline */
	bool stop;
};

/* Allocates the buffers and the epoll set for the descriptors already in w (tun, sock[], ipc),
 * reads the sockets' bound addresses (sockpick.h), makes the IPC channel non-blocking and
 * installs the signal handlers (SIGTERM, SIGINT, SIGQUIT, SIGHUP stop the loop). Returns 0, or
 * -1 with errno. */
int worker_init(struct worker *w);

/* Runs until a signal, the end of the IPC channel, or a fatal I/O error. Returns 0 on a clean
 * stop, -1 on error (logged). */
int worker_run(struct worker *w);

void worker_free(struct worker *w);

#endif
