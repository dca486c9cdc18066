/* The perf-buffer, stack-trace and cgroup tests' uprobe target: main() calls outer(i),
 * which calls step(i, 1000 * i + 7), for i = 0..COUNT-1 (argv[1], default 8); each step
 * makes a getppid() syscall, so a uprobe on step() sees the user stack main > outer >
 * step and the sys_enter_getppid tracepoint a syscall's kernel stack; then, given a
 * second argument, it sleeps that many milliseconds. It runs on CPU 0 only, so its
 * records share one perf ring and keep their order. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

#define PROBED __attribute__((noinline, noipa, used))

volatile unsigned long sink;

PROBED void step(unsigned int i, unsigned long scaled)
{
	sink += i + scaled;
	syscall(SYS_getppid);
}

PROBED void outer(unsigned int i)
{
	step(i, 1000ul * i + 7);
}

int main(int argc, char **argv)
{
	unsigned int count = argc > 1 ? (unsigned int)atoi(argv[1]) : 8;
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof cpus, &cpus) != 0)
		return 1;
	for (unsigned int i = 0; i < count; i++)
		outer(i);
	if (argc > 2)
		usleep(atol(argv[2]) * 1000);
	return 0;
}
