check_outq_SRCS := shared/ipc/ipc.c shared/ipc/outq.c
