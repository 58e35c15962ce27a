// SPDX-License-Identifier: GPL-2.0-only
/* Reads the nested host's argument file (see arg-file.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "arg-file.h"

int read_arg_file(const char *path, const char *prog, char *buf, size_t len, char **argv, int max_args,
		  char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n = 0;
	char extra;

	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (got < len && (n = read(fd, buf + got, len - got)) > 0)
		got += (size_t)n;
	/* a full buffer may be all of the file or the start of a longer one */
	if (n >= 0 && got == len)
		n = read(fd, &extra, 1);
	close(fd);
	if (n < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (got == len && n > 0) {
		snprintf(why, whylen, "%s is larger than %zu bytes", path, len);
		return -1;
	}
	if (got == 0) {
		snprintf(why, whylen, "%s is empty", path);
		return -1;
	}
	if (buf[got - 1] != 0) {
		snprintf(why, whylen, "%s does not end with a NUL byte", path);
		return -1;
	}
	int args = 0;
	for (size_t at = 0; at < got; at++)
		args += buf[at] == 0;
	/* prog, the arguments and the closing NULL */
	if (args + 2 > max_args) {
		snprintf(why, whylen, "%s holds %d arguments, more than the %d that fit", path, args, max_args - 2);
		return -1;
	}
	int argc = 0;
	argv[argc++] = (char *)prog;
	for (size_t at = 0; at < got; at += strlen(buf + at) + 1)
		argv[argc++] = buf + at;
	argv[argc] = NULL;
	return argc;
}
