// Bundles the command line (cli/main.ts) with the compiler and the loader into one
// minified CommonJS file, dist/bpftsc.cjs. Loaded with require() (not through Node's ESM
// loader, which would re-parse typescript.js to detect its format and lex its exports)
// and with a V8 code cache (cli/code-cache.ts, bundled on its own into
// dist/code-cache.cjs for bin/bpftsc.js to require before the bundle), it starts in a
// fraction of the time.
// Outside it, found at run time from the package's node_modules (require from dist/
// resolves them there): koffi, which loads a native .node file of its own, and
// typescript, required only when a probe is compiled, so that a `bpftsc run` whose
// object is cached neither reads nor deserializes its 9 MB.
import { build } from "esbuild";

await build({
  entryPoints: ["cli/main.ts"],
  outfile: "dist/bpftsc.cjs",
  bundle: true,
  minify: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["koffi", "typescript"],
  // import.meta.url has no CommonJS meaning: give it the bundle's own URL.
  define: { "import.meta.url": "__bpftsc_import_meta_url" },
  banner: { js: "const __bpftsc_import_meta_url = require('url').pathToFileURL(__filename).href;" },
  logLevel: "warning",
});

await build({
  entryPoints: ["cli/code-cache.ts"],
  outfile: "dist/code-cache.cjs",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  logLevel: "warning",
});
