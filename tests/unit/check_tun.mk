check_tun_SRCS := worker/tun.c
