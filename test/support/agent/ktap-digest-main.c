// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test driver for the agent's KTAP digest, built for the test host:
 * ktap-digest FILE reads FILE as the kernel's log (syslog READ_ALL text)
 * and prints "results crc start_seen".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"

/* report_ktap, linked in beside ktap_digest, prints through emit: not used here */
void emit(const char *kind, const char *fmt, ...)
{
	(void)kind;
	(void)fmt;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	FILE *f = fopen(argv[1], "rb");
	if (!f)
		return 2;
	static char log[1 << 22];
	size_t n = fread(log, 1, sizeof(log) - 1, f);
	fclose(f);
	log[n] = 0;
	struct ktap_digest d;
	ktap_digest(log, &d);
	printf("%u %08x %d\n", d.results, d.crc, d.start_seen);
	return 0;
}
