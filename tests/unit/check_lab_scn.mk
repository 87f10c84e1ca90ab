check_lab_scn_SRCS := netns-lab/src/lab_units.c netns-lab/src/lab_link.c shared/util/units.c \
                      netns-lab/src/scn.c netns-lab/src/scn_plan.c
