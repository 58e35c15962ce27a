// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvmatrix-agent: PID 1 of a kvmatrix guest.
 *
 * Mounts what it needs, reports every PCI function and virtio device it
 * finds, exercises each virtio device with a real I/O check, prints an end
 * record and powers the machine off.
 *
 * Every record is one line:
 *
 *   KVMATRIX/1 <seq> <kind> key=value ... #<crc32>
 *
 * Values are percent-encoded so that they never contain a space, '#' or a
 * control character. The crc32 covers "<nonce> " followed by everything
 * before " #", where the nonce comes from kvmatrix.nonce= on the kernel
 * command line: the harness uses it to tell this boot's records from
 * anything else on the console (a stale log, a kernel message that quotes
 * the command line, a nested host's own output).
 *
 * With kvmatrix.role=host on the command line it is the init of a nested
 * kvmtool host instead (nested-host.c). After the probe it runs the boot's
 * userspace commands, if it was given any (commands.c).
 *
 * Checks run in a forked child with a deadline: a device whose I/O BAR is
 * mapped to the wrong address can block a read forever, and PID 1 cannot
 * be interrupted by SIGALRM.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define AGENT_VERSION "1"
#define RECORD_TAG "KVMATRIX/1"
#define MAX_DEVICES 256
#define CHECK_DEADLINE_MS 4000
#define DISK_LABEL_MAGIC "KVMATRIX-DISK/1 "

static char nonce[128];
static unsigned seq;
static char role[16] = "guest";
/* how long a nested host gives its guest, from kvmatrix.guest_timeout= */
static unsigned guest_timeout_s = 60;

/* ---- output ----------------------------------------------------------- */

/* Writes a record with a single write(2) so that it is not split by us. */
void emit(const char *kind, const char *fmt, ...)
{
	char body[4096], line[4300];
	va_list ap;
	int n = snprintf(body, sizeof(body), RECORD_TAG " %u %s", seq++, kind);

	if (fmt && *fmt) {
		body[n++] = ' ';
		va_start(ap, fmt);
		vsnprintf(body + n, sizeof(body) - n, fmt, ap);
		va_end(ap);
	}
	uint32_t crc = crc32_update(0, nonce, strlen(nonce));
	crc = crc32_update(crc, " ", 1);
	crc = crc32_update(crc, body, strlen(body));
	n = snprintf(line, sizeof(line), "%s #%08x\n", body, crc);
	if (n > 0 && write(1, line, (size_t)n) < 0)
		(void)0;
}

/* Percent-encodes s into a static buffer of the caller's choosing. */
const char *enc(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (!s || !*s)
		s = "-";
	for (; *s && o + 4 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c >= 0x7f || c == '%' || c == '#' || c == '=') {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = 0;
	return out;
}

/* ---- small file helpers ----------------------------------------------- */

int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return (int)n;
}

/* read_text of the file <dir>/<name>. */
int read_in(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return read_text(path, buf, len);
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -1 : 0;
}

/* Name of the driver bound at <dir>/driver, or "none". */
static void driver_of(const char *dir, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	snprintf(path, sizeof(path), "%s/driver", dir);
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0) {
		snprintf(out, len, "none");
		return;
	}
	target[n] = 0;
	const char *slash = strrchr(target, '/');
	snprintf(out, len, "%s", slash ? slash + 1 : target);
}

/* First entry of a directory that is not "." or "..". */
static int first_entry(const char *dir, char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(out, len, "%s", e->d_name);
		closedir(d);
		return 0;
	}
	closedir(d);
	return -1;
}

double uptime_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int cmp_names(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	/* virtio10 sorts after virtio9: compare by length first */
	size_t lx = strlen(x), ly = strlen(y);
	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

/* Sorted names in a directory; returns the count. */
static int list_dir(const char *dir, char **names, int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), cmp_names);
	return n;
}

/* ---- checks ------------------------------------------------------------ */

/*
 * A check runs in a child that writes one line "result detail" into a pipe.
 * The parent waits at most CHECK_DEADLINE_MS and kills the child after that.
 */
typedef void (*check_fn)(int out_fd, const void *arg);

struct check_result {
	char result[16];
	char detail[512];
};

static void set_result(struct check_result *res, const char *result, const char *detail)
{
	snprintf(res->result, sizeof(res->result), "%s", result);
	snprintf(res->detail, sizeof(res->detail), "%s", detail);
}

static void check_reply(int fd, const char *result, const char *fmt, ...)
{
	char buf[600];
	va_list ap;
	int n = snprintf(buf, sizeof(buf), "%s ", result);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (write(fd, buf, strlen(buf)) < 0)
		(void)0;
}

static void run_check(check_fn fn, const void *arg, struct check_result *res)
{
	int p[2];
	char buf[600] = "";
	size_t got = 0;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(res->result, sizeof(res->result), "error");
		snprintf(res->detail, sizeof(res->detail), "pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		fn(p[1], arg);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		snprintf(res->result, sizeof(res->result), "error");
		snprintf(res->detail, sizeof(res->detail), "fork: %s", strerror(errno));
		return;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	double deadline = uptime_seconds() + CHECK_DEADLINE_MS / 1000.0;
	int status = 0, done = 0;
	while (!done && uptime_seconds() < deadline) {
		ssize_t n = read(p[0], buf + got, sizeof(buf) - 1 - got);
		if (n > 0)
			got += (size_t)n;
		if (waitpid(pid, &status, WNOHANG) == pid)
			done = 1;
		else
			sleep_ms(10);
	}
	if (done) {
		ssize_t n;
		while ((n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
			got += (size_t)n;
	}
	close(p[0]);
	buf[got] = 0;
	if (!done) {
		kill(pid, SIGKILL);
		/* a child stuck in uninterruptible I/O may never go: do not wait long */
		for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) != pid; i++)
			sleep_ms(10);
		snprintf(res->result, sizeof(res->result), "timeout");
		snprintf(res->detail, sizeof(res->detail), "no answer within %d ms",
			 CHECK_DEADLINE_MS);
		return;
	}
	char *space = strchr(buf, ' ');
	if (!space) {
		snprintf(res->result, sizeof(res->result), "error");
		snprintf(res->detail, sizeof(res->detail), "check ended without a result (status %d)",
			 status);
		return;
	}
	*space = 0;
	snprintf(res->result, sizeof(res->result), "%s", buf);
	snprintf(res->detail, sizeof(res->detail), "%s", space + 1);
}

struct rng_arg {
	char hwrng[64];
};

static void check_rng(int fd, const void *argp)
{
	const struct rng_arg *arg = argp;
	unsigned char data[32];
	char current[128];

	if (write_text("/sys/class/misc/hw_random/rng_current", arg->hwrng) < 0) {
		check_reply(fd, "fail", "cannot select %s: %s", arg->hwrng, strerror(errno));
		return;
	}
	if (read_text("/sys/class/misc/hw_random/rng_current", current, sizeof(current)) < 0 ||
	    strcmp(current, arg->hwrng) != 0) {
		check_reply(fd, "fail", "rng_current is %s, not %s", current, arg->hwrng);
		return;
	}
	int rfd = open("/dev/hwrng", O_RDONLY | O_CLOEXEC);
	if (rfd < 0) {
		check_reply(fd, "fail", "open /dev/hwrng: %s", strerror(errno));
		return;
	}
	ssize_t n = read(rfd, data, sizeof(data));
	close(rfd);
	if (n != (ssize_t)sizeof(data)) {
		check_reply(fd, "fail", "read %zd of %zu bytes from %s: %s", n, sizeof(data),
			    arg->hwrng, n < 0 ? strerror(errno) : "short read");
		return;
	}
	int zeros = 0, ones = 0;
	for (size_t i = 0; i < sizeof(data); i++) {
		zeros += data[i] == 0x00;
		ones += data[i] == 0xff;
	}
	/* an aliased or unmapped I/O window reads back as all-ones or all-zeros */
	if (zeros == (int)sizeof(data) || ones == (int)sizeof(data)) {
		check_reply(fd, "fail", "%s returned %zu bytes of 0x%02x", arg->hwrng, sizeof(data),
			    data[0]);
		return;
	}
	check_reply(fd, "ok", "read %zu bytes from %s", sizeof(data), arg->hwrng);
}

struct blk_arg {
	char disk[64];
};

static void check_blk(int fd, const void *argp)
{
	const struct blk_arg *arg = argp;
	char path[128], sector[512], label[65];

	snprintf(path, sizeof(path), "/dev/%s", arg->disk);
	int bfd = open(path, O_RDONLY | O_CLOEXEC);
	if (bfd < 0) {
		check_reply(fd, "fail", "open %s: %s", path, strerror(errno));
		return;
	}
	ssize_t n = pread(bfd, sector, sizeof(sector), 0);
	close(bfd);
	if (n != (ssize_t)sizeof(sector)) {
		check_reply(fd, "fail", "read sector 0 of %s: %s", path,
			    n < 0 ? strerror(errno) : "short read");
		return;
	}
	size_t l = 0;
	while (l < sizeof(label) - 1 && sector[l] && sector[l] != '\n')
		l++;
	memcpy(label, sector, l);
	label[l] = 0;
	if (strncmp(label, DISK_LABEL_MAGIC, strlen(DISK_LABEL_MAGIC)) != 0) {
		check_reply(fd, "fail", "sector 0 of %s has no kvmatrix label", path);
		return;
	}
	check_reply(fd, "ok", "%s sector 0: %s", arg->disk, label);
}

struct net_arg {
	char ifname[IFNAMSIZ];
};

static void check_net(int fd, const void *argp)
{
	const struct net_arg *arg = argp;
	struct ifreq ifr;
	char path[128], carrier[16] = "", mac[32] = "";

	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		check_reply(fd, "fail", "socket: %s", strerror(errno));
		return;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", arg->ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		check_reply(fd, "fail", "SIOCGIFFLAGS %s: %s", arg->ifname, strerror(errno));
		return;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		check_reply(fd, "fail", "bringing %s up: %s", arg->ifname, strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", arg->ifname);
	for (int i = 0; i < 200; i++) {
		if (read_text(path, carrier, sizeof(carrier)) > 0 && strcmp(carrier, "1") == 0)
			break;
		sleep_ms(10);
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/address", arg->ifname);
	read_text(path, mac, sizeof(mac));
	if (strcmp(carrier, "1") != 0) {
		check_reply(fd, "fail", "%s is up but has no carrier (mac %s)", arg->ifname, mac);
		return;
	}
	check_reply(fd, "ok", "%s up with carrier, mac %s", arg->ifname, mac);
}

/* ---- reports ----------------------------------------------------------- */

/*
 * BAR0 as "io:0x1000-0x101f" (or "none"), and every assigned BAR as
 * "0:io:0x1000-0x101f,4:mem:0x8000000000-0x8000003fff" (or "-"): modern
 * virtio devices have no BAR0, their registers sit in a memory BAR.
 */
static void format_bars(char *resource, char *bar0, size_t bar0len, char *bars, size_t barslen)
{
	size_t used = 0;
	char *line = resource;

	snprintf(bar0, bar0len, "none");
	bars[0] = 0;
	for (int index = 0; index < 6 && line && *line; index++) {
		unsigned long long start = 0, end = 0, flags = 0;
		char *next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) == 3 && (start || end)) {
			const char *kind = (flags & 0x100) ? "io" : (flags & 0x200) ? "mem" : "other";
			if (index == 0)
				snprintf(bar0, bar0len, "%s:0x%llx-0x%llx", kind, start, end);
			int n = snprintf(bars + used, barslen - used, "%s%d:%s:0x%llx-0x%llx",
					 used ? "," : "", index, kind, start, end);
			if (n > 0 && (size_t)n < barslen - used)
				used += (size_t)n;
		}
		line = next;
	}
	if (!used)
		snprintf(bars, barslen, "-");
}

/* sysfs prints 0x1af4; records use the lspci form 1af4 ("-" when unreadable) */
static const char *hex_digits(const char *sysfs)
{
	if (!*sysfs)
		return "-";
	return sysfs + (strncmp(sysfs, "0x", 2) ? 0 : 2);
}

static void report_pci(void)
{
	char *names[MAX_DEVICES];
	int n = list_dir("/sys/bus/pci/devices", names, MAX_DEVICES);

	for (int i = 0; i < n; i++) {
		char dir[PATH_MAX], vendor[32] = "", device[32] = "",
		     class[32] = "", resource[2048] = "", driver[64], bar[96], e1[128],
		     subvendor[32] = "", subdevice[32] = "";
		snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s", names[i]);
		read_in(dir, "vendor", vendor, sizeof(vendor));
		read_in(dir, "device", device, sizeof(device));
		/* a legacy virtio device's type is its subsystem device id (kvmtool's
		 * rng is 1af4:1004, not the transitional 1af4:1005) */
		read_in(dir, "subsystem_vendor", subvendor, sizeof(subvendor));
		read_in(dir, "subsystem_device", subdevice, sizeof(subdevice));
		read_in(dir, "class", class, sizeof(class));
		read_in(dir, "resource", resource, sizeof(resource));
		driver_of(dir, driver, sizeof(driver));

		char bars[512];
		format_bars(resource, bar, sizeof(bar), bars, sizeof(bars));
		emit("pci", "bdf=%s id=%s:%s subsys=%s:%s class=%s bar0=%s bars=%s driver=%s", names[i],
		     hex_digits(vendor), hex_digits(device), hex_digits(subvendor),
		     hex_digits(subdevice), class, bar, bars, enc(driver, e1, sizeof(e1)));
		free(names[i]);
	}
}

static void report_virtio(void)
{
	char *names[MAX_DEVICES];
	int n = list_dir("/sys/bus/virtio/devices", names, MAX_DEVICES);
	int rng_bound = 0;

	for (int i = 0; i < n; i++) {
		char dir[PATH_MAX], path[PATH_MAX], target[PATH_MAX], type[32] = "",
		     status[32] = "", driver[64], parent[64] = "none", e1[128];
		snprintf(dir, sizeof(dir), "/sys/bus/virtio/devices/%s", names[i]);
		snprintf(path, sizeof(path), "%s/device", dir);
		read_text(path, type, sizeof(type));
		snprintf(path, sizeof(path), "%s/status", dir);
		read_text(path, status, sizeof(status));
		driver_of(dir, driver, sizeof(driver));
		ssize_t tl = readlink(dir, target, sizeof(target) - 1);
		if (tl > 0) {
			target[tl] = 0;
			char *last = strrchr(target, '/');
			if (last) {
				*last = 0;
				char *prev = strrchr(target, '/');
				snprintf(parent, sizeof(parent), "%s", prev ? prev + 1 : target);
			}
		}
		unsigned long t = strtoul(type, NULL, 0);
		emit("virtio", "dev=%s bdf=%s type=%lu driver=%s status=%s", names[i], parent, t,
		     enc(driver, e1, sizeof(e1)), status[0] ? status : "none");

		struct check_result res = { "skip", "no driver bound" };
		const char *kind = t == 1 ? "net" : t == 2 ? "blk" : t == 4 ? "rng" : "other";
		if (strcmp(driver, "none") != 0) {
			if (t == 4) {
				/*
				 * virtio_rng names its hwrng virtio_rng.<k>, k counting the devices
				 * it bound, in probe order, which is virtio index order.
				 */
				struct rng_arg a;
				snprintf(a.hwrng, sizeof(a.hwrng), "virtio_rng.%d", rng_bound++);
				run_check(check_rng, &a, &res);
			} else if (t == 2) {
				struct blk_arg a;
				snprintf(path, sizeof(path), "%s/block", dir);
				if (first_entry(path, a.disk, sizeof(a.disk)) == 0)
					run_check(check_blk, &a, &res);
				else
					set_result(&res, "fail", "driver bound but no block device");
			} else if (t == 1) {
				struct net_arg a;
				snprintf(path, sizeof(path), "%s/net", dir);
				if (first_entry(path, a.ifname, sizeof(a.ifname)) == 0)
					run_check(check_net, &a, &res);
				else
					set_result(&res, "fail", "driver bound but no network interface");
			} else {
				snprintf(res.detail, sizeof(res.detail), "no check for type %lu", t);
			}
		}
		char e2[1600];
		emit("check", "dev=%s kind=%s result=%s detail=%s", names[i], kind, res.result,
		     enc(res.detail, e2, sizeof(e2)));
		free(names[i]);
	}
}

/* ---- PID 1 ------------------------------------------------------------- */

static void read_nonce(void)
{
	char cmdline[4096];
	if (read_text("/proc/cmdline", cmdline, sizeof(cmdline)) < 0)
		return;
	for (char *tok = strtok(cmdline, " "); tok; tok = strtok(NULL, " ")) {
		if (strncmp(tok, "kvmatrix.nonce=", 15) == 0)
			snprintf(nonce, sizeof(nonce), "%s", tok + 15);
		else if (strncmp(tok, "kvmatrix.role=", 14) == 0)
			snprintf(role, sizeof(role), "%s", tok + 14);
		else if (strncmp(tok, "kvmatrix.guest_timeout=", 23) == 0)
			guest_timeout_s = (unsigned)strtoul(tok + 23, NULL, 10);
	}
}

/*
 * A boot that runs commands gets its nonce in a file of the boot's own
 * archive instead of on the command line, which any command could read:
 * read, then removed before the first command starts.
 */
static void read_key_file(void)
{
	char key[sizeof(nonce)];
	if (read_text(KEY_FILE, key, sizeof(key)) > 0)
		snprintf(nonce, sizeof(nonce), "%s", key);
	unlink(KEY_FILE);
}

static void mount_basics(void)
{
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mkdir("/dev", 0755);
	mkdir("/tmp", 01777);
	mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, NULL);
	mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, NULL);
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	/* only reached if power-off is not supported: let the harness time out */
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	struct utsname u;
	char e1[256], e2[128];

	(void)argc;
	(void)argv;
	if (getpid() != 1) {
		fprintf(stderr, "kvmatrix-agent: runs as PID 1 of a kvmatrix guest only\n");
		return 2;
	}
	/* make sure stdout is the console even if the initramfs lacked the node */
	if (fcntl(1, F_GETFD) < 0) {
		mount_basics();
		int fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
	} else {
		mount_basics();
	}
	read_nonce();
	read_key_file();
	uname(&u);
	emit("begin", "agent=%s role=%s kernel=%s machine=%s uptime=%.3f", AGENT_VERSION, role,
	     enc(u.release, e1, sizeof(e1)), enc(u.machine, e2, sizeof(e2)), uptime_seconds());
	if (strcmp(role, "host") == 0) {
		run_nested_host(guest_timeout_s);
	} else {
		report_ktap();
		report_pci();
		report_virtio();
		run_commands();
	}
	emit("end", "records=%u uptime=%.3f", seq + 1, uptime_seconds());
	power_off();
	return 0;
}
