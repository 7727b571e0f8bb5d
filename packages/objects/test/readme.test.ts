import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("README example", () => {
  it("is the file test/readme-example.ts, verbatim", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const example = readFileSync(new URL("./readme-example.ts", import.meta.url), "utf8");
    expect(readme).toContain(example.trim());
  });

  it("runs and does what the README says", async () => {
    const ex = await import("./readme-example.js");
    expect(ex.denied.kind).toBe("access-denied");
    expect(ex.start.kind).toBe("blocked");
    expect(ex.wakes).toEqual([{ kind: "satisfied", index: 0, observed: [0x100] }]);
    expect(ex.revoked).toEqual({ kind: "ok", revoked: 1 });
    expect(ex.after).toMatchObject({ kind: "bad-handle", reason: "stale" });
  });
});
