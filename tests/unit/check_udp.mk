check_udp_SRCS := worker/udp.c worker/tun.c shared/sys/udpsock.c shared/sys/tundev.c shared/sys/netif.c \
	shared/proto/addr.c
