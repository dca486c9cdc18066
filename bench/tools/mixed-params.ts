// Tool twin: eight parameters of eight widths and signednesses, the last two passed on
// the stack (x86-64 has six argument registers): the workload's mixed(a, ..., h). The
// last call's arguments are kept, and their sum added up.
import { uprobe, ArrayMap, type i8, type i16, type i32, type i64, type u8, type u16, type u32, type u64 } from "bpftsc";

const WORKLOAD = "@WORKLOAD@";

interface Args {
  a: i8;
  b: u16;
  c: i32;
  d: u64;
  e: i16;
  f: u8;
  g: i64;
  h: u32;
}

const last = new ArrayMap<Args>(1);
const total = new ArrayMap<u64>(1);

export const onMixed = uprobe(WORKLOAD, "mixed", (a: i8, b: u16, c: i32, d: u64, e: i16, f: u8, g: i64, h: u32) => {
  last.set(0, { a, b, c, d, e, f, g, h });
  total.add(0, a + b + c + d + e + f + g + h);
});
