// SPDX-License-Identifier: GPL-2.0-only
/*
 * modload: load a kernel module exactly once, the way IGT does.
 *
 *   modload MODULE.ko [param=value ...]
 *
 * One finit_module() with the parameters joined by spaces; no retry.
 * (busybox insmod retries a failed finit_module() with init_module(), so a
 * module whose init fails runs it twice, and a failure planted for one
 * run, e.g. with /proc/self/fail-nth, would pass on the second.)
 * Exit status: 0 if the module loaded, else the errno (1..255) of the
 * failed call, also printed to stderr as "modload: <module>: <error> (N)".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t len = 1;
	char *params;
	int fd, i, err;

	if (argc < 2) {
		fprintf(stderr, "usage: %s MODULE.ko [param=value ...]\n", argv[0]);
		return 2;
	}
	for (i = 2; i < argc; i++)
		len += strlen(argv[i]) + 1;
	params = calloc(1, len);
	if (!params)
		return ENOMEM;
	for (i = 2; i < argc; i++) {
		if (i > 2)
			strcat(params, " ");
		strcat(params, argv[i]);
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		fprintf(stderr, "modload: %s: %s (%d)\n", argv[1], strerror(err), err);
		return err & 0xff ? err & 0xff : 1;
	}
	if (syscall(SYS_finit_module, fd, params, 0) == 0)
		return 0;
	err = errno;
	fprintf(stderr, "modload: %s: %s (%d)\n", argv[1], strerror(err), err);
	return err & 0xff ? err & 0xff : 1;
}
