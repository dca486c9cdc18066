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
//   gwork connect PORT    brings lo up, listens on 127.0.0.1:PORT and [::1]:PORT and
//                         connects to each once; prints "sport4=S sport6=T" (the local
//                         ports, T=0 when the guest has no IPv6)
//   gwork fs              in /tmp: mkdir 2 directories, mknod a regular file, write it
//                         once and fsync it 3 times, unlink it, rmdir both; prints the counts
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

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

/* Listens on ADDR:PORT, connects to it once; returns the connecting socket's local port
 * (host order), 0 when the family is not there. */
static int connect_once(int family, const void *addr, int port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, addr, 4);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, addr, 16);
		len = sizeof(*in6);
	}
	int l = socket(family, SOCK_STREAM, 0);
	if (l < 0 && family == AF_INET6)
		return 0;
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) || listen(l, 1)) {
		if (family == AF_INET6)
			return 0;
		die("listen");
	}
	int c = socket(family, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&ss, len))
		die("connect");
	struct sockaddr_storage me;
	socklen_t mlen = sizeof(me);
	if (getsockname(c, (struct sockaddr *)&me, &mlen))
		die("getsockname");
	close(c);
	close(l);
	return ntohs(family == AF_INET ? ((struct sockaddr_in *)&me)->sin_port : ((struct sockaddr_in6 *)&me)->sin6_port);
}

static int do_connect(int port)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = { 0 };
	strcpy(ifr.ifr_name, "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr))
		die("SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		die("SIOCSIFFLAGS lo");
	close(s);
	struct in_addr v4 = { htonl(INADDR_LOOPBACK) };
	int sport4 = connect_once(AF_INET, &v4, port);
	int sport6 = connect_once(AF_INET6, &in6addr_loopback, port);
	printf("sport4=%d sport6=%d\n", sport4, sport6);
	return 0;
}

static int do_fs(void)
{
	const char *d1 = "/tmp/gwork.d1", *d2 = "/tmp/gwork.d2", *f = "/tmp/gwork.node";
	int fsyncs = 3;
	if (mkdir(d1, 0700) || mkdir(d2, 0700))
		die("mkdir");
	if (mknod(f, S_IFREG | 0600, 0))
		die("mknod");
	int fd = open(f, O_WRONLY);
	if (fd < 0 || write(fd, "x", 1) != 1)
		die("open+write");
	for (int i = 0; i < fsyncs; i++)
		if (fsync(fd))
			die("fsync");
	close(fd);
	if (unlink(f) || rmdir(d1) || rmdir(d2))
		die("unlink/rmdir");
	printf("mkdir=2 rmdir=2 unlink=1 create=1 fsync=%d write=1 open=1\n", fsyncs);
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
	if (argc == 2 && strcmp(argv[1], "fs") == 0)
		return do_fs();
	if (argc == 3 && strcmp(argv[1], "connect") == 0)
		return do_connect(atoi(argv[2]));
	fprintf(stderr, "usage: gwork write N COUNT | read N COUNT | getpid N | call N | connect PORT | fs\n");
	return 2;
}
