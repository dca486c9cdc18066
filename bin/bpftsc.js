#!/usr/bin/env node
// The bpftsc command. npm's prepare step builds dist/: the command line bundled with the
// compiler and the loader (dist/bpftsc.cjs), loaded, with the TypeScript compiler when
// a probe is compiled, through a V8 code cache.
import { createRequire } from "node:module";
import { installCodeCache, isTypeScript } from "../dist/cli/code-cache.js";

const cache = installCodeCache((file) => file.endsWith("bpftsc.cjs") || isTypeScript(file));
const { main } = createRequire(import.meta.url)("../dist/bpftsc.cjs");
process.exitCode = await main(process.argv.slice(2));
cache.save();
