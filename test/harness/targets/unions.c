// Uprobe target: a union and a struct of bitfields passed by pointer, and gcc's own
// answers to what a probe writes. Built at test time with `gcc -g -O0`; the values main()
// passes are in test/harness/targets/expected.ts (UNIONS_*).
//
// main() calls take_val(&v) and take_flags(&f) once each, then prints, as hex bytes of
// objects zeroed first (so padding is 0, as bpftsc writes it):
//   val <v>        f <f>          the objects the probe reads through its pointers
//   small <s>      union small { w, h } with only h = 0xbeef
//   edge <e>       a struct flags with every field at an edge of its range
//   after <e>      edge after the operations the probe also does (see ops below)
//   r <values>     the values of those operations' expressions, in decimal
//   loc <l>        a zeroed struct flags with a = 1 and f's neg and big
#include <stdio.h>
#include <string.h>

#define PROBED __attribute__((noinline, noipa, used))

union val {
	unsigned long as_u64;
	unsigned char as_bytes[8];
};

union small {
	unsigned long w;
	unsigned short h;
};

// Bits: a 0-2, b 3-7, c 8; d at byte 2; e would straddle the u64 at 0, so it takes the
// one at 8; u at 16; one 160; full would straddle the u32 at 20, so it takes 24; neg 224;
// big would straddle the u64 at 24, so it takes the one at 32. Size 40.
struct flags {
	unsigned int a : 3;
	int b : 5;
	unsigned char c : 1;
	unsigned short d;
	unsigned long e : 40;
	union {
		unsigned int x;
		unsigned short y;
	} u;
	unsigned int one : 1;
	unsigned int full : 32;
	int neg : 7;
	long big : 63;
};

volatile unsigned long sink;
volatile int three = 3; /* a constant 3 would draw -Woverflow for a 1-bit field */

PROBED long take_val(const union val *v) { sink += v->as_u64; return sink; }

PROBED long take_flags(const struct flags *f)
{
	sink += f->a + f->b + f->c + f->d + f->e + f->u.x + f->one + f->full + f->neg + f->big;
	return sink;
}

static void hex(const char *label, const void *p, size_t n)
{
	printf("%s ", label);
	for (size_t i = 0; i < n; i++)
		printf("%02x", ((const unsigned char *)p)[i]);
	printf("\n");
}

int main(void)
{
	union val v;
	memset(&v, 0, sizeof v);
	v.as_u64 = 0x0807060504030201UL;

	struct flags f;
	memset(&f, 0, sizeof f);
	f.a = 5;
	f.b = -11;
	f.c = 1;
	f.d = 65000;
	f.e = 0xabcdef1234UL;
	f.u.x = 0xdeadbeef;
	f.one = 1;
	f.full = 0xfedcba98;
	f.neg = -64;
	f.big = -(1L << 62);

	take_val(&v);
	take_flags(&f);

	union small s;
	memset(&s, 0, sizeof s);
	s.h = 0xbeef;

	struct flags e;
	memset(&e, 0, sizeof e);
	e.a = 7;
	e.b = -16;
	e.c = 1;
	e.d = 0xffff;
	e.e = 0xffffffffffUL;
	e.u.y = 0xbeef;
	e.one = 1;
	e.full = 0xffffffff;
	e.neg = -64;
	e.big = (1L << 62) - 1;

	hex("val", &v, sizeof v);
	hex("f", &f, sizeof f);
	hex("small", &s, sizeof s);
	hex("edge", &e, sizeof e);

	// ops: every one wraps or sign-extends at the edge of its field.
	long r[10];
	r[0] = e.a++;
	r[1] = (e.b -= 1);
	r[2] = e.neg--;
	r[3] = (e.full += 1);
	r[4] = (e.one ^= 1);
	r[5] = (e.big += 1);
	r[6] = (e.c = three);
	r[7] = (e.e += 2);
	e.u.x = 0x12345678;
	r[8] = e.u.y;
	r[9] = e.d;
	hex("after", &e, sizeof e);
	printf("r");
	for (int i = 0; i < 10; i++)
		printf(" %ld", r[i]);
	printf("\n");

	struct flags l;
	memset(&l, 0, sizeof l);
	l.a = 1;
	l.neg = f.neg;
	l.big = f.big;
	hex("loc", &l, sizeof l);
	return 0;
}
