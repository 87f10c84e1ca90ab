check_wire_SRCS := shared/proto/wire.c shared/proto/addr.c shared/crypto/aead.c \
	shared/crypto/aegis256.c
