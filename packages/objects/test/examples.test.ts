// Docs that run (STYLE.md 18): every ```ts block under an @example tag in src/ is transpiled and
// executed against the real package. Examples are self-contained, except for the names a reader
// meets in the surrounding contract (a scheduler, a thread id, a channel), which the prelude
// below provides.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import * as objects from "../src/index.js";
import * as laws from "../src/laws/index.js";

const SRC = new URL("../src", import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : [],
  );
}

function examples(): { where: string; code: string }[] {
  const out: { where: string; code: string }[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    const re = /@example\s*\n\s*\*\s*```ts\n([\s\S]*?)\n\s*\*\s*```/g;
    for (const m of text.matchAll(re)) {
      const code = m[1]!.replace(/^\s*\* ?/gm, "");
      const line = text.slice(0, m.index).split("\n").length;
      out.push({ where: `${file.slice(SRC.length + 1)}:${line}`, code });
    }
  }
  return out;
}

/** Names an example may use without defining: the context its contract talks about. */
function prelude(): Record<string, unknown> {
  const space = new objects.ObjectSpace();
  const channelType = space.defineType({ name: "chan", signals: ["readable"] });
  const channel = new objects.KernelObject(space, channelType);
  const host = new objects.SimulatedWaitHost();
  const blocked: number[] = [];
  const resumed: number[] = [];
  return {
    ...objects,
    ...laws,
    host,
    tid: 1,
    channel,
    READABLE: channelType.signal("readable"),
    scheduler: { block: (tid: number) => blocked.push(tid) },
    resume: (tid: number) => resumed.push(tid),
    it: (_name: string, _fn: () => void) => {}, // law suites are run by laws.test.ts
  };
}

describe("every @example in src/ runs", () => {
  const all = examples();
  it("finds the examples", () => expect(all.length).toBeGreaterThanOrEqual(9));
  for (const { where, code } of all) {
    it(where, () => {
      const js = ts.transpileModule(code, {
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      }).outputText;
      const env = prelude();
      // A nested block lets an example declare names the prelude also provides.
      const run = new Function(...Object.keys(env), `{\n${js}\n}`);
      run(...Object.values(env));
    });
  }
});
