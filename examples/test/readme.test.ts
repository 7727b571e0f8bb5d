// The console excerpts the docs show must be what `pnpm start` prints today: every line of
// examples/README.md's excerpt and of the tour's `pte` example is a line of the demo's console
// (an excerpt skips lines, marked "…", but never changes one).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { DEMO_SCRIPT } from "../src/boot.js";
import { demoConsole } from "../src/browser-check.js";

const read = (rel: string) => readFileSync(fileURLToPath(new URL(rel, import.meta.url)), "utf8");

/** The fenced blocks of a Markdown text that name no language (console transcripts). */
function plainBlocks(md: string): string[] {
  const blocks: string[] = [];
  let open: { plain: boolean; lines: string[] } | null = null;
  for (const line of md.split("\n")) {
    if (!line.startsWith("```")) {
      open?.lines.push(line);
    } else if (open === null) {
      open = { plain: line === "```", lines: [] };
    } else {
      if (open.plain) blocks.push(open.lines.join("\n"));
      open = null;
    }
  }
  return blocks;
}

let lines: Set<string>;
beforeAll(() => {
  lines = new Set(demoConsole(read(DEMO_SCRIPT)).split("\n"));
});

/** Every line of `block` that is not an elision is a line of the demo's console. */
function expectExcerpt(block: string): void {
  const shown = block.split("\n").filter((l) => l !== "" && l !== "…");
  expect(shown.length).toBeGreaterThan(5);
  expect(shown.filter((l) => !lines.has(l))).toEqual([]);
}

describe("console excerpts in the docs", () => {
  it("examples/README.md's excerpt of pnpm start", () => {
    const block = plainBlocks(read("../README.md")).find((b) => b.includes("---- summary ----"));
    expect(block).toBeDefined();
    expectExcerpt(block!);
  });

  it("the tour's pte example", () => {
    const block = plainBlocks(read("../../docs/tour-lunaix.md")).find((b) => b.startsWith("$ pte "));
    expect(block).toBeDefined();
    expectExcerpt(block!);
  });
});
