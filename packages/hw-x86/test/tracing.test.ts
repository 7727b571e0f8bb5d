import { expect, it } from "vitest";
import {
  Access,
  Mapper,
  Mmu,
  makeContext,
  PAGE_4K,
  type PagingTraceEvent,
  PhysicalMemory,
  StackFrameSource,
  Tlb,
} from "../src/index.js";

it("mapper, MMU and TLB emit typed trace events and never print", () => {
  const events: PagingTraceEvent[] = [];
  const tracer = { emit: (e: PagingTraceEvent) => events.push(e) };
  const memory = new PhysicalMemory({ size: 1 << 24 });
  const mapper = new Mapper({ memory, frames: new StackFrameSource(1, 64), tracer });
  const tlb = new Tlb({ tracer });
  const mmu = new Mmu({ memory, tlb, tracer });
  mapper.map(0x1000, 0x5000, PAGE_4K, {});
  mmu.translate(makeContext({ root: mapper.root, cpl: 3 }), 0x1000, Access.Read);
  mapper.unmap(0x1000, PAGE_4K);
  tlb.invlpg(0, 0x1000);
  tlb.writeCr3(false, 0);
  expect(events.map((e) => e.type)).toEqual([
    "mapper.table-alloc",
    "mapper.table-alloc",
    "mapper.table-alloc",
    "mapper.table-alloc",
    "mapper.map",
    "mmu.fault",
    "mapper.table-free",
    "mapper.table-free",
    "mapper.table-free",
    "mapper.unmap",
    "tlb.invlpg",
    "tlb.flush",
  ]);
  expect(events[5]).toEqual({
    type: "mmu.fault",
    va: 0x1000,
    vector: 14,
    errorCode: 5,
    reason: "protection",
  });
});
