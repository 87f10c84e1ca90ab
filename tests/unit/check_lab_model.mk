check_lab_model_SRCS := netns-lab/src/emu_model.c netns-lab/src/emu_rng.c netns-lab/src/emu_heap.c \
                        netns-lab/src/lab_link.c shared/util/units.c netns-lab/src/lab_units.c
