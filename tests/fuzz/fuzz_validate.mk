fuzz_validate_SRCS := supervisor/validate.c shared/ipc/ipc.c shared/util/keyfile.c
