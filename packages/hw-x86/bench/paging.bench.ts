/**
 * Small vitest benchmarks of the hot paths (`pnpm bench --project hw-x86`): a full 4-level walk, a
 * TLB hit, a page fault, and a map + unmap pair. The baseline replay with the native ratios is
 * `baseline-pagewalk.ts`.
 */
import { bench, describe } from "vitest";
import {
  Access,
  Mapper,
  Mmu,
  makeContext,
  PAGE_4K,
  PhysicalMemory,
  StackFrameSource,
  Tlb,
  vaHigh,
  vaLow,
} from "../src/index.js";

const memory = new PhysicalMemory({ size: 64 * 2 ** 20 });
const frames = new StackFrameSource(1, 8192);
const mapper = new Mapper({ memory, frames });
const PAGES = 1024;
const vas: number[] = [];
for (let i = 0; i < PAGES; i++) {
  const va = 0x7f0000000000 + i * 0x9000; // scattered over many PTs
  mapper.map(va, 0x10000000 + i * 4096, PAGE_4K, { writable: true, user: true });
  vas.push(va);
}
const ctx = makeContext({ root: mapper.root, cpl: 3 });
const walker = new Mmu({ memory });
const tlbMmu = new Mmu({ memory, tlb: new Tlb({ sets: 16, ways: 4 }) });
const hi = vas.map(vaHigh);
const lo = vas.map(vaLow);
let k = 0;

describe("hw-x86 paging", () => {
  bench("walk: full 4-level walk (read)", () => {
    k = (k + 1) & (PAGES - 1);
    walker.walkHalves(ctx, hi[k]!, lo[k]! | 0x123, Access.Read);
  });
  bench("translate: TLB hit", () => {
    tlbMmu.translateHalves(ctx, hi[0]!, lo[0]! | 0x123, Access.Read);
  });
  bench("walk: not-present page fault", () => {
    walker.walkHalves(ctx, 0, 0x1000, Access.Read);
  });
  bench("mapper: map + unmap a 4 KiB page (tables kept alive by a neighbour)", () => {
    mapper.map(0x7f0000001000, 0x20000000, PAGE_4K, { writable: true });
    mapper.unmap(0x7f0000001000, PAGE_4K);
  });
});
