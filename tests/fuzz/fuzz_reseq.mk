fuzz_reseq_SRCS := shared/proto/reseq.c shared/proto/replay.c
