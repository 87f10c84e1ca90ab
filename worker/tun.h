/* The worker's TUN device (PROTOCOL.md section 10): IFF_TUN | IFF_NO_PI, one queue, and when
 * offloads are wanted IFF_VNET_HDR with TSO/USO, so that the kernel hands over and takes TCP
 * and UDP super-packets (FASTPATH.md). Splitting and coalescing them is offload.c's job.
 *
 * With a vnet header every frame read or written is a struct virtio_net_hdr (native byte
 * order, as legacy virtio on x86) followed by the IP packet. No logging: -1 with errno. */
#ifndef GT_WORKER_TUN_H
#define GT_WORKER_TUN_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <linux/virtio_net.h>

/* Offload bits as TUNSETOFFLOAD takes them (<linux/if_tun.h>; USO from 6.2, missing from
 * older headers). */
#define TUN_OFF_CSUM 0x01u /* TUN_F_CSUM: packets may carry a partial checksum */
#define TUN_OFF_TSO4 0x02u /* TUN_F_TSO4 */
#define TUN_OFF_TSO6 0x04u /* TUN_F_TSO6 */
#define TUN_OFF_USO4 0x20u /* TUN_F_USO4 */
#define TUN_OFF_USO6 0x40u /* TUN_F_USO6 */

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* USO, missing from older headers */
#endif

#define TUN_VNET_HDR_LEN sizeof(struct virtio_net_hdr) /* 10 */
#define TUN_PACKET_MAX 65535                            /* one IP packet, a TSO one included */
#define TUN_FRAME_MAX (TUN_VNET_HDR_LEN + TUN_PACKET_MAX) /* read buffer size */
#define TUN_AUTO_MAX 32                                 /* tun0 .. tun31 */
#define TUN_IOV_MAX 64                                  /* iovcnt of tun_readv / writev */

struct tun_config {
	const char *name; /* NULL or "": the first free tun0..tun31 (section 10) */
	bool vnet;        /* IFF_VNET_HDR and offloads */
	bool no_uso;      /* offer TSO but not USO */
	bool persist;     /* TUNSETPERSIST on, else off (tun_open only) */
};

struct tun_dev {
	int fd;
	char name[IFNAMSIZ];
	unsigned ifflags;  /* IFF_* as TUNGETIFF reports them (0x1000 always set: see tun_setup) */
	size_t vnet_len;   /* 0, or TUN_VNET_HDR_LEN before every packet */
	unsigned offloads; /* TUN_OFF_* accepted by TUNSETOFFLOAD (0 without vnet) */
};

/* Opens /dev/net/tun (non-blocking, close-on-exec) and attaches cfg->name or the first free
 * tunN. With cfg->vnet it tries CSUM|TSO4|TSO6|USO4|USO6, then without USO, then no offload,
 * and opens again without a vnet header if even that fails. Returns 0 or -1. */
int tun_open(struct tun_dev *t, const struct tun_config *cfg);

/* Sets up an already attached TUN fd passed in by the supervisor: TUNGETIFF (IFF_TAP and
 * anything else without IFF_TUN is refused with EINVAL), O_NONBLOCK, and the offloads as
 * tun_open does if it has a vnet header (which an fd cannot drop: without cfg->vnet the
 * offloads are just turned off). cfg->persist and cfg->name are ignored. Takes ownership of fd
 * on success only.
 * The fd must have been attached with IFF_NO_PI: TUNGETIFF cannot tell, since the kernel ORs
 * IFF_NOFILTER (the same bit, 0x1000) into its answer whenever no socket filter is attached,
 * which is always the case for a TUN (filters are for TAP only). */
int tun_setup(struct tun_dev *t, int fd, const struct tun_config *cfg);

void tun_close(struct tun_dev *t);

/* Offload bits as words ("vnet csum tso4 tso6 uso4 uso6"), for a log line. Returns the length,
 * or -1 if size is too small. */
int tun_offloads_format(const struct tun_dev *t, char *buf, size_t size);

/* One frame (vnet header, if any, then the packet) into buf, which should hold TUN_FRAME_MAX.
 * Returns its length, or -1 (EAGAIN: nothing to read). */
ssize_t tun_read(struct tun_dev *t, void *buf, size_t size);

/* The same with the header kept apart: *vh gets the header (zeroed without a vnet header), the
 * packet goes to iov. Returns the packet's length, or -1 (EBADMSG if shorter than a header). */
ssize_t tun_readv(struct tun_dev *t, struct virtio_net_hdr *vh, const struct iovec *iov,
                  int iovcnt);

/* Writes one frame as it is (vnet header included when the device has one). Returns its
 * length, or -1: EAGAIN, EIO if the link is down, EINVAL for a malformed header. */
ssize_t tun_write(struct tun_dev *t, const void *buf, size_t len);

/* Writes *vh (NULL: a zero header, no offload) and the packet in iov. Without a vnet header a
 * non-NULL vh must ask for nothing (EINVAL otherwise). Returns the packet's length or -1. */
ssize_t tun_writev(struct tun_dev *t, const struct virtio_net_hdr *vh, const struct iovec *iov,
                   int iovcnt);

/* TUNSETPERSIST (privileged). */
int tun_set_persist(struct tun_dev *t, bool on);

/* Privileged helpers on an interface by name, through an AF_INET datagram socket's ioctls:
 * for the hand-run client's parent and the supervisor (which will use libnl later). */
int tun_set_mtu(const char *name, int mtu);
int tun_get_mtu(const char *name);
int tun_set_up(const char *name, bool up);

#endif
