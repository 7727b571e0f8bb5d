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

/**
 * What the snippets print, where their comments promise a value: the comment beside each
 * `console.log` is part of the documentation, so it is checked too (a matcher per printed line).
 */
const printed: Record<string, readonly unknown[][]> = {
  frames: [
    [expect.stringMatching(/^Node 0, zone {3}Normal {6}1 {6}1 /)],
    [expect.any(Number)], // the unusable-free-space index, a share
  ],
  slab: [[expect.objectContaining({ partialSlabs: 1, fullSlabs: 0, emptySlabs: 0, objectsInUse: 2 })]],
  pagetree: [[42], [true], [11], [7, 0], [6], ["free frame", 0]],
  vrange: [[expect.stringMatching(/^Node 0, zone {2}Virtual /)], [expect.any(Array)]],
  laws: [],
};

describe("README snippets", () => {
  for (const [name, run] of Object.entries(snippets)) {
    it(`${name}.ts runs, prints what its comments say, and is quoted in the README`, async () => {
      const source = readFileSync(here(`readme/${name}.ts`), "utf8");
      expect(readme).toContain(source.trim());
      const log = vi.spyOn(console, "log").mockImplementation(() => {});
      try {
        await run();
        expect(log.mock.calls).toEqual(printed[name]);
      } finally {
        log.mockRestore();
      }
    });
  }
});
