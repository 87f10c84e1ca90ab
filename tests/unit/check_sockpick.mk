check_sockpick_SRCS := worker/sockpick.c shared/proto/addr.c
