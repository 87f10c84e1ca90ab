# gt: multipath UDP tunnel concentrator (Glorytun 0.3 / mud protocol).
#
#   make            build bin/gt-worker, bin/gt-supervisor, bin/gtctl (those whose sources exist)
#   make SAN=1      the same with ASan+UBSan (objects in build/san)
#   make test       install missing packages, then unit tests (ASan+UBSan), fuzz corpus replay,
#                   integration tests; ends with "N passed, N failed"
#   make fuzz       run every libFuzzer target for FUZZ_SECONDS each (default 60)
#   make deps       install what is missing from Debian's archive
#   make install PREFIX=/usr/local
#
# Quiet unless V=1.

.SUFFIXES:
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DESTDIR ?=
CC      ?= cc
FUZZCC  ?= clang
V       ?= 0
SAN     ?=
FUZZ_SECONDS ?= 60

ifeq ($(V),0)
Q   := @
say  = @printf '  %-6s %s\n' '$(1)' '$(2)';
else
Q   :=
say  =
endif

BUILD := build/$(if $(SAN),san,rel)

PKGS     := libsodium libnl-3.0 libnl-route-3.0 sqlite3 libseccomp check jansson
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -MMD -MP -Ishared -Itests/unit $(PKG_CFLAGS) $(if $(SAN),$(SANFLAGS))
ALL_LDFLAGS = $(LDFLAGS) -Wl,--as-needed $(if $(SAN),$(SANFLAGS))

# Modules of shared/: each a static set of objects that programs and tests link by name.
UTIL_SRC   := $(wildcard shared/util/*.c)
CRYPTO_SRC := $(wildcard shared/crypto/*.c)
PROTO_SRC  := $(wildcard shared/proto/*.c)
IPC_SRC    := $(wildcard shared/ipc/*.c)
SYS_SRC    := $(wildcard shared/sys/*.c)
SHARED_SRC := $(UTIL_SRC) $(CRYPTO_SRC) $(PROTO_SRC) $(IPC_SRC) $(SYS_SRC)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# Programs: each is built once its folder has its main.c.
PROG_worker     := gt-worker
PROG_supervisor := gt-supervisor
PROG_ctl        := gtctl
PROGS := $(foreach d,worker supervisor ctl,$(if $(wildcard $(d)/main.c),bin/$(PROG_$(d))))

all: $(PROGS)

bin/gt-worker: $(call obj,$(wildcard worker/*.c) $(SHARED_SRC))
bin/gt-supervisor: $(call obj,$(wildcard supervisor/*.c) $(SHARED_SRC))
bin/gtctl: $(call obj,$(wildcard ctl/*.c) $(UTIL_SRC) $(IPC_SRC))

# bin/ holds one flavor at a time: switching between `make` and `make SAN=1` relinks.
FLAVOR := $(if $(SAN),san,rel)
bin/.flavor: FORCE
	@mkdir -p $(@D)
	@[ "$$(cat $@ 2>/dev/null)" = "$(FLAVOR)" ] || echo "$(FLAVOR)" > $@

bin/%: bin/.flavor
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) -o $@ $(filter-out bin/.flavor,$^) $(ALL_LDFLAGS) $(PKG_LIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Unit tests: tests/unit/check_NAME.c is one Check suite. tests/unit/check_NAME.mk sets
# check_NAME_SRCS, the project sources it tests: the suite links those and nothing else.
UNIT_MK    := $(wildcard tests/unit/check_*.mk)
include $(UNIT_MK)
UNIT_NAMES := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/check_*.c))
UNIT_BINS  := $(addprefix $(BUILD)/tests/,$(UNIT_NAMES))

define unit_rule
$(BUILD)/tests/$(1): $(call obj,tests/unit/$(1).c $(wildcard tests/unit/support/*.c) $($(1)_SRCS))
	@mkdir -p $$(@D)
	$$(call say,LD,$$@)$$(CC) -o $$@ $$^ $$(ALL_LDFLAGS) $$(PKG_LIBS)
endef
$(foreach n,$(UNIT_NAMES),$(eval $(call unit_rule,$(n))))

unit-bins: $(UNIT_BINS)

# The store's schema.sql, embedded in gt-supervisor as the string store_schema_sql (od and sed:
# xxd is not always installed). Suites that open a store link build/gen/schema_sql.c too.
build/gen/schema_sql.c: schema.sql
	@mkdir -p $(@D)
	$(call say,GEN,$@){ echo '/* Generated from schema.sql by the Makefile: do not edit. */'; \
		echo 'extern const char store_schema_sql[];'; \
		echo 'const char store_schema_sql[] = {'; \
		od -An -v -tx1 schema.sql | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
		echo '0x00 };'; } > $@
bin/gt-supervisor: $(call obj,build/gen/schema_sql.c)

# Fuzz targets: tests/fuzz/fuzz_NAME.c with tests/fuzz/fuzz_NAME.mk setting fuzz_NAME_SRCS;
# corpus in tests/fuzz/corpus/NAME/. Built with clang's libFuzzer, ASan and UBSan.
FUZZ_MK    := $(wildcard tests/fuzz/fuzz_*.mk)
include $(FUZZ_MK)
FUZZ_NAMES := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(addprefix build/fuzz/,$(FUZZ_NAMES))
FUZZ_CFLAGS = -std=gnu11 -g -O1 -Wall -Wextra -Werror -Ishared $(PKG_CFLAGS) \
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

define fuzz_rule
build/fuzz/$(1): tests/fuzz/$(1).c $($(1)_SRCS)
	@mkdir -p $$(@D)
	$$(call say,FUZZ,$$@)$$(FUZZCC) $$(FUZZ_CFLAGS) -o $$@ $$^ $$(PKG_LIBS)
endef
$(foreach n,$(FUZZ_NAMES),$(eval $(call fuzz_rule,$(n))))

fuzz-bins: $(FUZZ_BINS)

deps:
	$(Q)sh scripts/deps.sh

# `make test` installs what is missing first, then re-reads this Makefile (pkg-config now works).
test: deps
	$(Q)$(MAKE) --no-print-directory SAN=1 unit-bins
	$(Q)$(MAKE) --no-print-directory fuzz-bins all lab-bins tools
	$(Q)sh tests/run.sh --unit "$(addprefix build/san/tests/,$(UNIT_NAMES))" \
		--fuzz "$(FUZZ_BINS)" --integration "$(wildcard tests/integration/*.sh)"

# Interoperation with stock Glorytun builds given by GLORYTUN / GLORYTUN_MASTER (not in make test:
# it needs peers built by hand). Says so when it did not run.
test-interop: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)GLORYTUN="$(GLORYTUN)" GLORYTUN_MASTER="$(GLORYTUN_MASTER)" sh tests/interop/run.sh

# Benchmarks against stock glorytun 0.3.4 given by GLORYTUN (bench/README.md; not in make test:
# root, a quiet machine, about 45 minutes). Without GLORYTUN they bench ours alone and say so.
bench: deps
	$(Q)$(MAKE) --no-print-directory all lab-bins tools
	$(Q)GLORYTUN="$(GLORYTUN)" bash bench/run-all.sh
.PHONY: bench

fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-bins
	$(Q)for f in $(FUZZ_BINS); do \
		n=$${f##*/fuzz_}; mkdir -p build/fuzz/corpus/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			build/fuzz/corpus/$$n tests/fuzz/corpus/$$n || exit 1; \
	done

# The demo (root): a concentrator and a site over three emulated links in the netns lab, links
# cut and restored under traffic, a live view, a summary and plots in build/demo (docs/demo.md).
demo: deps
	$(Q)$(MAKE) --no-print-directory all lab-bins tools
	$(Q)bash netns-lab/demo/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)/

clean:
	rm -rf build bin

.PHONY: FORCE all deps demo test test-interop fuzz unit-bins fuzz-bins install clean

-include $(shell find build -name '*.d' 2>/dev/null)

# The lab's own programs (link emulator ...) come from netns-lab/lab.mk when it exists; it adds
# to LAB_BINS, which `make test` builds.
LAB_BINS :=
-include netns-lab/lab.mk
lab-bins: $(LAB_BINS)
.PHONY: lab-bins
-include $(wildcard bench/*.mk)

# Test tools: each tests/tools/NAME.c is a program of its own, build/tools/NAME.
TOOLS := $(patsubst tests/tools/%.c,build/tools/%,$(wildcard tests/tools/*.c))
build/tools/%: tests/tools/%.c tests/tools/toollib.h
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) -std=gnu11 $(WARN) -O2 -o $@ $<
tools: $(TOOLS)
.PHONY: tools
