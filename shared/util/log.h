/* Logging for the daemons (supervisor, worker): stderr in the foreground, syslog otherwise.
 * log_warn and fatal append strerror(errno); the *x forms do not. fatal* exit with status 1. */
#ifndef GT_UTIL_LOG_H
#define GT_UTIL_LOG_H

#include <stdarg.h>
#include <stdnoreturn.h>

enum log_level { LOG_LEVEL_WARN = 0, LOG_LEVEL_INFO = 1, LOG_LEVEL_DEBUG = 2 };

/* ident names the process in every line; to_stderr = 0 sends to syslog (LOG_DAEMON). */
void log_init(const char *ident, int to_stderr, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
