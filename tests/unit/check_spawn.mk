check_spawn_SRCS := shared/sys/spawn.c shared/sys/tundev.c shared/sys/netif.c shared/sys/udpsock.c \
	shared/ipc/ipc.c shared/proto/addr.c
