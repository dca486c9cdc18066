// Uprobe target: functions of 1 to 8 arguments of mixed widths, narrow arguments passed
// with garbage in the register's upper bits, and a function called in a loop.
// Built at test time with `gcc -g -O0` (see test/harness/harness.ts, buildTarget).
// Every value main() passes is listed in test/harness/targets/expected.ts; tests check them.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

#define PROBED __attribute__((noinline, noipa, used))

volatile unsigned long sink; /* unsigned: the sums may wrap */

PROBED int args1(int a) { sink += a; return a; }
PROBED long args2(char a, short b) { sink += (unsigned long)a + b; return a + b; }
PROBED long args3(unsigned char a, unsigned short b, unsigned int c) { sink += (unsigned long)a + b + c; return sink; }
PROBED long args4(long a, unsigned long b, int c, char d) { sink += (unsigned long)a + b + c + d; return sink; }
PROBED long args5(char a, short b, int c, long d, unsigned char e) { sink += (unsigned long)a + b + c + d + e; return sink; }
PROBED long args6(long a, int b, short c, char d, unsigned int e, unsigned long f)
{
	sink += (unsigned long)a + b + c + d + e + f;
	return sink;
}
PROBED long args7(int a, int b, int c, int d, int e, int f, int g)
{
	sink += (unsigned long)a + b + c + d + e + f + g;
	return sink;
}
PROBED long args8(char a, short b, int c, long d, unsigned char e, unsigned short f,
		  unsigned int g, unsigned long h)
{
	sink += (unsigned long)a + b + c + d + e + f + g + h;
	return sink;
}

// Called from assembly with dirty upper register bits (see below).
PROBED long dirty_char(char c) { sink += c; return c; }
PROBED long dirty_ushort(unsigned short s) { sink += s; return s; }
PROBED long dirty_int(int i) { sink += i; return i; }

PROBED int tick(int i) { sink += i; return i; }

// The x86-64 ABI leaves the upper bits of a narrow argument's register undefined; these
// callers put known garbage there. The stack stays 16-byte aligned at the call.
#define DIRTY_CALLER(caller, callee, value)                                     \
	__asm__(".text\n.globl " #caller "\n.type " #caller ",@function\n" #caller \
		":\n\tsub $8, %rsp\n\tmovabs $" #value ", %rdi\n\tcall " #callee    \
		"\n\tadd $8, %rsp\n\tret\n.size " #caller ", .-" #caller "\n");  \
	void caller(void);

DIRTY_CALLER(call_dirty_char, dirty_char, 0x123456789abcdefb)     /* c = -5 */
DIRTY_CALLER(call_dirty_ushort, dirty_ushort, 0xffffffffffff1234) /* s = 0x1234 = 4660 */
DIRTY_CALLER(call_dirty_int, dirty_int, 0x7777777780000000)       /* i = -2147483648 */

int main(void)
{
	args1(-7);
	args2(-5, -300);
	args3(250, 65000, 4000000000u);
	args4(-1234567890123L, 18000000000000000000UL, -2147483647 - 1, 'A');
	args5(1, -2, 3, -4, 255);
	args6(-100000000000L, 2147483647, 32767, -128, 4294967295u, 0x8000000000000000UL);
	args7(1, -2, 3, -4, 5, -6, 7);
	args8(-1, -2, -3, -4, 200, 60000, 3000000000u, 0xfedcba9876543210UL);
	call_dirty_char();
	call_dirty_ushort();
	call_dirty_int();
	for (int i = 0; i < 10; i++)
		tick(i);
	/* On the stack, so the page is resident when a probe reads the name at syscall entry. */
	char path[] = "/proc/self/stat";
	int fd = open(path, O_RDONLY);
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 3; i++)
		syscall(SYS_getpid);
	printf("args done %lu\n", sink);
	return 0;
}
