// Bundles the command line into minified CommonJS files, loaded with require() (not
// through Node's ESM loader, which would re-parse typescript.js to detect its format and
// lex its exports) and with a V8 code cache (cli/code-cache.ts, bundled on its own into
// dist/code-cache.cjs for bin/bpftsc.js to require first), so that they start in a
// fraction of the time:
//   - dist/bpftsc.cjs: the command line (cli/main.ts) and the loader, all `bpftsc run`
//     needs when its object is in the compile cache;
//   - dist/compiler.cjs: the compiler and the compile and types commands, required where
//     the sources import them dynamically (cli/main.ts, cli/compile-cache.ts,
//     loader/object.ts's open()), so that such a run neither reads nor deserializes the
//     compiler. It has copies of the few modules both use (diagnostics, the ELF and BTF
//     readers), which keep no state.
//   - dist/backend-worker.cjs: the IR clean-up and the backend, for the worker thread
//     that compiles some functions of a large probe file beside the type check.
// In all three, loops over arrays are indexed loops (indexed-loops.mjs): most of a
// compile runs before V8 optimizes it, and unoptimized code steps a for-of through the
// array's iterator.
// Outside them, found at run time from the package's node_modules (require from dist/
// resolves them there): koffi, which loads a native .node file of its own, and
// typescript, required by the compiler, so that a cached run does not read its 9 MB
// either.
import { resolve } from "node:path";
import { build } from "esbuild";
import { indexedLoops, indexedLoopsPlugin } from "./indexed-loops.mjs";

/** The three bundles' loops over arrays, indexed (indexed-loops.mjs). */
const loops = indexedLoopsPlugin(indexedLoops("tsconfig.build.json"));

/** `import ts from "typescript"` in each of the compiler's modules as one require of it:
 *  esbuild would otherwise give each importing module its own ESM view of the CommonJS
 *  module, copying every one of TypeScript's thousands of exports (27 copies: 25 ms of
 *  every compile). */
const oneTypescript = {
  name: "one-typescript",
  setup(b) {
    b.onResolve({ filter: /^typescript$/ }, (args) => (args.namespace === "one-typescript" ? { path: "typescript", external: true } : { path: "typescript", namespace: "one-typescript" }));
    b.onLoad({ filter: /.*/, namespace: "one-typescript" }, () => ({ contents: "const ts = require(\"typescript\");\nexport default ts;\n", loader: "js" }));
  },
};

const common = {
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
};

/** The modules dist/compiler.cjs exports, by source file. */
const COMPILER = { "compiler/compile.ts": "compile", "cli/compile.ts": "compileMain", "cli/types.ts": "typesMain" };
const inCompiler = new Set(Object.keys(COMPILER).map((f) => resolve(f)));

await build({
  ...common,
  entryPoints: ["cli/main.ts"],
  outfile: "dist/bpftsc.cjs",
  // A dynamic import() of one of them becomes a require() of the compiler's bundle.
  supported: { "dynamic-import": false },
  plugins: [loops, {
    name: "compiler-bundle",
    setup(b) {
      b.onResolve({ filter: /\.js$/ }, (args) => {
        if (args.kind !== "dynamic-import" || !inCompiler.has(resolve(args.resolveDir, args.path.replace(/\.js$/, ".ts")))) return undefined;
        return { path: "./compiler.cjs", external: true };
      });
    },
  }],
});

await build({
  ...common,
  stdin: {
    contents: Object.entries(COMPILER).map(([file, name]) => `export { ${name} } from "./${file}";`).join("\n"),
    resolveDir: resolve("."),
    loader: "ts",
  },
  outfile: "dist/compiler.cjs",
  plugins: [oneTypescript, loops],
});

// The backend worker (compiler/backend-pool.ts starts it from beside dist/compiler.cjs).
await build({ ...common, entryPoints: ["compiler/backend-worker.ts"], outfile: "dist/backend-worker.cjs", plugins: [loops] });

await build({
  entryPoints: ["cli/code-cache.ts"],
  outfile: "dist/code-cache.cjs",
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  logLevel: "warning",
});
