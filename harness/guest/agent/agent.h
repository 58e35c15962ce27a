/* SPDX-License-Identifier: GPL-2.0-only */
/* What the parts of kvmatrix-agent share: records, encoding, small helpers. */
#ifndef KVMATRIX_AGENT_H
#define KVMATRIX_AGENT_H

#include <stddef.h>
#include <stdint.h>

/* Prints one checksummed record line: KVMATRIX/1 <seq> <kind> <fields> #<crc>. */
void emit(const char *kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Percent-encodes s into out so that it holds no space, '#', '=' or control. */
const char *enc(const char *s, char *out, size_t outlen);
/* crc32 (IEEE) of p[0..n) continuing from crc (0 to start). */
uint32_t crc32_update(uint32_t crc, const char *p, size_t n);
int read_text(const char *path, char *buf, size_t len);
/* read_text of <dir>/<name>. */
int read_in(const char *dir, const char *name, char *buf, size_t len);
double uptime_seconds(void);
void sleep_ms(long ms);

/*
 * Nested kvmtool host: reports /dev/kvm, runs lkvm with the arguments in
 * NESTED_ARGS_FILE, relays its output with the prefixes below, and reports
 * how lkvm ended. The harness splits the console on these prefixes, so a
 * guest line is never mistaken for the host's and the reverse.
 */
#define NESTED_LKVM "/kvmatrix/lkvm"
#define NESTED_ARGS_FILE "/kvmatrix/cell/lkvm.args"
#define GUEST_LINE_PREFIX "guest| "
#define LKVM_LINE_PREFIX "lkvm| "

void run_nested_host(unsigned guest_timeout_s);

/* The KTAP result lines of a kernel log (syslog's READ_ALL text), counted and checksummed. */
struct ktap_digest {
	unsigned results;
	uint32_t crc;
	/* the log still holds the kernel's first lines */
	int start_seen;
};
void ktap_digest(char *log, struct ktap_digest *d);
/* Reads the kernel's log and signs the KTAP result lines in it (ktap-digest.c). */
void report_ktap(void);

/* The boot's own archive: the nonce, when commands run (the command line is theirs to read). */
#define KEY_FILE "/kvmatrix/key"
/* Runs the commands of /kvmatrix/commands, framing their output (commands.c). */
void run_commands(void);

#endif
