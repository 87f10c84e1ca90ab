fuzz_aead_SRCS := shared/crypto/aead.c shared/crypto/aegis256.c
