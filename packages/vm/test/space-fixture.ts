/** A small machine for address-space tests: memory, a buddy allocator, one CPU's MMU + TLB. */
import { Mmu, PhysicalMemory, Tlb } from "@osbricks/hw-x86";
import { BuddyAllocator } from "../src/frames/buddy.js";
import type { AddressSpace } from "../src/space/address-space.js";
import { type CpuTlb, type ShootdownTarget, SyncTlbShootdown } from "../src/space/shootdown.js";
import { userLoad8, userStore8 } from "../src/space/user-access.js";
import { VmSystem } from "../src/space/vm-system.js";

export type StrategyName = "shadow" | "refcount";

export interface Machine {
  readonly memory: PhysicalMemory;
  readonly frames: BuddyAllocator;
  readonly sys: VmSystem;
  readonly cpus: CpuTlb[];
  readonly mmus: Mmu[];
  /** Frames free right after boot (frame 0 reserved). */
  readonly initialFree: number;
  /** Run `space` on CPU `cpu` (load CR3). */
  run(space: AddressSpace, cpu?: number): void;
  load(space: AddressSpace, va: number, cpu?: number): number | string;
  store(space: AddressSpace, va: number, value: number, cpu?: number): string | null;
}

/**
 * @param mergeShadows - the object store's merge rule (tests switch it off to show what it buys).
 * @param shootdown - builds the shootdown target over the CPUs' TLBs (default: `SyncTlbShootdown`,
 *   which reaches every CPU the space runs on); tests pass a broken one to show what it prevents.
 */
export function machine(
  strategy: StrategyName,
  frames = 2048,
  ncpus = 2,
  shootdown: (cpus: CpuTlb[]) => ShootdownTarget = (cpus) => new SyncTlbShootdown(cpus),
  mergeShadows = true,
): Machine {
  const memory = new PhysicalMemory({ size: frames * 4096 });
  const buddy = new BuddyAllocator({ frames });
  buddy.reserve(0, 1);
  const cpus: CpuTlb[] = [];
  const mmus: Mmu[] = [];
  for (let i = 0; i < ncpus; i++) {
    const tlb = new Tlb();
    cpus.push({ tlb, activeSpace: null, pcid: 0 });
    mmus.push(new Mmu({ memory, tlb }));
  }
  const sys = new VmSystem({ memory, frames: buddy, strategy, shootdown: shootdown(cpus), mergeShadows });
  const m: Machine = {
    memory,
    frames: buddy,
    sys,
    cpus,
    mmus,
    initialFree: buddy.freeFrames(),
    run(space, cpu = 0) {
      const c = cpus[cpu]!;
      if (c.activeSpace !== space.id) {
        c.tlb.flushAll("cr3 write");
        c.activeSpace = space.id;
      }
    },
    load(space, va, cpu = 0) {
      m.run(space, cpu);
      const v = userLoad8(space, mmus[cpu]!, va);
      return typeof v === "number" ? v : `${v.kind}${v.kind === "segv" ? `:${v.reason}` : ""}`;
    },
    store(space, va, value, cpu = 0) {
      m.run(space, cpu);
      const f = userStore8(space, mmus[cpu]!, va, value);
      return f === null ? null : `${f.kind}${f.kind === "segv" ? `:${f.reason}` : ""}`;
    },
  };
  return m;
}
