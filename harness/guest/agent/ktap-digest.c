// SPDX-License-Identifier: GPL-2.0-only
/*
 * The KTAP the kernel printed before this agent started (KUnit's results),
 * vouched for: the agent reads the kernel's own log and signs the count
 * and a crc32 of every result line in it ("ok N ..." or "not ok N ...",
 * the message without its printk prefix, trimmed). The harness computes
 * the same over the console, so a console cut in the middle of the
 * results, one that lost or gained a result line, or KTAP from another
 * boot under this boot's records, does not match.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>

#include "agent.h"

#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_SIZE_BUFFER 10

/* The message of one log line: "<6>[    1.234567][    T1] text" -> "text", trimmed. */
static const char *message_of(char *line, size_t *len)
{
	char *p = line, *end = line + strlen(line);

	if (*p == '<') {
		char *close = strchr(p, '>');
		if (close)
			p = close + 1;
	}
	/* the timestamp, then the caller id of PRINTK_CALLER, each "[...]" */
	for (int brackets = 0; brackets < 2 && *p == '['; brackets++) {
		char *close = strchr(p, ']');
		if (!close)
			break;
		p = close + 1;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*len = (size_t)(end - p);
	return p;
}

static int is_result(const char *msg, size_t len)
{
	const char *p = msg;

	if (len >= 7 && strncmp(p, "not ok ", 7) == 0)
		p += 7;
	else if (len >= 3 && strncmp(p, "ok ", 3) == 0)
		p += 3;
	else
		return 0;
	return p < msg + len && *p >= '0' && *p <= '9';
}

void ktap_digest(char *log, struct ktap_digest *d)
{
	unsigned lines = 0;

	d->results = 0;
	d->crc = 0;
	d->start_seen = 0;
	for (char *line = log, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		size_t len;
		const char *msg = message_of(line, &len);
		/* the log still holds the kernel's first lines: nothing fell out of it */
		if (lines++ < 5 && strstr(msg, "Linux version "))
			d->start_seen = 1;
		if (!is_result(msg, len))
			continue;
		d->results++;
		d->crc = crc32_update(d->crc, msg, len);
		d->crc = crc32_update(d->crc, "\n", 1);
	}
}

void report_ktap(void)
{
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	char *log = size > 0 ? malloc((size_t)size + 1) : NULL;
	int got = log ? klogctl(SYSLOG_ACTION_READ_ALL, log, size) : -1;
	struct ktap_digest d;

	if (got < 0) {
		emit("ktap", "results=0 crc=00000000 lost=1");
		free(log);
		return;
	}
	log[got] = 0;
	ktap_digest(log, &d);
	emit("ktap", "results=%u crc=%08x lost=%d", d.results, d.crc, !d.start_seen);
	free(log);
}
