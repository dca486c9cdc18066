// Uprobe target: structs passed by pointer. A linked list of four nodes and a record with
// one field of every integer width. Built at test time with `gcc -g -O0`;
// the values main() passes are in test/harness/targets/expected.ts.
#include <stdio.h>

#define PROBED __attribute__((noinline, noipa, used))

struct node {
	long value;
	struct node *next;
};

// C layout on x86-64: c 0, s 2, i 4, l 8, uc 16, us 18, ui 20, ul 24; size 32.
struct rec {
	char c;
	short s;
	int i;
	long l;
	unsigned char uc;
	unsigned short us;
	unsigned int ui;
	unsigned long ul;
};

volatile long sink;

PROBED long sum_list(struct node *head)
{
	long sum = 0;
	for (struct node *n = head; n; n = n->next)
		sum += n->value;
	sink += sum;
	return sum;
}

PROBED long take_rec(const struct rec *r)
{
	sink += r->c + r->s + r->i + r->l + r->uc + r->us + (long)r->ui + (long)r->ul;
	return sink;
}

int main(void)
{
	struct node n4 = { 44, NULL };
	struct node n3 = { 33, &n4 };
	struct node n2 = { -22, &n3 };
	struct node n1 = { 11, &n2 };
	struct rec r = { -3, -1000, -100000, -10000000000L, 250, 65535, 4294967295u,
			 0xfedcba9876543210UL };
	long s = sum_list(&n1);
	take_rec(&r);
	printf("sum_list %ld\n", s);
	return 0;
}
