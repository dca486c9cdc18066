#!/usr/bin/env node
// The bpftsc command. npm's prepare step builds dist/: the command line bundled with the
// compiler, the loader and the TypeScript compiler (dist/bpftsc.cjs), loaded through a V8
// code cache.
import { createRequire } from "node:module";
import { installCodeCache } from "../dist/cli/code-cache.js";

const cache = installCodeCache((file) => file.endsWith("bpftsc.cjs"));
const { main } = createRequire(import.meta.url)("../dist/bpftsc.cjs");
process.exitCode = await main(process.argv.slice(2));
cache.save();
