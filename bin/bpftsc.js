#!/usr/bin/env node
// The bpftsc command: runs the compiled CLI (npm's prepare step builds dist/).
import { main } from "../dist/compiler/cli.js";
process.exitCode = main(process.argv.slice(2));
