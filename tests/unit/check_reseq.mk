check_reseq_SRCS := shared/proto/reseq.c
