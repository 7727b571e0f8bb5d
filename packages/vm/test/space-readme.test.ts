// "Docs that run" for the address-space half of the README: every snippet lives in
// test/space-readme/*.ts; this test runs each one and checks that the README quotes it verbatim.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const readme = readFileSync(here("../README.md"), "utf8");

const snippets: Record<string, () => Promise<unknown>> = {
  objects: () => import("./space-readme/objects.js"),
  space: () => import("./space-readme/space.js"),
  cow: () => import("./space-readme/cow.js"),
  stacks: () => import("./space-readme/stacks.js"),
  gather: () => import("./space-readme/gather.js"),
};

describe("README snippets (VM objects, COW, address spaces, kernel stacks)", () => {
  for (const [name, run] of Object.entries(snippets)) {
    it(`${name}.ts runs and is quoted in the README`, async () => {
      const source = readFileSync(here(`space-readme/${name}.ts`), "utf8");
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
