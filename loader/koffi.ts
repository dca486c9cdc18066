// koffi, loaded past its own loader where that is safe: koffi's index.cjs first works out
// the platform's C library by reading Node's ELF headers, then requires its prebuilt
// koffi.node, 6 ms of every `bpftsc run`'s start where requiring koffi.node alone takes 1.5.
// In: nothing. Out: loadKoffi(), the koffi module: on Linux, the glibc koffi.node of
// koffi's package for this architecture (@koromix/koffi-linux-<arch>, as npm installs it
// beside koffi) when it is the koffi version bpftsc's package.json depends on; otherwise,
// or when it does not load (a musl system), require("koffi").

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type Koffi from "koffi";
import { packageRoot } from "../compiler/package-root.js";

export type KoffiModule = typeof Koffi;

const requireHere = createRequire(import.meta.url);

export function loadKoffi(): KoffiModule {
  if (process.platform === "linux") {
    try {
      const prebuilt = dirname(requireHere.resolve(`@koromix/koffi-linux-${process.arch}/package.json`));
      const native = requireHere(join(prebuilt, `linux_${process.arch}`, "koffi.node")) as KoffiModule;
      const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { dependencies: Record<string, string> };
      if (native.version === pkg.dependencies.koffi) return native;
    } catch {
      // not where koffi 3 puts it, or not a glibc system: koffi's own loader
    }
  }
  return requireHere("koffi") as KoffiModule;
}
