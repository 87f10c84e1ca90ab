check_sandbox_SRCS := worker/sandbox.c worker/sandbox_landlock.c worker/seccomp_filter.c shared/util/log.c
