check_suplink_SRCS := worker/supervisor_link.c $(wildcard shared/ipc/*.c) \
	$(wildcard shared/proto/*.c) $(wildcard shared/crypto/*.c) shared/util/log.c
