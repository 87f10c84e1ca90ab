# AEAD throughput benchmark (not a test): make build/bench/aead_bench && ./build/bench/aead_bench
AEAD_BENCH_SRCS := bench/aead_bench.c shared/crypto/aead.c shared/crypto/aegis256.c

build/bench/aead_bench: $(call obj,$(AEAD_BENCH_SRCS))
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(PKG_LIBS)

bench-bins: build/bench/aead_bench
.PHONY: bench-bins
