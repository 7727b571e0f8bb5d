import { describe, expect, it } from "vitest";
import { hwWalkthrough } from "../src/hw-walkthrough.js";

describe("hw-x86 walkthrough (pnpm run walkthrough)", () => {
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

  it("prints the flush obligation's address in hex", () => {
    expect(text).toContain('returned the obligation: {"kind":"page","va":"0x7f1234567000"');
  });

  it("shows why the framebuffer is mapped WC: PAT WC over MTRR UC (SDM Table 11-7)", () => {
    expect(text).toMatch(/RAM page +0x345000: MTRR WB; PTE bits 0x0 select PA0 = WB; effective WB/);
    expect(text).toMatch(
      /framebuffer, PCD \+ PWT 0xe0000000: MTRR UC; PTE bits 0x18 select PA3 = UC; effective UC/,
    );
    expect(text).toMatch(
      /framebuffer, PWT only +0xe0000000: MTRR UC; PTE bits 0x8 select PA1 = WC; effective WC/,
    );
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
