#!/usr/bin/env node
// The bpftsc command. npm's prepare step builds dist/: the command line bundled with the
// loader (dist/bpftsc.cjs), loaded, with the compiler (dist/compiler.cjs) and the
// TypeScript compiler when a probe is compiled, through a V8 code cache
// (dist/code-cache.cjs).
// CommonJS (bin/package.json says so), with nothing but require(): an ES module entry
// would start Node's ESM loader, a few milliseconds of every run's start-up.
"use strict";
const { installCodeCache } = require("../dist/code-cache.cjs");

const cache = installCodeCache(process.argv.slice(2));
require("../dist/bpftsc.cjs").main(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
  cache.save();
});
