check_cmdline_SRCS := worker/cmdline.c shared/util/units.c shared/proto/addr.c
