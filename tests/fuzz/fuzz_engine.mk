fuzz_engine_SRCS := shared/proto/engine.c shared/proto/engine_core.c shared/proto/engine_ctl.c shared/proto/engine_keys.c \
	shared/proto/engine_mtu.c shared/proto/engine_path.c shared/proto/engine_rate.c \
	shared/proto/wire.c shared/proto/addr.c shared/proto/replay.c shared/proto/reseq.c \
	shared/proto/sched.c shared/crypto/aead.c shared/crypto/aegis256.c shared/crypto/keyx.c
