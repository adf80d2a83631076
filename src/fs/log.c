/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log.c: where the daemon's log lines go: syslog (ident "hshmfs", facility
 * daemon), standard error or a file (the log= option).
 *
 * Every line goes through fuse_log(): hshmfs' own (HSHMFS_LOG), libfuse's
 * and the backend library's (hctx.log, in main.c).  fuse_set_log_func()
 * installs the sink below for all of them.  Its callback takes no user
 * pointer, so the sink is the one piece of process-wide state of the
 * daemon: set once by hshmfs_log_open() before any thread starts, read by
 * every thread, torn down by hshmfs_log_close() after the last one ended.
 *
 * syslog is spoken directly (RFC 3164 datagrams on an AF_UNIX socket,
 * /dev/log unless log=syslog:PATH names another), not through syslog(3),
 * so that a test can point the daemon at a private listener.  A datagram
 * that cannot be delivered (no syslog daemon yet) is retried once after a
 * reconnect, then dropped; one that would block (syslogd behind) is
 * dropped: logging never blocks or fails a request.
 *
 * Until the daemon detaches from its terminal (hshmfs_log_detached()),
 * warnings and errors are also shown on standard error, so that whoever
 * ran mount sees why a mount failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fs_i.h"

#define LOG_LINE_MAX 1024
#define SYSLOG_FACILITY_DAEMON (3 << 3)
#define SEND_FLAGS (MSG_NOSIGNAL | MSG_DONTWAIT) /* never block a request */

struct log_sink {
	enum hshmfs_log_to to;
	int fd;                      /* syslog socket or log file; -1 none */
	char path[PATH_MAX];         /* the syslog socket or the log file */
	bool echo;                   /* also warnings and errors on stderr */
	bool warned;                 /* said the syslog socket is unreachable */
	pthread_mutex_t lock;        /* reconnects of the syslog socket */
};

/* The exception to "no globals": fuse_log_func_t has no user pointer. */
static struct log_sink sink = {
	.to = HSHMFS_LOG_STDERR, .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER,
};

int hshmfs_log_parse(const char *s, enum hshmfs_log_to *to, char *path,
		     size_t len)
{
	const char *p = NULL;

	if (!strcmp(s, "stderr")) {
		*to = HSHMFS_LOG_STDERR;
	} else if (!strcmp(s, "syslog")) {
		*to = HSHMFS_LOG_SYSLOG;
		p = HSHMFS_SYSLOG_PATH;
	} else if (!strncmp(s, "syslog:", 7) && s[7] == '/') {
		*to = HSHMFS_LOG_SYSLOG;
		p = s + 7;
		if (strlen(p) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return -ENAMETOOLONG;
	} else if (s[0] == '/') {
		*to = HSHMFS_LOG_FILE;
		p = s;
	} else {
		return -EINVAL;
	}
	if (p && strlen(p) >= len)
		return -ENAMETOOLONG;
	snprintf(path, len, "%s", p ? p : "");
	return 0;
}

static int syslog_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (strlen(sink.path) >= sizeof(sa.sun_path)) {
		close(fd);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, sink.path, strlen(sink.path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int syslog_level(enum fuse_log_level level)
{
	return level > FUSE_LOG_DEBUG ? FUSE_LOG_DEBUG : (int)level;
}

/* One datagram: "<PRI>Mmm dd hh:mm:ss hshmfs[PID]: MSG" (RFC 3164). */
static void syslog_send(enum fuse_log_level level, const char *msg)
{
	char buf[LOG_LINE_MAX + 64], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int n, err;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	n = snprintf(buf, sizeof(buf), "<%d>%s hshmfs[%d]: %s",
		     SYSLOG_FACILITY_DAEMON | syslog_level(level), stamp,
		     (int)getpid(), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	pthread_mutex_lock(&sink.lock);
	err = sink.fd < 0 ? ENOTCONN
	      : send(sink.fd, buf, (size_t)n, SEND_FLAGS) < 0 ? errno : 0;
	/* EAGAIN: syslogd is behind; the line is dropped rather than waited on */
	if (err && err != EAGAIN) {
		if (sink.fd >= 0)
			close(sink.fd);
		sink.fd = syslog_connect();
		if (sink.fd >= 0)
			(void)send(sink.fd, buf, (size_t)n, SEND_FLAGS);
		else if (!sink.warned && sink.echo)
			fprintf(stderr, "hshmfs: syslog socket %s: %s (lines "
				"are dropped until it can be reached)\n",
				sink.path, strerror(-sink.fd));
		sink.warned = sink.warned || sink.fd < 0;
	}
	pthread_mutex_unlock(&sink.lock);
}

/* One write(2) per line: O_APPEND keeps lines of several threads whole. */
static void line_write(int fd, const char *msg, bool stamp)
{
	char buf[LOG_LINE_MAX + 96];
	struct timespec ts;
	struct tm tm;
	size_t n = 0;

	if (stamp) {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ ", &tm);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "[%d] ",
				      (int)getpid());
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\n", msg);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	(void)!write(fd, buf, n);
}

/*
 * libfuse writes some lines in pieces (several fuse_log calls, the last
 * ending in '\n'): each thread assembles its line here, so that a piece
 * never becomes a syslog message of its own.
 */
static __thread char pending[LOG_LINE_MAX];
static __thread size_t pending_len;

__attribute__((format(printf, 2, 0)))
static void sink_log(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char *msg = pending;
	const char *body = msg;
	size_t n;
	int w;

	w = vsnprintf(pending + pending_len, sizeof(pending) - pending_len,
		      fmt, ap);
	if (w < 0)
		return;
	pending_len += (size_t)w;
	if (pending_len >= sizeof(pending))
		pending_len = sizeof(pending) - 1;
	n = pending_len;
	if (n && msg[n - 1] != '\n' && n < sizeof(pending) - 1)
		return; /* the rest of the line is still to come */
	pending_len = 0;
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	msg[n] = '\0';
	if (sink.to == HSHMFS_LOG_STDERR || (sink.echo && level <= FUSE_LOG_WARNING))
		line_write(STDERR_FILENO, msg, false);
	if (sink.to == HSHMFS_LOG_STDERR)
		return;
	if (sink.to == HSHMFS_LOG_FILE) {
		line_write(sink.fd, msg, true);
		return;
	}
	if (!strncmp(body, "hshmfs: ", 8))
		body += 8; /* the syslog tag names the program already */
	syslog_send(level, body);
}

int hshmfs_log_open(const struct hshmfs_config *cfg, bool foreground)
{
	sink.to = cfg->log_to;
	if (sink.to == HSHMFS_LOG_AUTO)
		sink.to = foreground ? HSHMFS_LOG_STDERR : HSHMFS_LOG_SYSLOG;
	snprintf(sink.path, sizeof(sink.path), "%s", cfg->log_to == HSHMFS_LOG_AUTO
		 ? HSHMFS_SYSLOG_PATH : cfg->log_path);
	sink.echo = sink.to != HSHMFS_LOG_STDERR;
	if (sink.to == HSHMFS_LOG_FILE) {
		sink.fd = open(sink.path, O_WRONLY | O_APPEND | O_CREAT |
			       O_CLOEXEC | O_NOFOLLOW, 0640);
		if (sink.fd < 0) {
			int err = -errno;

			fprintf(stderr, "hshmfs: log file %s: %s\n", sink.path,
				strerror(-err));
			sink.to = HSHMFS_LOG_STDERR;
			return err;
		}
	} /* the syslog socket is connected by the first line sent */
	fuse_set_log_func(sink_log);
	return 0;
}

void hshmfs_log_detached(void)
{
	sink.echo = false;
}

void hshmfs_log_close(void)
{
	fuse_set_log_func(NULL);
	if (sink.fd >= 0)
		close(sink.fd);
	sink.fd = -1;
	sink.to = HSHMFS_LOG_STDERR;
}
