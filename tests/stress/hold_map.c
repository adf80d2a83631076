/* SPDX-License-Identifier: BSD-3-Clause */
/* hold_map.c: map a region, then keep using the mapping while things happen. */

/*
 * hold_map FILE: maps FILE shared, stores "before" at the data offset
 * (8192), prints "mapped", then for each line on stdin "store TEXT" stores
 * TEXT at 8192 and reads it back through the mapping, printing "ok" or
 * "bad".  Exits on EOF.  A SIGBUS kills it, which the test sees.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[256], *m;
	int fd = argc == 2 ? open(argv[1], O_RDWR) : -1;

	if (fd < 0)
		return perror("open"), 2;
	m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return perror("mmap"), 2;
	close(fd);
	strcpy(m + 8192, "before");
	printf("mapped\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "store ", 6))
			continue;
		strcpy(m + 8192, line + 6);
		printf("%s\n", strcmp(m + 8192, line + 6) ? "bad" : "ok");
		fflush(stdout);
	}
	return 0;
}
