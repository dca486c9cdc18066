// The probed architectures bpftsc knows, by name.
// In: an architecture's name ("x86_64", "arm64", or an alias such as Node's "x64"), or
// nothing for the host's; or an ELF e_machine. Out: its Target, or undefined when bpftsc
// does not know it.

import type { Target } from "./target.js";
import { arm64 } from "./arm64.js";
import { x86_64 } from "./x86_64.js";

export type { AbiMember, AbiType, ArgPlace, Register, Target } from "./target.js";

const TARGETS: readonly Target[] = [x86_64, arm64];

/** The Target called `name` (default: the host's architecture, process.arch). */
export function targetFor(name: string = process.arch): Target | undefined {
  return TARGETS.find((t) => t.name === name || t.aliases.includes(name));
}

/** The Target whose binaries have this ELF e_machine, for messages. */
export function targetOfMachine(machine: number): Target | undefined {
  return TARGETS.find((t) => t.elfMachine === machine);
}

/** The names targetFor knows, for messages. */
export function targetNames(): string[] {
  return TARGETS.map((t) => t.name);
}
