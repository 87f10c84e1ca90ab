check_store_SRCS := supervisor/store_sqlite.c supervisor/store_sqlite_client.c \
	supervisor/validate.c shared/ipc/ipc.c shared/util/keyfile.c build/gen/schema_sql.c
