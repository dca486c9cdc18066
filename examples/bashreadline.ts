// bashreadline: print the command lines bash reads, as they are entered, from every
// interactive bash on the machine.
//
// A port of iovisor/bcc libbpf-tools/bashreadline.bpf.c (and bashreadline.h): a uretprobe
// on bash's readline() reads the line it returns from user memory, for tasks named
// "bash".
//
//   bpftsc run examples/bashreadline.ts
//
// Differences from the original, and why:
// - The binary is fixed when the probe is compiled: /bin/bash, where Debian's bash links
//   readline in statically and exports it. The original's user space finds readline in
//   the bash binary or in libreadline.so (-s PATH) at run time; a bpftsc probe point is a
//   constant of the source.
// - The line goes through a ring buffer, not a perf buffer: as libbpf-tools'
//   compat.bpf.h picks one where the kernel has it (5.8+): one buffer for all CPUs, records
//   in order.
import { uretprobe, RingBuf, pid, comm, readStrInto, type u32, type u64, type Chars } from "bpftsc";

/** struct str_t */
interface Line {
  pid: u32;
  str: Chars<80>;
}

export const events = new RingBuf<Line>(1 << 16);

export const printret = uretprobe("/bin/bash", "readline", (ret: u64) => {
  if (ret === 0) return;
  const c: Chars<16> = comm();
  if (c[0] !== "b" || c[1] !== "a" || c[2] !== "s" || c[3] !== "h" || c[4] !== "\0") return;
  const line: Line = { pid: pid(), str: "" };
  if (readStrInto(line.str, 0, ret, 80) < 0) return; // a line that cannot be read is dropped
  events.output(line);
});
