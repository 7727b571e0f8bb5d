import { describe, expect, it } from "vitest";
import { hwWalkthrough } from "../src/hw-walkthrough.js";

describe("hw-x86 walkthrough (part of pnpm start)", () => {
  const lines: string[] = [];
  hwWalkthrough((l) => lines.push(l));
  const text = lines.join("\n");

  it("translates the heap address to its frame plus offset", () => {
    expect(text).toContain("result: pa 0x345abc");
  });

  it("hits the TLB on the second access to the page", () => {
    expect(text).toContain("a second access to the page: TLB hit, no walk");
  });

  it("shows the stale translation before invlpg and the #PF after it", () => {
    expect(text).toContain("without invlpg, a user write is still: ok (stale TLB entry)");
    expect(text).toMatch(/after invlpg: #PF, CR2=0x7f1234567000, error code 0x7 /);
  });

  it("reports a non-canonical address as #GP, not #PF", () => {
    expect(text).toContain("general-protection (vector 13, not a #PF)");
  });

  it("prints the same lines on every run (deterministic)", () => {
    const again: string[] = [];
    hwWalkthrough((l) => again.push(l));
    expect(again).toEqual(lines);
  });
});
