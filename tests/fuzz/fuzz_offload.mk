fuzz_offload_SRCS := worker/offload.c worker/csum.c
