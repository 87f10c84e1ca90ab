check_log_SRCS := shared/util/log.c
