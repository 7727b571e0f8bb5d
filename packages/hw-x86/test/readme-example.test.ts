// The README's example, verbatim between the markers, so that it is type-checked and executed.
import { readFileSync } from "node:fs";
import { expect, it, vi } from "vitest";

it("README example is copied verbatim from this test", () => {
  const self = readFileSync(new URL(import.meta.url), "utf8");
  const body = self
    .slice(self.lastIndexOf("// README-EXAMPLE-START"), self.lastIndexOf("// README-EXAMPLE-END"))
    .split("\n")
    .slice(2) // the marker and the import hint
    .map((line) => line.replace(/^ {2}/, ""))
    .join("\n")
    .trim();
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  expect(body.split("\n").length).toBeGreaterThan(15);
  expect(readme).toContain(body);
});

it("README example", () => {
  const spy = vi.spyOn(console, "log").mockImplementation(() => {});
  // README-EXAMPLE-START
  // (in a project: import { … } from "@osbricks/hw-x86";)
  const memory = new PhysicalMemory({ size: 64 * 2 ** 20 }); // 64 MiB of RAM, sparse
  const frames = new StackFrameSource(0x100, 256); // page-table frames 0x100..0x1ff
  const mapper = new Mapper({ memory, frames });
  const va = 0x7f1234567000;
  mapper.map(va, 0x345000, PAGE_4K, { writable: true, user: true, noExecute: true });
  console.log(mapper.dump());

  const tlb = new Tlb({ sets: 16, ways: 4 });
  const mmu = new Mmu({ memory, tlb });
  const user = makeContext({ root: mapper.root, cpl: 3 });
  console.log(mmu.translate(user, va + 0xabc, Access.Write)); // ok, pa 0x345abc; sets A and D

  // Make the page read-only but ignore the flush obligation: the TLB keeps R/W=1.
  const r = mapper.protect(va, PAGE_4K, { user: true, noExecute: true }); // r.flush: INVLPG va
  console.log(mmu.translate(user, va, Access.Write).kind); // "ok": the stale-TLB bug
  if (r.kind === "protected" && r.flush.kind === "page") tlb.invlpg(user.pcid, r.flush.va);
  const w = mmu.translate(user, va, Access.Write); // now a #PF
  if (w.kind === "page-fault") console.log(describePageFaultErrorCode(w.errorCode));
  // README-EXAMPLE-END
  const printed = spy.mock.calls.map((args) => args[0]);
  spy.mockRestore();
  expect(printed[0]).toContain("[359] PTE → 4KiB page 0x345000 [P RW US XD]  va 0x7f1234567000");
  expect(printed[1]).toEqual({ kind: "ok", pa: 0x345abc, pageSize: 4096, tlbHit: false });
  expect(printed.slice(2)).toEqual(["ok", "P=1 (protection) W/R=1 (write) U/S=1 (user)"]);
  // The worked translation of the README, entry by entry.
  expect(
    mapper.walkPath(va + 0xabc).map((e) => [e.level, e.index, hex(e.entryAddress), hex(entryToBigInt(e))]),
  ).toEqual([
    [4, 254, "0x1007f0", "0x101027"],
    [3, 72, "0x101240", "0x102027"],
    [2, 418, "0x102d10", "0x103027"],
    [1, 359, "0x103b38", "0x8000000000345065"],
  ]);
});

import {
  Access,
  describePageFaultErrorCode,
  entryToBigInt,
  hex,
  Mapper,
  Mmu,
  makeContext,
  PAGE_4K,
  PhysicalMemory,
  StackFrameSource,
  Tlb,
} from "../src/index.js";
