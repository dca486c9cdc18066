#!/usr/bin/env node
// The bpftsc command. npm's prepare step builds dist/: the CLI bundled with the
// TypeScript compiler (dist/bpftsc.cjs), loaded through a V8 code cache.
import { createRequire } from "node:module";
import { installCodeCache } from "../dist/compiler/code-cache.js";

const cache = installCodeCache((file) => file.endsWith("bpftsc.cjs"));
const { main } = createRequire(import.meta.url)("../dist/bpftsc.cjs");
process.exitCode = main(process.argv.slice(2));
cache.save();
