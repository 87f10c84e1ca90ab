check_udp_SRCS := worker/udp.c worker/tun.c shared/proto/addr.c
