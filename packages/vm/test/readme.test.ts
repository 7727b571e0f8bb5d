// "Docs that run": every snippet of the package README lives in test/readme/*.ts. This test
// executes each one and checks that the README shows it verbatim (the file after its imports).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const readme = readFileSync(here("../README.md"), "utf8");

const snippets: Record<string, () => Promise<unknown>> = {
  frames: () => import("./readme/frames.js"),
  slab: () => import("./readme/slab.js"),
  pagetree: () => import("./readme/pagetree.js"),
  vrange: () => import("./readme/vrange.js"),
  laws: () => import("./readme/laws.js"),
};

describe("README snippets", () => {
  for (const [name, run] of Object.entries(snippets)) {
    it(`${name}.ts runs and is quoted in the README`, async () => {
      const source = readFileSync(here(`readme/${name}.ts`), "utf8");
      expect(readme).toContain(source.trim());
      const log = vi.spyOn(console, "log").mockImplementation(() => {});
      try {
        await run();
      } finally {
        log.mockRestore();
      }
    });
  }
});
