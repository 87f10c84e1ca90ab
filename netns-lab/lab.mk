# The lab's programs, included by the top Makefile (`make lab-bins`, and `make test`).
#   build/lab/gt-linkemu   the link emulator (netns-lab/src/emu_*.c)
#   build/lab/gt-labscn    the scenario checker and address planner
# netns-lab/gtlab finds them there (or in $GTLAB_BIN).

LAB_SRC_DIR := netns-lab/src
LAB_COMMON  := $(addprefix $(LAB_SRC_DIR)/,lab_units.c lab_link.c scn.c) shared/util/units.c
LAB_EMU_SRC := $(LAB_COMMON) $(addprefix $(LAB_SRC_DIR)/,emu_main.c emu_io.c emu_ctl.c \
               emu_cmd.c emu_stats.c emu_model.c emu_heap.c emu_rng.c)
LAB_SCN_SRC := $(LAB_COMMON) $(addprefix $(LAB_SRC_DIR)/,scn_plan.c labscn_main.c)

LAB_BINS += build/lab/gt-linkemu build/lab/gt-labscn

build/lab/gt-linkemu: $(call obj,$(LAB_EMU_SRC))
build/lab/gt-labscn: $(call obj,$(LAB_SCN_SRC))

build/lab/%:
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) -o $@ $^ $(ALL_LDFLAGS) $(PKG_LIBS)
