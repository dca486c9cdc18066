// The benchmark's event workload: `workload N` runs N rounds of the calls that fire every
// probe the benchmark measures run time on, so that bpftsc's objects and their C twins
// see the same events. Each round calls the functions below (the tool twins in
// bench/tools/ put uprobes on them) and makes the system calls the examples trace:
// write and read (count-writes, latency), openat (opens), malloc of 8 KiB (malloc-sizes),
// calloc and realloc (memleak), and, with all of them, raw syscalls (syscall-counts).
// Every 100th round also runs what the other tools watch, one each: a usleep (funclatency;
// runqlat's wakeup and switch), a child that execs /bin/true (execsnoop, exitsnoop,
// runqlat's wakeup_new), a signal to itself by kill and by raise, ignored (sigsnoop), and
// an anonymous mmap and munmap (memleak).
// Built by bench/run.ts with `gcc -g -O0`: the probes find the parameters by name in DWARF.
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PROBED __attribute__((noinline, noipa, used))

volatile uint64_t sink;

struct node {
	struct node *next;
	uint64_t value;
};

/* An I/O request completed: hist-log2 buckets its latency per device. */
PROBED void io_done(uint32_t dev, uint64_t latency_ns, uint32_t bytes)
{
	sink += dev + latency_ns + bytes;
}

/* Bytes moved on a file descriptor: struct-keys counts them per (pid, fd, op). */
PROBED void account(int32_t fd, uint8_t op, uint64_t bytes)
{
	sink += fd + op + bytes;
}

/* A linked list: list-walk sums the first 16 values through the pointers. */
PROBED uint64_t walk(struct node *head)
{
	uint64_t s = 0;
	for (struct node *n = head; n; n = n->next)
		s += n->value;
	return s;
}

/* A path about to be opened: path-prefix counts those under /tmp/. */
PROBED int open_path(const char *path, int32_t flags)
{
	sink += strlen(path) + flags;
	return 0;
}

/* A log line: ringbuf-records sends each to user space with its context. */
PROBED void log_event(int32_t level, const char *msg, uint32_t code)
{
	sink += level + strlen(msg) + code;
}

/* Eight arguments of eight widths, the last two on the stack: mixed-params. */
PROBED int64_t mixed(int8_t a, uint16_t b, int32_t c, uint64_t d, int16_t e, uint8_t f, int64_t g, uint32_t h)
{
	sink += a + b + c + d + e + f + g + h;
	return (int64_t)sink;
}

/* One of each of the rarer events: a sleep, a program run, two signals, a mapping. */
static int rare_events(void)
{
	usleep(1);
	pid_t child = fork();
	if (child < 0)
		return -1;
	if (child == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	int status;
	if (waitpid(child, &status, 0) != child)
		return -1;
	if (kill(getpid(), SIGUSR1) < 0 || raise(SIGUSR1) != 0)
		return -1;
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	return munmap(m, 4096);
}

/* A request handed to a worker: helpers records who handled it and when. */
PROBED void handle(uint32_t id)
{
	sink += id;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 1000;
	struct node nodes[24];
	for (int i = 0; i < 24; i++) {
		nodes[i].value = (uint64_t)i * 3 + 1;
		nodes[i].next = i + 1 < 24 ? &nodes[i + 1] : NULL;
	}
	static const char *paths[] = { "/tmp/bpftsc-bench", "/etc/hostname", "/tmp/x", "/dev/null" };
	static const char *msgs[] = { "request accepted", "cache miss on key", "retrying after timeout" };
	int null = open("/dev/null", O_WRONLY), zero = open("/dev/zero", O_RDONLY);
	char buf[64];
	signal(SIGUSR1, SIG_IGN);
	for (long i = 0; i < rounds; i++) {
		io_done((uint32_t)(i % 4), (uint64_t)(i * 7919 % 1000003) * (1 + i % 5000), (uint32_t)(512 << (i % 8)));
		account((int32_t)(i % 8), (uint8_t)(i % 3), (uint64_t)(i % 4096));
		sink += walk(&nodes[i % 8]);
		open_path(paths[i % 4], (int32_t)(i % 2));
		log_event((int32_t)(i % 5), msgs[i % 3], (uint32_t)i);
		mixed((int8_t)-i, (uint16_t)i, (int32_t)(i * 3), (uint64_t)i << 20, (int16_t)-(i % 300), (uint8_t)i, -(int64_t)i * 1000, (uint32_t)i * 7);
		handle((uint32_t)i);
		if (write(null, buf, 1) < 0 || read(zero, buf, 1) < 0)
			return 1;
		int fd = openat(AT_FDCWD, "/dev/null", O_RDONLY);
		if (fd >= 0)
			close(fd);
		void *p = malloc(8192);
		sink += (uintptr_t)p;
		free(p);
		void *q = realloc(calloc(1, 4096), 8192);
		sink += (uintptr_t)q;
		free(q);
		if (i % 100 == 0 && rare_events() < 0)
			return 1;
	}
	return 0;
}
