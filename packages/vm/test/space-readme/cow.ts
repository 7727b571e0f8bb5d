import { PhysicalMemory } from "@osbricks/hw-x86";
import { BuddyAllocator, PROT_READ, PROT_WRITE, RefcountCow, ShadowCow, VmSystem } from "@osbricks/vm";
import { cowStrategyLaws } from "@osbricks/vm/laws";

for (const strategy of ["shadow", "refcount"] as const) {
  const memory = new PhysicalMemory({ size: 4 << 20 });
  const frames = new BuddyAllocator({ frames: memory.frameCount });
  const sys = new VmSystem({ memory, frames, strategy });
  const parent = sys.createSpace();
  parent.map({ length: 0x4000, prot: PROT_READ | PROT_WRITE, placement: { kind: "fixed", va: 0x10000 } });
  parent.handleFault(0x10000, "write"); // zero-fill page 0
  const child = parent.fork()!;
  console.log(strategy, child.handleFault(0x10000, "write").kind); // resolved (a copy)
  console.log(strategy, parent.handleFault(0x10000, "write")); // shadow: copy; refcount: reuse
  child.destroy();
  console.log(strategy, sys.strategy.stats()); // copies, reuses, zero-fills, longest chain
}

// A student's strategy passes the same laws as ours:
for (const law of cowStrategyLaws(() => new RefcountCow(), { numRuns: 5 })) law.check();
for (const law of cowStrategyLaws(() => new ShadowCow(), { numRuns: 5 })) law.check();
