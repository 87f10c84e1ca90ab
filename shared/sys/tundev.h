/* Opening a tunnel's TUN device (docs/protocol.md section 10): IFF_TUN | IFF_NO_PI, one queue,
 * and when offloads are wanted IFF_VNET_HDR with TSO/USO, so that the kernel hands over and
 * takes TCP and UDP super-packets (docs/fastpath.md). The supervisor and the hand-run
 * `gt-worker bind` parent open it (privileged) and hand the descriptor to a worker, which takes
 * it with tun_setup(); frame I/O is the worker's (worker/tun.h).
 *
 * With a vnet header every frame is a struct virtio_net_hdr (native byte order, as legacy
 * virtio on x86) followed by the IP packet. No logging: -1 with errno. */
#ifndef GT_SYS_TUNDEV_H
#define GT_SYS_TUNDEV_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "sys/vnet.h"

/* Offload bits as TUNSETOFFLOAD takes them (<linux/if_tun.h>; USO from 6.2, missing from
 * older headers). */
#define TUN_OFF_CSUM 0x01u /* TUN_F_CSUM: packets may carry a partial checksum */
#define TUN_OFF_TSO4 0x02u /* TUN_F_TSO4 */
#define TUN_OFF_TSO6 0x04u /* TUN_F_TSO6 */
#define TUN_OFF_USO4 0x20u /* TUN_F_USO4 */
#define TUN_OFF_USO6 0x40u /* TUN_F_USO6 */

#define TUN_AUTO_MAX 32 /* tun0 .. tun31 */

/* Packets the kernel may queue for the worker to read (the TUN's txqueuelen; the driver's
 * default is 500). The worker leaves the TUN unread while the engine paces and reads at most a
 * budget of frames per wake-up, so the queue must hold a burst that arrives meanwhile: 500
 * overflowed under UDP bursts at full rate (19% loss; 6% with a longer queue). 4096 is about
 * 50 ms of 1500-byte packets at 1 Gbit/s, a bound on the delay it can add; its memory is
 * charged to the senders' socket buffers, not to the queue. */
#define TUN_TXQLEN_DEFAULT 4096

struct tun_config {
	const char *name; /* NULL or "": the first free tun0..tun31 (section 10) */
	bool vnet;        /* IFF_VNET_HDR and offloads */
	bool no_uso;      /* offer TSO but not USO */
	bool persist;     /* TUNSETPERSIST on, else off (tun_open only) */
	int txqlen;       /* tun_open only: 0 for TUN_TXQLEN_DEFAULT, < 0 to leave it */
};

struct tun_dev {
	int fd;
	char name[IFNAMSIZ];
	unsigned ifflags;  /* IFF_* as TUNGETIFF reports them (0x1000 always set: see tun_setup) */
	size_t vnet_len;   /* 0, or VNET_HDR_LEN before every packet */
	unsigned offloads; /* TUN_OFF_* accepted by TUNSETOFFLOAD (0 without vnet) */
	int txqlen;        /* tun_open: the queue length read back (the asked one needs
	                    * CAP_NET_ADMIN: lower without it); tun_setup: 0, not known */
};

/* Opens /dev/net/tun (non-blocking, close-on-exec) and attaches cfg->name or the first free
 * tunN. With cfg->vnet it tries CSUM|TSO4|TSO6|USO4|USO6, then without USO, then no offload,
 * and opens again without a vnet header if even that fails. Then sets the queue length (a
 * failure there is not one of tun_open: t->txqlen tells). Returns 0 or -1. */
int tun_open(struct tun_dev *t, const struct tun_config *cfg);

/* Sets up an already attached TUN fd passed in by the supervisor: TUNGETIFF (IFF_TAP and
 * anything else without IFF_TUN is refused with EINVAL), O_NONBLOCK, and the offloads as
 * tun_open does if it has a vnet header (which an fd cannot drop: without cfg->vnet the
 * offloads are just turned off). cfg->persist, cfg->name and cfg->txqlen are ignored. Takes
 * ownership of fd on success only.
 * The fd must have been attached with IFF_NO_PI: TUNGETIFF cannot tell, since the kernel ORs
 * IFF_NOFILTER (the same bit, 0x1000) into its answer whenever no socket filter is attached,
 * which is always the case for a TUN (filters are for TAP only). */
int tun_setup(struct tun_dev *t, int fd, const struct tun_config *cfg);

void tun_close(struct tun_dev *t);

/* TUNSETPERSIST (privileged). */
int tun_set_persist(struct tun_dev *t, bool on);

/* Ends a persistent device that no one has open: attaches to it by name, turns persistence off
 * and closes it, so the kernel removes it. Returns 0, or -1 (EBUSY: still attached; ENODEV: no
 * such device). */
int tun_unpersist(const char *name);

/* Offload bits as words ("vnet csum tso4 tso6 uso4 uso6"), for a log line. Returns the length,
 * or -1 if size is too small. */
int tun_offloads_format(const struct tun_dev *t, char *buf, size_t size);

#endif
