// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace tests: after the probe, the agent runs each command the boot's
 * archive names under /kvmatrix/commands/<NN>/ (files name, program,
 * limits "<timeout seconds> <output cap bytes>", and args, NUL-terminated
 * arguments), one at a time, in a process group of its own with a deadline.
 *
 * A command's output never reaches the console as it is: the agent reads it
 * from a pipe and frames each line as
 *
 *   cmd<index>| <text>      a line (its newline implied)
 *   cmd<index>\ <text>      a piece of a longer line, or the last bytes with no newline
 *
 * where <text> is the bytes with '\', control characters and bytes past
 * 0x7e written as \xNN, and the '/' of "KVMATRIX/" too, so that nothing a
 * command prints can be taken for a record. Past the cap, output is
 * counted and dropped. The cmd-end record holds the total and shown byte
 * counts and a crc32 of the bytes shown: the harness rebuilds them from the
 * framed lines and trusts a command's output only if they agree.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "arg-file.h"

#define COMMANDS_DIR "/kvmatrix/commands"
#define MAX_COMMANDS 64
#define MAX_ARGS 256
#define ARGS_BYTES 65536
#define PIECE 512
/* after the command's own process ends, what it left running gets this long to let go of the pipe */
#define DRAIN_MS 1000

struct output {
	int index;
	unsigned long long bytes, shown, cap;
	uint32_t crc;
	unsigned char piece[PIECE];
	size_t len;
};

static void frame(struct output *o, int complete)
{
	/* each byte at most 4 characters, the prefix, the newline */
	char line[PIECE * 4 + 32];
	int n = snprintf(line, sizeof(line), "cmd%d%c ", o->index, complete ? '|' : '\\');
	for (size_t i = 0; i < o->len; i++) {
		unsigned char c = o->piece[i];
		int record_slash = c == '/' && i >= 8 && memcmp(o->piece + i - 8, "KVMATRIX", 8) == 0;
		if (c == '\\' || (c < ' ' && c != '\t') || c > 0x7e || record_slash)
			n += snprintf(line + n, sizeof(line) - n, "\\x%02x", c);
		else
			line[n++] = (char)c;
	}
	line[n++] = '\n';
	if (write(1, line, (size_t)n) < 0)
		(void)0;
	o->len = 0;
}

static void take(struct output *o, const unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		o->bytes++;
		if (o->shown >= o->cap)
			continue;
		o->shown++;
		o->crc = crc32_update(o->crc, (const char *)buf + i, 1);
		if (buf[i] == '\n') {
			frame(o, 1);
			continue;
		}
		o->piece[o->len++] = buf[i];
		if (o->len == PIECE)
			frame(o, 0);
	}
}

static int read_some(int fd, struct output *o, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned char buf[4096];
	if (poll(&p, 1, wait_ms) <= 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n > 0)
		take(o, buf, (size_t)n);
	return n == 0 ? -1 : 1;
}

static void child(const char *program, char **argv, int out, int exec_err)
{
	setpgid(0, 0);
	int null = open("/dev/null", O_RDONLY);
	dup2(null, 0);
	dup2(out, 1);
	dup2(out, 2);
	if (chdir("/tmp") < 0 && chdir("/") < 0)
		(void)0;
	char *env[] = { "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/root", "TERM=dumb", "LC_ALL=C", NULL };
	signal(SIGPIPE, SIG_DFL);
	if (strchr(program, '/'))
		execve(program, argv, env);
	else
		execvpe(program, argv, env);
	int e = errno;
	if (write(exec_err, &e, sizeof(e)) < 0)
		(void)0;
	_exit(127);
}

static void run_one(int index, const char *dir)
{
	char path[PATH_MAX], name[256] = "", program[PATH_MAX] = "", limits[64] = "", why[300] = "";
	static char args[ARGS_BYTES];
	char *argv[MAX_ARGS];
	char e1[800], e2[800];

	read_in(dir, "name", name, sizeof(name));
	read_in(dir, "program", program, sizeof(program));
	read_in(dir, "limits", limits, sizeof(limits));
	unsigned long timeout_s = 60;
	unsigned long long cap = 1 << 20;
	sscanf(limits, "%lu %llu", &timeout_s, &cap);
	snprintf(path, sizeof(path), "%s/args", dir);
	int argc = 1;
	argv[0] = program;
	argv[1] = NULL;
	if (access(path, F_OK) == 0)
		argc = read_arg_file(path, program, args, sizeof(args), argv, MAX_ARGS, why, sizeof(why));
	emit("cmdbegin", "index=%d name=%s program=%s timeout=%lu cap=%llu uptime=%.3f", index, enc(name, e1, sizeof(e1)),
	     enc(program, e2, sizeof(e2)), timeout_s, cap, uptime_seconds());
	if (!*program || argc < 0) {
		emit("cmdend", "index=%d result=bad-plan detail=%s bytes=0 shown=0 crc=00000000 seconds=0",
		     index, enc(*program ? why : "no program", e1, sizeof(e1)));
		return;
	}

	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		emit("cmdend", "index=%d result=error detail=%s bytes=0 shown=0 crc=00000000 seconds=0", index,
		     enc(strerror(errno), e1, sizeof(e1)));
		return;
	}
	double started = uptime_seconds();
	pid_t pid = fork();
	if (pid == 0)
		child(program, argv, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	if (pid > 0)
		setpgid(pid, pid);

	struct output o = { .index = index, .cap = cap, .crc = 0 };
	const char *result = "exit";
	int code = -1, sig = 0, status = 0, exited = pid < 0;
	double deadline = started + (double)timeout_s, drain_until = 0;
	int exec_errno = 0;
	for (;;) {
		int got = read_some(out[0], &o, 50);
		if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = 1;
			/* what the command left behind in its group goes with it */
			kill(-pid, SIGKILL);
			drain_until = uptime_seconds() + DRAIN_MS / 1000.0;
		}
		if (got < 0 && exited)
			break;
		if (exited && uptime_seconds() > drain_until)
			break;
		if (!exited && uptime_seconds() > deadline) {
			result = "timeout";
			kill(-pid, SIGKILL);
			for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) != pid; i++)
				sleep_ms(10);
			exited = 1;
			drain_until = uptime_seconds() + DRAIN_MS / 1000.0;
		}
	}
	if (o.len > 0)
		frame(&o, 0);
	if (read(err[0], &exec_errno, sizeof(exec_errno)) == (ssize_t)sizeof(exec_errno))
		result = "exec-failed";
	close(out[0]);
	close(err[0]);
	if (pid < 0)
		result = "error";
	else if (strcmp(result, "exit") == 0 && WIFSIGNALED(status)) {
		result = "signal";
		sig = WTERMSIG(status);
	} else if (strcmp(result, "exit") == 0)
		code = WEXITSTATUS(status);
	emit("cmdend", "index=%d result=%s code=%d signal=%d detail=%s bytes=%llu shown=%llu crc=%08x seconds=%.3f", index,
	     result, code, sig, enc(exec_errno ? strerror(exec_errno) : "-", e1, sizeof(e1)), o.bytes, o.shown,
	     o.crc, uptime_seconds() - started);
}

static int cmp_entries(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void run_commands(void)
{
	DIR *d = opendir(COMMANDS_DIR);
	char *names[MAX_COMMANDS];
	int n = 0;
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) && n < MAX_COMMANDS)
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_entries);

	/* Debian's busybox ships no applet links: it makes them itself (finding itself through /proc) */
	if (access("/bin/busybox", X_OK) == 0) {
		pid_t pid = fork();
		if (pid == 0) {
			char *argv[] = { "/bin/busybox", "--install", "-s", "/bin", NULL };
			execv(argv[0], argv);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	for (int i = 0; i < n; i++) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s/%s", COMMANDS_DIR, names[i]);
		run_one(i + 1, dir);
		free(names[i]);
	}
}
