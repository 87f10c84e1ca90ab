fuzz_ipc_SRCS := shared/ipc/ipc.c
