/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * it_syslogd.c: a syslog listener for the integration tests.
 *
 * usage: it_syslogd SOCKET OUTFILE
 *
 * Binds an AF_UNIX datagram socket at SOCKET (as syslogd binds /dev/log),
 * then appends each datagram it receives to OUTFILE as one line, exactly
 * as received ("<PRI>TIMESTAMP TAG: MESSAGE").  Runs until killed.  The
 * socket exists once the listener is ready.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[8192];
	FILE *out;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: it_syslogd SOCKET OUTFILE\n");
		return 2;
	}
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	out = fopen(argv[2], "a");
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (!out || fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "it_syslogd: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 1;
		while (n > 0 && buf[n - 1] == '\n')
			n--;
		buf[n] = '\0';
		fprintf(out, "%s\n", buf);
		fflush(out);
	}
}
