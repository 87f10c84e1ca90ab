/* The virtio-net header that a TUN opened with IFF_VNET_HDR puts before every packet, and the
 * limits of the offloaded (GSO) packets it describes: one definition for the TUN set-up, the
 * worker's frame I/O and its offload code. */
#ifndef GT_SYS_VNET_H
#define GT_SYS_VNET_H

#include <linux/virtio_net.h>

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* USO; uapi headers before 5.18 lack it */
#endif

#define VNET_HDR_LEN sizeof(struct virtio_net_hdr) /* 10: the legacy header, no num_buffers */
#define VNET_PKT_MAX 65535                         /* one IP packet, a TSO/USO one included */

#endif
