// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test driver for the nested host's argument reader, built for the test
 * host: read-arg-file FILE BUFFER_BYTES MAX_ARGS prints each entry of
 * argv in hex, one a line, or "error: <why>" and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arg-file.h"

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: read-arg-file FILE BUFFER_BYTES MAX_ARGS\n");
		return 2;
	}
	size_t len = strtoul(argv[2], NULL, 10);
	int max_args = atoi(argv[3]);
	char *buf = malloc(len ? len : 1);
	char **out = calloc((size_t)max_args, sizeof(char *));
	char why[256];
	int n = read_arg_file(argv[1], "/kvmatrix/lkvm", buf, len, out, max_args, why, sizeof(why));

	if (n < 0) {
		printf("error: %s\n", why);
		return 1;
	}
	for (int i = 0; i <= n; i++) {
		if (!out[i]) {
			printf("NULL\n");
			continue;
		}
		for (const unsigned char *p = (const unsigned char *)out[i]; *p; p++)
			printf("%02x", *p);
		printf("\n");
	}
	return 0;
}
