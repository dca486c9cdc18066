// The formats bpf_trace_printk accepts (kernel/bpf/helpers.c, bpf_bprintf_prepare), checked
// at compile time against the values printed: each conversion is one of %d %i %u %x %X
// %o %c %p with an optional l or ll (or %%, which prints nothing), there are as many as
// values, and a value of 8 bytes is printed with l or ll (a plain %d prints its low half).
// In: the format text and the values' sizes (8 for pointers). Out: nothing, an error
// message for a format the kernel would refuse, or warnings for values cut short.

export interface FormatCheck { error?: string; warnings: string[] }

const CONVERSION = /%(%|(l{0,2})([diuxXocp])|.?)/g;

export function checkPrintkFormat(format: string, valueSizes: number[]): FormatCheck {
  const warnings: string[] = [];
  let n = 0;
  for (const m of format.matchAll(CONVERSION)) {
    if (m[1] === "%") continue;
    if (m[3] === undefined) return { error: `'%${m[1]}' is not a conversion bpf_trace_printk knows: use %d %i %u %x %X %o %c or %p, with l or ll for 64 bits`, warnings };
    const size = valueSizes[n];
    if (size === undefined) return { error: `the format has more conversions than the ${valueSizes.length} value${valueSizes.length === 1 ? "" : "s"} after it`, warnings };
    if (size === 8 && m[2] === "" && m[3] !== "p" && m[3] !== "c") warnings.push(`value ${n + 1} has 64 bits; '%${m[3]}' prints its low 32 (write %l${m[3]})`);
    n++;
  }
  if (n < valueSizes.length) return { error: `the format has ${n} conversion${n === 1 ? "" : "s"} for ${valueSizes.length} values`, warnings };
  return { warnings };
}
