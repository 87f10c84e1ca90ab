check_crypto_SRCS := shared/crypto/aead.c shared/crypto/aegis256.c shared/crypto/keyx.c
