import { defineConfig } from "vitest/config";

// Kernel tests build C targets and load programs into the verifier: allow them time.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    include: ["test/**/*.test.ts"],
  },
});
