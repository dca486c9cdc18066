// The guest tests' workload (built on the host with gcc -static, run in the guest by the
// loader after it attaches): system calls with known arguments, and a report of what it
// did on stdout so the tests compare the probes' view with the program's own.
//   gwork write N COUNT   N writes of COUNT bytes to /dev/null; prints "fd=F"
//   gwork read N COUNT    creates /tmp/gwork.dat (N*COUNT bytes, mode 0640), reopens it
//                         and reads it in N reads of COUNT bytes; prints
//                         "fd=F ino=I flags=F_GETFL create_flags=C read_flags=R"
//   gwork getpid N        N getpid system calls
//   gwork call N          N calls of probed() (a uprobe's target: ten arguments of several
//                         widths, a 24-byte struct by value, two on the stack on every
//                         architecture), the k-th with values that depend on k (do_call);
//                         prints "calls=N"
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char buf[1 << 16];

struct big {
	long x, y, z;
};

volatile long sink;

/* Its arguments are checked in test/guest/checks/user.ts, which computes them as this does. */
__attribute__((noinline, noipa)) long probed(signed char c, short s, int i, long l, struct big b, unsigned u,
					     long a6, long a7, int s8, long s9)
{
	sink += c + s + i + l + b.x + b.y + b.z + u + a6 + a7 + s8 + s9;
	return sink;
}

static int do_call(long n)
{
	for (long k = 0; k < n; k++) {
		struct big b = { 0x1111111111L + k, 2, 3 };
		probed(-5 - k, -1000 - k, -100000 + k, -10000000000L - k, b, 4000000000u + k, 6, 7 + k, -8 - k,
		       0x123456789L + k);
	}
	printf("calls=%ld\n", n);
	return 0;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int do_write(long n, long count)
{
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0)
		die("open /dev/null");
	for (long i = 0; i < n; i++)
		if (write(fd, buf, count) != count)
			die("write");
	printf("fd=%d\n", fd);
	return 0;
}

static int do_read(long n, long count)
{
	const char *path = "/tmp/gwork.dat";
	int create_flags = O_CREAT | O_WRONLY | O_TRUNC, read_flags = O_RDONLY | O_NONBLOCK | O_NOATIME;
	int fd = open(path, create_flags, 0640);
	if (fd < 0)
		die("create");
	for (long i = 0; i < n; i++)
		if (write(fd, buf, count) != count)
			die("write");
	close(fd);
	fd = open(path, read_flags);
	if (fd < 0)
		die("open");
	struct stat st;
	if (fstat(fd, &st))
		die("fstat");
	int flags = fcntl(fd, F_GETFL);
	for (long i = 0; i < n; i++)
		if (read(fd, buf, count) != count)
			die("read");
	printf("fd=%d ino=%lu flags=%d create_flags=%d read_flags=%d\n", fd, (unsigned long)st.st_ino, flags,
	       create_flags, read_flags);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "write") == 0)
		return do_write(atol(argv[2]), atol(argv[3]));
	if (argc == 4 && strcmp(argv[1], "read") == 0)
		return do_read(atol(argv[2]), atol(argv[3]));
	if (argc == 3 && strcmp(argv[1], "getpid") == 0) {
		for (long i = 0, n = atol(argv[2]); i < n; i++)
			syscall(SYS_getpid);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "call") == 0)
		return do_call(atol(argv[2]));
	fprintf(stderr, "usage: gwork write N COUNT | read N COUNT | getpid N | call N\n");
	return 2;
}
