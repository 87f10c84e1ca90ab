/* TUN frame I/O (see tun.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "tun.h"

ssize_t
tun_read(struct tun_dev *t, void *buf, size_t size)
{
	ssize_t r;

	do
		r = read(t->fd, buf, size);
	while (r == -1 && errno == EINTR);
	return r;
}

/* The header's slot (when the device has one) then the caller's pieces. Returns the count of
 * pieces, or -1 with EINVAL for too many. */
static int
with_header(const struct tun_dev *t, struct iovec v[TUN_IOV_MAX + 1], const void *vh,
            const struct iovec *iov, int iovcnt)
{
	int cnt = 0;

	if (iovcnt < 0 || iovcnt > TUN_IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (t->vnet_len) {
		v[cnt].iov_base = (void *)(uintptr_t)vh;
		v[cnt++].iov_len = t->vnet_len;
	}
	memcpy(v + cnt, iov, (size_t)iovcnt * sizeof(*iov));
	return cnt + iovcnt;
}

ssize_t
tun_readv(struct tun_dev *t, struct virtio_net_hdr *vh, const struct iovec *iov, int iovcnt)
{
	struct iovec v[TUN_IOV_MAX + 1];
	int cnt;
	ssize_t r;

	memset(vh, 0, sizeof(*vh));
	if ((cnt = with_header(t, v, vh, iov, iovcnt)) == -1)
		return -1;
	do
		r = readv(t->fd, v, cnt);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	if ((size_t)r < t->vnet_len) {
		errno = EBADMSG;
		return -1;
	}
	return r - (ssize_t)t->vnet_len;
}

ssize_t
tun_write(struct tun_dev *t, const void *buf, size_t len)
{
	ssize_t r;

	do
		r = write(t->fd, buf, len);
	while (r == -1 && errno == EINTR);
	return r;
}

ssize_t
tun_writev(struct tun_dev *t, const struct virtio_net_hdr *vh, const struct iovec *iov,
           int iovcnt)
{
	static const struct virtio_net_hdr zero;
	struct iovec v[TUN_IOV_MAX + 1];
	int cnt;
	ssize_t r;

	if (vh == NULL)
		vh = &zero;
	if (!t->vnet_len && (vh->flags != 0 || vh->gso_type != VIRTIO_NET_HDR_GSO_NONE)) {
		errno = EINVAL; /* an offload the device cannot be told about */
		return -1;
	}
	if ((cnt = with_header(t, v, vh, iov, iovcnt)) == -1)
		return -1;
	do
		r = writev(t->fd, v, cnt);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return -1;
	return r - (ssize_t)t->vnet_len;
}
