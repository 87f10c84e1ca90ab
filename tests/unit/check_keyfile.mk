check_keyfile_SRCS := shared/util/keyfile.c
