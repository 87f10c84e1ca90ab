/* The worker's TUN frame I/O, on a device opened by its privileged parent (sys/tundev.h) and
 * taken with tun_setup(). With a vnet header every frame read or written is a struct
 * virtio_net_hdr then the IP packet; splitting and coalescing super-packets is offload.c's
 * job. No logging: -1 with errno. */
#ifndef GT_WORKER_TUN_H
#define GT_WORKER_TUN_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "sys/tundev.h"
#include "sys/vnet.h"

#define TUN_FRAME_MAX (VNET_HDR_LEN + VNET_PKT_MAX) /* read buffer size */
#define TUN_IOV_MAX 64                              /* iovcnt of tun_readv / writev */

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

#endif
