#!/bin/sh
":" //; [ "${NODE_EXTRA_CA_CERTS+set}" ] && export BPFTSC_NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS" && unset NODE_EXTRA_CA_CERTS; exec node "$0" "$@"
// The bpftsc command. npm's prepare step builds dist/: the command line bundled with the
// loader (dist/bpftsc.cjs), loaded, with the compiler (dist/compiler.cjs) and the
// TypeScript compiler when a probe is compiled, through a V8 code cache
// (dist/code-cache.cjs).
// Run as a command, this file is a shell script first: its second line, to sh the
// command `:` and an exec of `node` on this same file (to JavaScript a string and a
// comment), starts Node without NODE_EXTRA_CA_CERTS, whose certificates Node would
// otherwise parse at every start, before any JavaScript runs (30-50 ms). bpftsc makes
// no TLS connection; the value travels in BPFTSC_NODE_EXTRA_CA_CERTS and is put back
// below, so every process bpftsc starts (the -c command) gets the environment it was
// given. `node bin/bpftsc.js` skips the shell and runs as given.
// CommonJS (bin/package.json says so), with nothing but require(): an ES module entry
// would start Node's ESM loader, a few milliseconds of every run's start-up.
"use strict";
// V8 optimizes a function once it has run some 66 KB of bytecode (Node 20's default),
// which in a run of a second or two means optimizing, on the second core, hundreds of
// functions of the TypeScript checker and of the compiler that will not run long enough
// to pay for it: a 1,000-statement probe took twice its single-thread time in CPU.
// A budget 7 times larger leaves that to the functions that run longest, and makes a
// large compile faster, a small one no slower. Set before any bundle is loaded: the code
// cache is made and checked under the same flags.
require("node:v8").setFlagsFromString("--interrupt-budget=500000");
if (process.env.BPFTSC_NODE_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.BPFTSC_NODE_EXTRA_CA_CERTS;
  delete process.env.BPFTSC_NODE_EXTRA_CA_CERTS;
}
const { installCodeCache } = require("../dist/code-cache.cjs");

const cache = installCodeCache(process.argv.slice(2));
require("../dist/bpftsc.cjs").main(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
  cache.save();
});
