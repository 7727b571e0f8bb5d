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
 * A CPU may also run with interrupts disabled ({@link World.cli}): a shootdown IPI to it waits,
 * and so does its acknowledgement, until it enables them again ({@link World.sti}); meanwhile the
 * commands meant for it run on the other CPU, and an exit leaves the dying space loaded there
 * (a lazy TLB). Meanwhile its TLB may hold
 * stale entries, so the check that matters there is the MMU gather's: no TLB entry on any CPU
 * references a free frame, and no frame is handed out while a TLB still references it (checked at
 * every allocation). A strategy or space that frees before the acknowledgement fails there.
 *
 * `finish` is the leak check every run ends with: after every CPU took its pending IPIs, every
 * space is destroyed and every named segment unlinked, all frames are free again (none waits in
 * the MMU gather) and the object store is empty.
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

/**
 * {@link SyncTlbShootdown} with interrupt flags: an invalidation for a CPU with interrupts
 * disabled is queued (the IPI is pending) and applied when it enables them; `whenAcknowledged`
 * callbacks run once every CPU they wait for has done so.
 */
class IrqShootdown extends SyncTlbShootdown {
  readonly irqOff: boolean[];
  readonly #queued: {
    readonly space: number;
    readonly vas: readonly number[] | null;
    readonly apply: () => void;
  }[][];
  readonly #epoch: number[];
  readonly #waiters: { readonly need: readonly (readonly [number, number])[]; readonly done: () => void }[] =
    [];

  constructor(cpus: readonly CpuTlb[]) {
    super(cpus);
    this.irqOff = cpus.map(() => false);
    this.#queued = cpus.map(() => []);
    this.#epoch = cpus.map(() => 0);
  }

  override invalidatePages(cpu: number, spaceId: number, vas: readonly number[]): void {
    if (!this.irqOff[cpu]) {
      super.invalidatePages(cpu, spaceId, vas);
      return;
    }
    const copy = [...vas];
    this.#queued[cpu]!.push({
      space: spaceId,
      vas: copy,
      apply: () => super.invalidatePages(cpu, spaceId, copy),
    });
  }

  override invalidateSpace(cpu: number, spaceId: number): void {
    if (!this.irqOff[cpu]) {
      super.invalidateSpace(cpu, spaceId);
      return;
    }
    this.#queued[cpu]!.push({ space: spaceId, vas: null, apply: () => super.invalidateSpace(cpu, spaceId) });
  }

  override whenAcknowledged(done: () => void): void {
    const need: [number, number][] = [];
    this.#queued.forEach((q, cpu) => {
      if (q.length > 0) need.push([cpu, this.#epoch[cpu]!]);
    });
    if (need.length === 0 && this.#waiters.length === 0) done();
    else this.#waiters.push({ need, done });
  }

  collectAcknowledgements(): void {
    while (this.#waiters.length > 0 && this.#waiters[0]!.need.every(([c, e]) => this.#epoch[c]! > e)) {
      this.#waiters.shift()!.done();
    }
  }

  /** Whether an invalidation of page `va` of space `spaceId` waits for CPU `cpu` to take its IPI. */
  pendingFor(cpu: number, spaceId: number, va: number): boolean {
    return this.#queued[cpu]!.some((q) => q.space === spaceId && (q.vas === null || q.vas.includes(va)));
  }

  /** CPU `cpu` enables interrupts: it takes the pending IPIs (invalidates) and acknowledges. */
  sti(cpu: number): void {
    this.irqOff[cpu] = false;
    const q = this.#queued[cpu]!;
    for (const item of q.splice(0)) item.apply();
    this.#epoch[cpu]!++;
    this.collectAcknowledgements();
  }
}

/** One small simulated machine with two CPUs, for one law run. */
export class World {
  readonly frames: BuddyAllocator;
  readonly sys: VmSystem;
  readonly cpus: CpuTlb[] = [];
  readonly mmus: Mmu[] = [];
  readonly initialFree: number;
  readonly #shootdown: IrqShootdown;

  constructor(strategy: CowStrategy, frames: number) {
    const memory = new PhysicalMemory({ size: frames * 4096 });
    const cpus = this.cpus;
    // Every frame handed out must be unreachable through every TLB: a stale entry to it would
    // let a CPU write into its new owner's page (the frame was freed before the shootdown ended).
    this.frames = new (class extends BuddyAllocator {
      override alloc(order: number): number | null {
        const f = super.alloc(order);
        if (f !== null) checkUnreachable(cpus, f, 2 ** order);
        return f;
      }
      override allocFrame(): number | null {
        return this.alloc(0);
      }
    })({ frames });
    this.frames.reserve(0, 1);
    for (let i = 0; i < 2; i++) {
      const tlb = new Tlb();
      this.cpus.push({ tlb, activeSpace: null, pcid: 0 });
      this.mmus.push(new Mmu({ memory, tlb }));
    }
    this.#shootdown = new IrqShootdown(this.cpus);
    this.sys = new VmSystem({
      memory,
      frames: this.frames,
      strategy,
      shootdown: this.#shootdown,
    });
    this.initialFree = this.frames.freeFrames();
  }

  /** CPU `cpu` disables interrupts (it runs kernel code): shootdown IPIs to it wait. */
  cli(cpu: number): void {
    this.#shootdown.irqOff[cpu] = true;
  }

  /** CPU `cpu` enables interrupts: it takes the pending shootdowns and acknowledges them. */
  sti(cpu: number): void {
    if (this.#shootdown.irqOff[cpu]) this.#shootdown.sti(cpu);
  }

  /** Whether CPU `cpu` has interrupts disabled. */
  interruptsOff(cpu: number): boolean {
    return this.#shootdown.irqOff[cpu]!;
  }

  /**
   * Run `space` on CPU `cpu` (a CR3 write if it ran another), for a command that executes there.
   * A CPU with interrupts disabled is busy in the kernel: the command runs on a CPU with interrupts
   * enabled instead, or, when every CPU has them off, `cpu` enables them first.
   * @returns the CPU the command runs on.
   */
  run(space: AddressSpace, cpu: number): number {
    let k = cpu;
    if (this.interruptsOff(k)) {
      const on = this.cpus.findIndex((_, i) => !this.interruptsOff(i));
      if (on >= 0) k = on;
      else this.sti(k);
    }
    const c = this.cpus[k]!;
    if (c.activeSpace !== space.id) {
      c.tlb.flushAll("cr3 write");
      c.activeSpace = space.id;
    }
    return k;
  }

  load(space: AddressSpace, va: number, cpu: number): number | string {
    const k = this.run(space, cpu);
    const v = userLoad8(space, this.mmus[k]!, va);
    return typeof v === "number" ? v : v.kind === "segv" ? `segv:${v.reason}` : v.kind;
  }

  store(space: AddressSpace, va: number, value: number, cpu: number): string | null {
    const k = this.run(space, cpu);
    const f = userStore8(space, this.mmus[k]!, va, value);
    return f === null ? null : f.kind === "segv" ? `segv:${f.reason}` : f.kind;
  }

  /**
   * Stop running `space` (before it is destroyed): a CPU loads the kernel's tables (a CR3 write).
   * A CPU with interrupts disabled cannot switch now: it keeps the dying space loaded (Linux's lazy
   * TLB), so the exit's shootdown must reach it and its frames wait for its acknowledgement.
   */
  unload(space: AddressSpace): void {
    this.cpus.forEach((c, i) => {
      if (c.activeSpace === space.id && !this.interruptsOff(i)) {
        c.tlb.flushAll("cr3 write");
        c.activeSpace = null;
      }
    });
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
      for (const e of c.tlb.entries()) {
        if (!this.frames.isAllocated(e.frame / 4096)) {
          throw new Error(
            `CPU ${i} caches 0x${e.va.toString(16)} -> frame ${e.frame / 4096}, which is free (freed before the shootdown was acknowledged)`,
          );
        }
      }
      const space = spaces.find((s) => s.id === c.activeSpace);
      if (space === undefined) return; // idle: flushed when it stopped running a space
      for (const e of c.tlb.entries()) {
        // With interrupts off the CPU keeps an entry whose invalidation waits for it (its frame
        // is not free: checked above); every other entry must be current.
        if (this.#shootdown.pendingFor(i, space.id, e.va)) continue;
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
    for (let i = 0; i < this.cpus.length; i++) this.sti(i);
    for (const seg of this.sys.shm.segments()) this.sys.shm.unlink(seg.name);
    for (const s of spaces) {
      this.unload(s);
      s.destroy();
    }
    this.sys.checkInvariants();
    if (this.sys.gather.poll() !== 0 || this.sys.gather.deferredFrames !== 0)
      throw new Error(`${this.sys.gather.deferredFrames} frames still wait in the MMU gather`);
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

/** Throws when a TLB of `cpus` holds an entry for one of the `n` frames from `pfn`. */
function checkUnreachable(cpus: readonly CpuTlb[], pfn: number, n: number): void {
  cpus.forEach((c, i) => {
    for (const e of c.tlb.entries()) {
      const f = e.frame / 4096;
      if (f >= pfn && f < pfn + n) {
        throw new Error(
          `frame ${f} handed out while CPU ${i} still caches 0x${e.va.toString(16)} -> it (freed before the shootdown was acknowledged)`,
        );
      }
    }
  });
}
