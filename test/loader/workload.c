// The loader tests' uprobe target. record() is called COUNT times (argv[1], default 40)
// with values that follow from the call's index alone (workload.ts computes them), then
// other() once. With a second argument it first waits for a byte on stdin, so a test can
// attach to its pid before it calls anything.
#include <stdlib.h>
#include <unistd.h>

#define PROBED __attribute__((noinline, noipa, used))

static const char *const NAMES[] = { "alpha", "beta", "gamma-delta-epsilon-zeta" };
volatile unsigned long sink;

PROBED void record(unsigned int id, unsigned long bytes, const char *name, long delta)
{
	sink += id + bytes + (unsigned long)delta + (unsigned long)name[0];
}

PROBED void other(unsigned int id, unsigned long bytes, const char *name, long delta)
{
	sink += id + bytes + (unsigned long)delta + (unsigned long)name[0];
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 40;
	char go;
	if (argc > 2 && read(0, &go, 1) != 1)
		return 1;
	/* Fault the names' page in: a uprobe cannot page in the memory it reads. */
	for (int n = 0; n < 3; n++)
		sink += (unsigned long)NAMES[n][0];
	for (long i = 0; i < count; i++)
		record(i % 5, 100 * (unsigned long)i + 7, NAMES[i % 3], -i);
	other(4, 5, "other", 6);
	return 0;
}
