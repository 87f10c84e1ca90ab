check_replay_SRCS := shared/proto/replay.c
