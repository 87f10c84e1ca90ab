check_tun_SRCS := worker/tun.c shared/sys/tundev.c shared/sys/netif.c
