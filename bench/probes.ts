// The probes the benchmark compares, each a bpftsc probe and its libbpf-style C twin:
//   - the examples, examples/<name>.ts and bench/c/<name>.bpf.c;
//   - the tool twins, bench/tools/<name>.ts and bench/tools/<name>.bpf.c, shaped like
//     libbpf-tools (histograms, ring-buffer records, struct keys, list walks, ...), whose
//     uprobes attach to the event workload: its path replaces @WORKLOAD@ in both, in the
//     copies written to bench/.build/tools/.
// In: the repository, the workload's path. Out: the pairs, paths of both sources.

import * as fs from "node:fs";
import * as path from "node:path";

export interface ProbePair {
  name: string;
  group: "example" | "tool";
  ts: string;
  c: string;
}

const PLACEHOLDER = /@WORKLOAD@/g;

export function probePairs(repo: string, build: string, workload: string): ProbePair[] {
  const pairs: ProbePair[] = [];
  const examples = path.join(repo, "examples");
  for (const f of fs.readdirSync(examples).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).sort()) {
    const name = f.slice(0, -3);
    pairs.push({ name, group: "example", ts: path.join(examples, f), c: path.join(repo, "bench", "c", `${name}.bpf.c`) });
  }
  const tools = path.join(repo, "bench", "tools");
  const out = path.join(build, "tools");
  fs.mkdirSync(out, { recursive: true });
  for (const f of fs.readdirSync(tools).filter((f) => f.endsWith(".ts")).sort()) {
    const name = f.slice(0, -3);
    const copy = (from: string): string => {
      const to = path.join(out, path.basename(from));
      fs.writeFileSync(to, fs.readFileSync(from, "utf8").replace(PLACEHOLDER, workload));
      return to;
    };
    pairs.push({ name, group: "tool", ts: copy(path.join(tools, f)), c: copy(path.join(tools, `${name}.bpf.c`)) });
  }
  return pairs;
}
