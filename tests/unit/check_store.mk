check_store_SRCS := supervisor/store_sqlite.c supervisor/store_sqlite_client.c \
	supervisor/store_sqlite_row.c supervisor/store_sqlite_alloc.c supervisor/validate.c \
	shared/ipc/ipc.c shared/util/keyfile.c build/gen/schema_sql.c
