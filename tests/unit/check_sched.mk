check_sched_SRCS := shared/proto/sched.c
