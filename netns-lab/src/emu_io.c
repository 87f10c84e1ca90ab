/* The emulator's packets: AF_PACKET sockets with a virtio-net header, so that packets whose
 * checksum the sender left to offload (veth does) keep that state on the way out, and batched
 * reads and writes. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emu.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define VNET_LEN	sizeof(struct virtio_net_hdr)

int
io_open(const char *ifname)
{
	struct sockaddr_ll sll;
	int fd, one = 1, buf = 8 << 20;
	unsigned idx;

	if ((idx = if_nametoindex(ifname)) == 0)
		return -1;
	/* Protocol 0: nothing arrives before bind() picks the interface and ETH_P_ALL. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	/* Not our own sends, a header that tells about checksums and GSO, big buffers. */
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) == -1 ||
	    setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) == -1 ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)idx;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

struct pkt *
io_alloc(struct emu *e)
{
	struct pkt *p = e->free;

	if (p != NULL) {
		e->free = p->next;
		return p;
	}
	return malloc(sizeof(*p) + e->slot);
}

void
io_release(struct emu *e, struct pkt *p)
{
	p->next = e->free;
	e->free = p;
}

static void
admit(struct emu *e, int d, struct pkt *p, uint64_t now)
{
	struct emu_dir *dir = &e->dir[d];
	const struct virtio_net_hdr *vh = (const void *)p->data;
	uint64_t when[2];
	uint32_t iplen;
	int n;

	if (p->len < VNET_LEN + ETH_HLEN) {
		io_release(e, p);
		return;
	}
	iplen = p->len - (uint32_t)(VNET_LEN + ETH_HLEN);
	/* A GSO frame is many packets in one: the lab turns GSO off on the links' veths
	 * (gso_max_segs 1), so count one that still comes as too big. */
	if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE && iplen <= dir->m.p.mtu)
		iplen = dir->m.p.mtu + 1;
	/* Destination MAC with the group bit: link-local control (emu_model.h). */
	if (p->data[VNET_LEN] & 1)
		n = model_admit_control(&dir->m, now, iplen, when);
	else
		n = model_admit(&dir->m, now, iplen, when);
	if (n == 0) {
		io_release(e, p);
		return;
	}
	if (n == 2) {
		struct pkt *c = io_alloc(e);
		if (c == NULL) {
			dir->m.st.other++;
		} else {
			memcpy(c->data, p->data, p->len);
			c->len = p->len;
			c->when = when[1];
			c->seq = e->seq + 1;
			if (dir->q.n >= EMU_INFLIGHT || heap_push(&dir->q, c) == -1) {
				dir->m.st.other++;
				io_release(e, c);
			}
		}
	}
	p->when = when[0];
	p->seq = e->seq;
	e->seq += 2;
	if (dir->q.n >= EMU_INFLIGHT || heap_push(&dir->q, p) == -1) {
		dir->m.st.other++;
		io_release(e, p);
	}
}

int
io_receive(struct emu *e, int d, uint64_t now)
{
	struct mmsghdr msg[EMU_BATCH];
	struct iovec iov[EMU_BATCH];
	struct pkt *p[EMU_BATCH];
	int fd = e->dir[d].in, n, i, rounds;

	for (rounds = 0; rounds < 4; rounds++) {
		for (i = 0; i < EMU_BATCH; i++) {
			if ((p[i] = io_alloc(e)) == NULL)
				break;
			iov[i].iov_base = p[i]->data;
			iov[i].iov_len = e->slot;
			memset(&msg[i], 0, sizeof(msg[i]));
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
		}
		if (i == 0)
			return 0;
		n = recvmmsg(fd, msg, (unsigned)i, MSG_TRUNC, NULL);
		for (int j = n < 0 ? 0 : n; j < i; j++)
			io_release(e, p[j]);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			if (errno == ENODEV || errno == ENXIO || errno == ENETDOWN)
				return -1;
			return 0;
		}
		for (int j = 0; j < n; j++) {
			if (msg[j].msg_hdr.msg_flags & MSG_TRUNC || msg[j].msg_len > e->slot) {
				/* Larger than any packet the link carries. */
				e->dir[d].m.st.rx_pkts++;
				e->dir[d].m.st.oversize++;
				io_release(e, p[j]);
				continue;
			}
			p[j]->len = msg[j].msg_len;
			admit(e, d, p[j], now);
		}
		if (n < i)
			return 0;
	}
	return 0;
}

void
io_send_due(struct emu *e, int d, uint64_t now)
{
	struct emu_dir *dir = &e->dir[d];
	struct mmsghdr msg[EMU_BATCH];
	struct iovec iov[EMU_BATCH];
	struct pkt *p[EMU_BATCH];
	int n, i, sent;

	for (;;) {
		for (n = 0; n < EMU_BATCH; n++) {
			struct pkt *t = heap_top(&dir->q);
			if (t == NULL || t->when > now)
				break;
			p[n] = heap_pop(&dir->q);
			iov[n].iov_base = p[n]->data;
			iov[n].iov_len = p[n]->len;
			memset(&msg[n], 0, sizeof(msg[n]));
			msg[n].msg_hdr.msg_iov = &iov[n];
			msg[n].msg_hdr.msg_iovlen = 1;
		}
		if (n == 0)
			return;
		for (i = 0; i < n; i += sent) {
			sent = sendmmsg(dir->out, msg + i, (unsigned)(n - i), 0);
			if (sent <= 0) {
				/* The message at i failed (peer backlog full, interface
				 * down): drop it and go on with the rest. */
				dir->m.st.other++;
				io_release(e, p[i]);
				sent = 1;
				continue;
			}
			for (int j = i; j < i + sent; j++) {
				dir->m.st.tx_pkts++;
				dir->m.st.tx_bytes += p[j]->len - (VNET_LEN + ETH_HLEN);
				io_release(e, p[j]);
			}
		}
		if (n < EMU_BATCH)
			return;
	}
}

void
io_sockdrops(struct emu *e, int d)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	/* The kernel resets these counters at each read. */
	if (getsockopt(e->dir[d].in, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
		e->dir[d].m.st.sockdrop += st.tp_drops;
		e->dir[d].m.st.rx_pkts += st.tp_drops;
	}
}

void
io_flush(struct emu *e, int d)
{
	struct pkt *p;

	while ((p = heap_pop(&e->dir[d].q)) != NULL) {
		e->dir[d].m.st.cut++;
		io_release(e, p);
	}
}
