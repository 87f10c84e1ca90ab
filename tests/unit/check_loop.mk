# The worker's loop and what it links, by pattern so that moving the TUN/UDP set-up into shared/
# does not break the list.
check_loop_SRCS := $(filter-out worker/main.c worker/cmd_%.c worker/cmdline.c worker/ctl.c \
	worker/spawned.c worker/sandbox%.c worker/seccomp_filter.c,$(wildcard worker/*.c)) \
	$(filter-out shared/util/main%.c,$(wildcard shared/*/*.c))
