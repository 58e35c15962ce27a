// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent as init of a nested kvmtool host (kvmatrix.role=host): the
 * host is a QEMU virt machine with virtualization=on whose kernel has KVM;
 * the cell's guest runs under lkvm inside it.
 *
 * lkvm's stdout (the guest's serial console) and stderr (lkvm's own
 * complaints) come through pipes and are written to the host console one
 * whole line at a time, each behind its prefix. Host kernel messages reach
 * the console without a prefix, so the harness can tell the three apart.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "arg-file.h"

/* _IO(KVMIO, 0x00); the kernel has answered 12 since 2.6.22 */
#define KVM_GET_API_VERSION_NR 0xAE00
#define MAX_ARGS 256
#define LINE_MAX_RELAY 4096

/*
 * Waits until the host's random pool is seeded; returns the seconds it took,
 * or -1. kvmtools before 2023 read /dev/random without blocking for the
 * guest's virtio-rng: on an unseeded host (a fresh VM under TCG stays
 * unseeded for a long time) the guest's rng gets no bytes and its reads hang.
 * A blocking getrandom() makes the kernel gather timer jitter until it is.
 */
static double seed_host_random(void)
{
	char byte;
	double started = uptime_seconds();

	if (getrandom(&byte, 1, 0) != 1)
		return -1;
	return uptime_seconds() - started;
}

static void report_kvm(double random_wait)
{
	char e1[256];
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		emit("kvm", "state=%s detail=%s random_wait=%.3f", errno == ENOENT ? "missing" : "unusable",
		     enc(strerror(errno), e1, sizeof(e1)), random_wait);
		return;
	}
	int api = ioctl(fd, KVM_GET_API_VERSION_NR, 0);
	close(fd);
	if (api < 0)
		emit("kvm", "state=unusable detail=%s random_wait=%.3f", enc(strerror(errno), e1, sizeof(e1)),
		     random_wait);
	else
		emit("kvm", "state=ok api=%d random_wait=%.3f", api, random_wait);
}

struct relay {
	int fd;
	const char *prefix;
	char line[LINE_MAX_RELAY];
	size_t used;
	unsigned long bytes;
};

/* One write(2) per line, so that a host kernel message cannot split it. */
static void relay_flush(struct relay *r)
{
	char out[LINE_MAX_RELAY + 32];
	size_t plen = strlen(r->prefix);

	if (!r->used)
		return;
	memcpy(out, r->prefix, plen);
	memcpy(out + plen, r->line, r->used);
	size_t n = plen + r->used;
	if (out[n - 1] != '\n')
		out[n++] = '\n';
	if (write(1, out, n) < 0)
		(void)0;
	r->used = 0;
}

/* Reads what is there; returns 0 at end of file. */
static int relay_read(struct relay *r)
{
	char buf[1024];
	ssize_t n = read(r->fd, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && errno == EINTR;
	r->bytes += (unsigned long)n;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\r')
			continue;
		r->line[r->used++] = buf[i];
		if (buf[i] == '\n' || r->used == sizeof(r->line) - 1)
			relay_flush(r);
	}
	return 1;
}

void run_nested_host(unsigned guest_timeout_s)
{
	static char argbuf[65536];
	char *argv[MAX_ARGS], e1[256], why[256];
	int in[2], out[2], err[2], execp[2];

	report_kvm(seed_host_random());
	if (read_arg_file(NESTED_ARGS_FILE, NESTED_LKVM, argbuf, sizeof(argbuf), argv, MAX_ARGS, why, sizeof(why)) < 0) {
		emit("lkvm", "result=no-args detail=%s", enc(why, e1, sizeof(e1)));
		return;
	}
	/*
	 * lkvm polls its stdin for console input: /dev/null is always readable
	 * and would keep a thread spinning on end-of-file. An empty pipe whose
	 * write end stays open here until lkvm is gone never is.
	 */
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(execp, O_CLOEXEC) < 0) {
		emit("lkvm", "result=exec-failed detail=%s", enc(strerror(errno), e1, sizeof(e1)));
		return;
	}
	double started = uptime_seconds();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		/* lkvm keeps a control socket under $HOME/.lkvm */
		setenv("HOME", "/tmp", 1);
		execv(NESTED_LKVM, argv);
		int e = errno;
		if (write(execp[1], &e, sizeof(e)) < 0)
			(void)0;
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	close(execp[1]);
	if (pid < 0) {
		emit("lkvm", "result=exec-failed detail=%s", enc(strerror(errno), e1, sizeof(e1)));
		return;
	}
	int exec_errno = 0;
	if (read(execp[0], &exec_errno, sizeof(exec_errno)) != sizeof(exec_errno))
		exec_errno = 0;
	close(execp[0]);

	struct relay streams[2] = { { .fd = out[0], .prefix = GUEST_LINE_PREFIX },
				    { .fd = err[0], .prefix = LKVM_LINE_PREFIX } };
	int open_streams = 2, timed_out = 0;
	double deadline = started + guest_timeout_s;
	while (open_streams > 0) {
		struct pollfd fds[2];
		int nfds = 0;
		for (int i = 0; i < 2; i++)
			if (streams[i].fd >= 0)
				fds[nfds++] = (struct pollfd){ .fd = streams[i].fd, .events = POLLIN };
		double left = deadline - uptime_seconds();
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		int ready = poll(fds, (nfds_t)nfds, left > 1 ? 1000 : (int)(left * 1000) + 1);
		if (ready < 0 && errno != EINTR)
			break;
		for (int f = 0; f < nfds && ready > 0; f++) {
			if (!fds[f].revents)
				continue;
			for (int i = 0; i < 2; i++) {
				if (streams[i].fd != fds[f].fd || relay_read(&streams[i]))
					continue;
				relay_flush(&streams[i]);
				close(streams[i].fd);
				streams[i].fd = -1;
				open_streams--;
			}
		}
	}
	int status = 0;
	if (timed_out) {
		kill(pid, SIGKILL);
		for (int i = 0; i < 2; i++)
			relay_flush(&streams[i]);
	}
	waitpid(pid, &status, 0);
	close(in[1]);
	double seconds = uptime_seconds() - started;
	unsigned long guest_bytes = streams[0].bytes;

	if (exec_errno)
		emit("lkvm", "result=exec-failed detail=%s", enc(strerror(exec_errno), e1, sizeof(e1)));
	else if (timed_out)
		emit("lkvm", "result=timeout after=%u guest_bytes=%lu", guest_timeout_s, guest_bytes);
	else if (WIFSIGNALED(status))
		emit("lkvm", "result=signal signal=%d seconds=%.3f guest_bytes=%lu", WTERMSIG(status),
		     seconds, guest_bytes);
	else
		emit("lkvm", "result=exited code=%d seconds=%.3f guest_bytes=%lu", WEXITSTATUS(status),
		     seconds, guest_bytes);
}
