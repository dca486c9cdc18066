// Test support: a standard world for running probe code twice (IR reference, compiled BPF):
// a context buffer, one hash-map-like map "seen" with 8 u64 values (keys 0..7 exist), and
// helpers: 1 = map_lookup_elem(map, &key), 5 = a clock, 100..105 = pure functions of their
// 0..5 arguments (so argument order and values show in the result and the call log).

import type { IrFunction } from "../../../compiler/ir/ir.js";
import type { MachineCode } from "../../../compiler/backend/output.js";
import { Memory, runBpf, type Env, type RunResult } from "./machine.js";
import { runIr } from "./ir.js";

export const HELPER_ARITY: Record<number, number> = { 1: 2, 5: 0, 14: 0, 100: 0, 101: 1, 102: 2, 103: 3, 104: 4, 105: 5 };

export function mix(id: number, args: bigint[]): bigint {
  let h = BigInt(id) * 0x9e3779b97f4a7c15n;
  args.forEach((a, k) => { h = BigInt.asUintN(64, (h ^ a) * 0x100000001b3n + BigInt(k + 1)); });
  return h;
}

export function makeEnv(ctxBytes: Uint8Array, mapValues?: BigUint64Array): Env {
  const mem = new Memory();
  const ctx = mem.add("ctx", ctxBytes.slice());
  const values = new Uint8Array(64);
  if (mapValues) new DataView(values.buffer).setBigUint64(0, mapValues[0] ?? 0n, true);
  const seen = mem.add("map seen", values);
  let clock = 1000n;
  return {
    mem,
    ctx,
    maps: new Map([["seen", seen]]),
    helpers: {
      arity: HELPER_ARITY,
      call(id, args, m) {
        if (id === 1) {
          const key = m.read(args[1]!, 8);
          return key < 8n ? args[0]! + 8n * key : 0n;
        }
        if (id === 5) return (clock += 1000n);
        if (id === 14) return (4321n << 32n) | 1234n; // bpf_get_current_pid_tgid: tgid, pid
        return mix(id, args);
      },
    },
  };
}

/** Context bytes holding the given u64 values at offsets 0, 8, 16, ... */
export function ctxOf(...values: bigint[]): Uint8Array {
  const bytes = new Uint8Array(Math.max(8, values.length * 8));
  const dv = new DataView(bytes.buffer);
  values.forEach((v, k) => dv.setBigUint64(8 * k, BigInt.asUintN(64, v), true));
  return bytes;
}

/** Runs the IR and the machine code in identical fresh worlds; both results. */
export function runBoth(ir: IrFunction, mc: MachineCode, ctxBytes: Uint8Array): { ir: RunResult; bpf: RunResult } {
  return { ir: runIr(ir, makeEnv(ctxBytes)), bpf: runBpf(mc, makeEnv(ctxBytes)) };
}
