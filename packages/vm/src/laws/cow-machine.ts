/**
 * The small machine the copy-on-write laws run on: `@osbricks/hw-x86` physical memory, two CPUs
 * each with a TLB and an MMU, a buddy allocator and a `VmSystem` using the strategy under test.
 * A law runs each process on a chosen CPU; switching the space a CPU runs flushes its TLB, as a
 * CR3 write without PCIDs does, so a missing shootdown shows up as a stale read on the other CPU.
 *
 * ```
 *   VA 0x10000 ─┬─ page 0 ─┬─ … ─┬─ page 7 ─┐   the window every law maps in (WINDOW_PAGES)
 *               │ offsets 0, 0x7ff, 0xfff   │   bytes the commands write and read (OFFSETS)
 * ```
 *
 * `finish` is the leak check every run ends with: after every space is destroyed and every named
 * segment unlinked, all frames are free again and the object store is empty.
 *
 * Related: `cow.ts` (the laws), `cow-commands.ts` (the model-based commands).
 */
import { Mmu, PhysicalMemory, Tlb } from "@osbricks/hw-x86";
import type { CowStrategy } from "../cow/api.js";
import { BuddyAllocator } from "../frames/buddy.js";
import type { AddressSpace } from "../space/address-space.js";
import { type CpuTlb, SyncTlbShootdown } from "../space/shootdown.js";
import { userLoad8, userStore8 } from "../space/user-access.js";
import { VmSystem } from "../space/vm-system.js";

/** First page of the window the laws map in (VA 0x10000), and its size in pages. */
export const WINDOW_PAGE = 0x10;
/** Pages in the window. */
export const WINDOW_PAGES = 8;
/** Byte offsets within a page that the laws write and read. */
export const OFFSETS = [0, 0x7ff, 0xfff] as const;

/** One small simulated machine with two CPUs, for one law run. */
export class World {
  readonly frames: BuddyAllocator;
  readonly sys: VmSystem;
  readonly cpus: CpuTlb[] = [];
  readonly mmus: Mmu[] = [];
  readonly initialFree: number;

  constructor(strategy: CowStrategy, frames: number) {
    const memory = new PhysicalMemory({ size: frames * 4096 });
    this.frames = new BuddyAllocator({ frames });
    this.frames.reserve(0, 1);
    for (let i = 0; i < 2; i++) {
      const tlb = new Tlb();
      this.cpus.push({ tlb, activeSpace: null, pcid: 0 });
      this.mmus.push(new Mmu({ memory, tlb }));
    }
    this.sys = new VmSystem({
      memory,
      frames: this.frames,
      strategy,
      shootdown: new SyncTlbShootdown(this.cpus),
    });
    this.initialFree = this.frames.freeFrames();
  }

  run(space: AddressSpace, cpu: number): void {
    const c = this.cpus[cpu]!;
    if (c.activeSpace !== space.id) {
      c.tlb.flushAll("cr3 write");
      c.activeSpace = space.id;
    }
  }

  load(space: AddressSpace, va: number, cpu: number): number | string {
    this.run(space, cpu);
    const v = userLoad8(space, this.mmus[cpu]!, va);
    return typeof v === "number" ? v : v.kind === "segv" ? `segv:${v.reason}` : v.kind;
  }

  store(space: AddressSpace, va: number, value: number, cpu: number): string | null {
    this.run(space, cpu);
    const f = userStore8(space, this.mmus[cpu]!, va, value);
    return f === null ? null : f.kind === "segv" ? `segv:${f.reason}` : f.kind;
  }

  /** Stop running `space` anywhere (before it is destroyed). */
  unload(space: AddressSpace): void {
    for (const c of this.cpus) if (c.activeSpace === space.id) c.activeSpace = null;
  }

  /**
   * The system's invariants, and the TLBs': every entry a CPU holds for the space it runs must be
   * the translation the page tables give now, or a less permissive one (a stale read-only entry
   * only costs a spurious fault). A different frame or more rights is a missing invalidation, and
   * this finds it at the step that forgot it, before any access happens to use it.
   */
  check(): void {
    this.sys.checkInvariants();
    const spaces = this.sys.spaces();
    this.cpus.forEach((c, i) => {
      const space = spaces.find((s) => s.id === c.activeSpace);
      if (space === undefined) return; // idle: flushed before the next space runs
      for (const e of c.tlb.entries()) {
        const leaf = space.pmap.lookup(e.va);
        const at = `CPU ${i} caches 0x${e.va.toString(16)} -> frame ${e.frame / 4096}`;
        if (leaf === null || leaf.frame * 4096 !== e.frame) {
          throw new Error(
            `${at}, but the page tables map ${leaf === null ? "nothing" : `frame ${leaf.frame}`} (a missing invalidation)`,
          );
        }
        if ((e.writable && !leaf.writable) || (e.user && !leaf.user) || (!e.noExecute && leaf.noExecute)) {
          throw new Error(`${at} with more rights than its leaf (a missing invalidation)`);
        }
      }
    });
  }

  /** Destroy every space; throws unless every frame is free again and no object is left. */
  finish(spaces: readonly AddressSpace[]): void {
    for (const seg of this.sys.shm.segments()) this.sys.shm.unlink(seg.name);
    for (const s of spaces) {
      this.unload(s);
      s.destroy();
    }
    this.sys.checkInvariants();
    const free = this.frames.freeFrames();
    if (free !== this.initialFree) throw new Error(`leak: ${this.initialFree - free} frames still allocated`);
    const left = this.sys.store.objects();
    if (left.length > 0) throw new Error(`leak: objects left: ${left.map(String).join(", ")}`);
  }
}

/** The address of byte `off` of window page `page`. */
export const va = (page: number, off = 0): number => (WINDOW_PAGE + page) * 4096 + off;

/** Throws unless `got` and `want` serialise alike (the eager model's value is `want`). */
export function expectSame(what: string, got: unknown, want: unknown): void {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Error(`${what}: got ${g}, the eager model says ${w}`);
}
