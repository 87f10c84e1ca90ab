check_units_SRCS := shared/util/units.c
