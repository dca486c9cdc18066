// Uprobe target: integer edge values for arithmetic tests (signed division and remainder,
// large unsigned values, shift counts). The probed functions only consume their
// arguments; they never divide, so LONG_MIN / -1 cannot trap here. Every call's first
// argument is a sequence number so that a probe can store each call under its own key.
// Built at test time with `gcc -g -O0`;
// the values main() passes are in test/harness/targets/expected.ts.
#include <limits.h>
#include <stdio.h>

#define PROBED __attribute__((noinline, noipa, used))

volatile unsigned long sink;

PROBED void div_case(int seq, long a, long b) { sink += seq + (unsigned long)a + (unsigned long)b; }
PROBED void udiv_case(int seq, unsigned long a, unsigned long b) { sink += seq + a + b; }
PROBED void shift_case(int seq, unsigned long v, int n) { sink += seq + v + n; }
PROBED void narrow_case(int seq, unsigned long a, unsigned int b, unsigned short c, unsigned char d)
{
	sink += seq + a + b + c + d;
}

int main(void)
{
	div_case(0, -7, 2);
	div_case(1, 7, -2);
	div_case(2, -7, -2);
	div_case(3, LONG_MIN, -1);
	div_case(4, LONG_MAX, 1);
	div_case(5, 100, 7);
	udiv_case(0, ULONG_MAX, 2);
	udiv_case(1, 0x8000000000000000UL, 3);
	udiv_case(2, 18000000000000000000UL, 1000000007UL);
	shift_case(0, 1, 63);
	shift_case(1, 0x8000000000000000UL, 1);
	shift_case(2, 0xff00000000000000UL, 56);
	shift_case(3, 0x0123456789abcdefUL, 4);
	narrow_case(0, ULONG_MAX, UINT_MAX, USHRT_MAX, UCHAR_MAX);
	narrow_case(1, 0, 0, 0, 0);
	printf("edge done %lu\n", sink);
	return 0;
}
