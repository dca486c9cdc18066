// The verifier's limits on BPF-to-BPF calls, checked on compiled code: the stack of every
// frame on a chain of calls adds up (each frame rounded up to 32 bytes, at least 32) to at
// most 512 bytes, and a chain has at most 8 frames (kernel/bpf/verifier.c,
// check_max_stack_depth and MAX_CALL_FRAMES).
// In: the compiled functions by symbol (stack size, callees) and a program's symbol.
// Out: the worst chain from the program: its frames and combined stack.

export const MAX_COMBINED_STACK = 512;
export const MAX_CALL_FRAMES = 8;

export interface CompiledFrame { stackSize: number; callees: string[] }

export interface CallChain { frames: string[]; stack: number }

function frameCost(stackSize: number): number {
  return Math.ceil(Math.max(stackSize, 1) / 32) * 32;
}

/** The chains of calls from `root` with the most stack and with the most frames.
 *  Functions cannot recurse (the frontend refuses cycles), so the walk ends. */
export function worstChains(functions: ReadonlyMap<string, CompiledFrame>, root: string): { byStack: CallChain; byFrames: CallChain } {
  return {
    byStack: worst(functions, root, (a, b) => a.stack > b.stack),
    byFrames: worst(functions, root, (a, b) => a.frames.length > b.frames.length),
  };
}

function worst(functions: ReadonlyMap<string, CompiledFrame>, root: string, worse: (a: CallChain, b: CallChain) => boolean): CallChain {
  const memo = new Map<string, CallChain>();
  const walk = (name: string): CallChain => {
    const known = memo.get(name);
    if (known) return known;
    const f = functions.get(name)!;
    let tail: CallChain = { frames: [], stack: 0 };
    for (const c of new Set(f.callees)) {
      const sub = walk(c);
      if (worse(sub, tail)) tail = sub;
    }
    const chain = { frames: [name, ...tail.frames], stack: frameCost(f.stackSize) + tail.stack };
    memo.set(name, chain);
    return chain;
  };
  return walk(root);
}
