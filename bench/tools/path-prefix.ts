// Tool twin: a string-prefix check on a user-space path, as a filter in opensnoop-like
// tools: how many of the workload's open_path(path, flags) calls are under /tmp/.
// The language has no indexing of a string read with readStr(), so the prefix is read
// byte by byte through the pointer (one probe read each).
import { uprobe, ArrayMap, type u8, type u64, type Ptr, type FixedArray } from "bpftsc";

const WORKLOAD = "@WORKLOAD@";

interface PathHead {
  c: FixedArray<u8, 5>;
}

const counts = new ArrayMap<u64>(2);

export const onOpenPath = uprobe(WORKLOAD, "open_path", (path: Ptr<PathHead>) => {
  // "/tmp/": 47 116 109 112 47
  const underTmp = path.c[0] === 47 && path.c[1] === 116 && path.c[2] === 109 && path.c[3] === 112 && path.c[4] === 47;
  counts.add(underTmp ? 1 : 0, 1);
});
