#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *log_ident = "gt";
static int log_stderr = 1;
static enum log_level log_level = LOG_LEVEL_INFO;

void
log_init(const char *ident, int to_stderr, enum log_level level)
{
	log_ident = ident ? ident : "gt";
	log_stderr = to_stderr;
	log_level = level;
	if (!to_stderr)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

/* One line per call; with err != 0 the message ends with ": strerror(err)". */
__attribute__((format(printf, 3, 0))) static void
vlog(int prio, int err, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_stderr) {
		if (err)
			fprintf(stderr, "%s: %s: %s\n", log_ident, msg, strerror(err));
		else
			fprintf(stderr, "%s: %s\n", log_ident, msg);
		fflush(stderr);
	} else if (err) {
		syslog(prio, "%s: %s", msg, strerror(err));
	} else {
		syslog(prio, "%s", msg);
	}
}

void
log_warn(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, err, fmt, ap);
	va_end(ap);
	errno = err;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, err, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
