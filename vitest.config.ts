// One vitest configuration for the whole workspace. Each package (and examples/) is an inline
// project that extends this root, so the source export condition below reaches every project
// (glob projects would not inherit it; see ../shared/TOOLCHAIN.md, pitfall 6). Tests therefore run
// on `src/` with no build step. Benchmarks (`*.bench.ts`) run only under `pnpm bench`.
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));
const pkgs = readdirSync(`${root}packages`, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(`${root}packages/${d.name}/package.json`))
  .map((d) => d.name);
const projects = pkgs.map((name) => ({
  extends: true as const,
  test: { name, root: `${root}packages/${name}` },
}));
if (existsSync(`${root}examples/package.json`)) {
  projects.push({ extends: true as const, test: { name: "examples", root: `${root}examples` } });
}

export default defineConfig({
  ssr: { resolve: { conditions: ["@osbricks/source"] } },
  test: {
    root,
    projects,
    // Property and model-based suites are CPU-bound; 2 cores are shared by every project.
    testTimeout: 60_000,
    // One fixed fast-check seed for every property unless FC_SEED says otherwise (see the file).
    setupFiles: [`${root}vitest.setup.ts`],
    hookTimeout: 60_000,
  },
});
