// Bundles the CLI with the TypeScript compiler into one minified CommonJS file,
// dist/bpftsc.cjs. Loaded with require() (not through Node's ESM loader, which would
// re-parse typescript.js to detect its format and lex its exports) and with a V8 code
// cache (compiler/code-cache.ts), it starts in a fraction of the time.
import { build } from "esbuild";

await build({
  entryPoints: ["compiler/cli.ts"],
  outfile: "dist/bpftsc.cjs",
  bundle: true,
  minify: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  // import.meta.url has no CommonJS meaning: give it the bundle's own URL.
  define: { "import.meta.url": "__bpftsc_import_meta_url" },
  banner: { js: "const __bpftsc_import_meta_url = require('url').pathToFileURL(__filename).href;" },
  logLevel: "warning",
});
