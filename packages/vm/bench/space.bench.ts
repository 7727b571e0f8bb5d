// vitest benchmarks of the address-space paths (`pnpm bench --project vm`): fork + child writes +
// exit through AddressSpace for both copy-on-write strategies, and demand-zero faults. The ratio
// to native code is measured by baseline-cowfork.ts on the baselines' exact workload.
import { PhysicalMemory } from "@osbricks/hw-x86";
import { bench, describe } from "vitest";
import { BuddyAllocator, PROT_READ, PROT_WRITE, VmSystem } from "../src/index.js";

const PAGES = 1024;
const BASE = 0x40_0000;

function system(strategy: "shadow" | "refcount") {
  const memory = new PhysicalMemory({ size: 8192 * 4096 });
  const frames = new BuddyAllocator({ frames: 8192 });
  frames.reserve(0, 1);
  const sys = new VmSystem({ memory, frames, strategy });
  const parent = sys.createSpace();
  parent.map({ length: PAGES * 4096, prot: PROT_READ | PROT_WRITE, placement: { kind: "fixed", va: BASE } });
  for (let p = 0; p < PAGES; p++) parent.handleFault(BASE + p * 4096, "write");
  return { sys, parent };
}

describe("fork of a 1024-page process, child writes 1% and exits", () => {
  for (const strategy of ["shadow", "refcount"] as const) {
    const { parent } = system(strategy);
    let k = 0;
    bench(strategy, () => {
      const child = parent.fork()!;
      for (let i = 0; i < PAGES / 100; i++) child.handleFault(BASE + ((k++ * 37) % PAGES) * 4096, "write");
      child.destroy();
    });
  }
});

describe("demand-zero faults: map 256 pages, touch each, unmap", () => {
  for (const strategy of ["shadow", "refcount"] as const) {
    const { sys } = system(strategy);
    const s = sys.createSpace();
    bench(strategy, () => {
      s.map({
        length: 256 * 4096,
        prot: PROT_READ | PROT_WRITE,
        placement: { kind: "fixed", va: 0x1000_0000 },
      });
      for (let p = 0; p < 256; p++) s.handleFault(0x1000_0000 + p * 4096, "write");
      s.unmap(0x1000_0000, 256 * 4096);
    });
  }
});
