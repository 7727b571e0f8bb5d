// The README's example, verbatim between the markers, so that the README cannot drift from the code.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("README", () => {
  it("the 20-line example runs and prints what the README says", async () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const code = /<!-- example:start -->\s*```ts\n([\s\S]*?)```\s*<!-- example:end -->/.exec(readme)?.[1];
    expect(code).toBeDefined();
    const example = await import("./readme-example.js");
    const lines = await example.run();
    expect(lines).toEqual(["server got 41 with label 7", "client got 42"]);
    // The file the test runs is the README's code with imports from the source tree.
    const source = readFileSync(new URL("./readme-example.ts", import.meta.url), "utf8");
    const body = source.slice(
      source.indexOf("// example:start") + "// example:start".length,
      source.indexOf("// example:end"),
    );
    const norm = (s: string) => s.replace(/\s+/g, " ").trim();
    expect(norm(body)).toBe(norm(code!.replace(/^import[^\n]*\n/m, "").replaceAll("console.log(", "log(")));
  });
});
