// Tool twin: a walk along a linked list in the probed process's memory, one read per
// pointer hop, at most 16 nodes: the workload's walk(head) sums node values.
import { uprobe, ArrayMap, type u32, type u64, type Ptr } from "bpftsc";

const WORKLOAD = "@WORKLOAD@";
const MAX_NODES = 16;

interface Node {
  next: Ptr<Node>;
  value: u64;
}

const totals = new ArrayMap<u64>(2);

export const onWalk = uprobe(WORKLOAD, "walk", (head: Ptr<Node>) => {
  let sum: u64 = 0;
  let nodes: u64 = 0;
  let n = head;
  for (let i: u32 = 0; i < MAX_NODES && n; i++) {
    sum += n.value;
    nodes += 1;
    n = n.next;
  }
  totals.add(0, sum);
  totals.add(1, nodes);
});
