// The guest itself: it runs the downloaded package's kernel, and the BTF extracted from
// that package's vmlinuz (which the other checks compile against) is the kernel's own.

import { expect } from "vitest";
import type { GuestCheck } from "../suite.js";

export const kernelChecks: GuestCheck[] = [
  {
    title: "runs the package's kernel, whose /sys/kernel/btf/vmlinux is the BTF extracted on the host",
    prepare(ctx) {
      const uname = ctx.command("uname", ["uname", "-r"]);
      const btf = ctx.command("btf", ["cmp", ctx.kernel.btf, "/sys/kernel/btf/vmlinux"]);
      return (run) => {
        expect(uname(run).stdout.trim()).toBe(ctx.kernel.release);
        const r = btf(run);
        expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      };
    },
  },
];
