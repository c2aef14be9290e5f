// SPDX-License-Identifier: GPL-2.0
/*
 * ldm_hold: keep a domain busy for ldm_module.sh.
 *
 *   ldm_hold NAME          map the whole domain, close the fd, write a
 *                          marker into page 0, print "ready", wait for
 *                          stdin to close, check the marker, exit
 *   ldm_hold -o NAME       only keep the node open (no mapping)
 *
 * Exit status 0 when the domain stayed usable the whole time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define MARKER 0x6c646d686f6c6421ULL	/* "ldmhold!" */

int main(int argc, char **argv)
{
	int open_only = argc == 3 && !strcmp(argv[1], "-o");
	const char *name = argv[argc - 1];
	volatile uint64_t *map = NULL;
	char path[256], buf[64];
	off_t size = 0;
	int fd;

	if (argc != 2 && !open_only) {
		fprintf(stderr, "usage: ldm_hold [-o] NAME\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/dev/ldm/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ldm_hold: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!open_only) {
		size = lseek(fd, 0, SEEK_END);
		if (size <= 0) {
			fprintf(stderr, "ldm_hold: lseek: %s\n", strerror(errno));
			return 1;
		}
		map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			   0);
		if (map == MAP_FAILED) {
			fprintf(stderr, "ldm_hold: mmap: %s\n", strerror(errno));
			return 1;
		}
		/* the mapping alone must keep the domain alive */
		close(fd);
		map[0] = MARKER;
	}
	printf("ready\n");
	fflush(stdout);
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	if (map && map[0] != MARKER) {
		fprintf(stderr, "ldm_hold: marker lost: %#llx\n",
			(unsigned long long)map[0]);
		return 1;
	}
	return 0;
}
