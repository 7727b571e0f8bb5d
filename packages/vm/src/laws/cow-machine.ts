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
 * Besides `VmSystem.checkInvariants()`, {@link World.check} holds any strategy, a student's
 * included, to three rules of its own that do not depend on how the strategy keeps its books:
 * a writable leaf of a private area never maps a page of an object that a shared area or a named
 * segment reaches (POSIX MAP_PRIVATE: a private write must land in the writer's own copy); every
 * object's `links` equals the areas and names that hold it; every counted frame (`sys.refs`) has
 * as many private leaves as its count.
 *
 * The out-of-memory law runs a tight machine ({@link WorldOptions.mayRunOut}): a fork may return
 * `null` and a fault `oom`, and {@link World.footprint} / {@link World.expectUnchanged} check that
 * the refused call left nothing behind. Its window straddles a 2 MiB boundary (two page tables),
 * so a refcount fork can run out between the first table's leaves and the second table.
 *
 * Related: `cow.ts` (the laws), `cow-commands.ts` (the model-based commands).
 */
import { Mmu, PhysicalMemory, Tlb } from "@osbricks/hw-x86";
import type { CowStrategy } from "../cow/api.js";
import { BuddyAllocator } from "../frames/buddy.js";
import type { VmObject } from "../objects/vm-object.js";
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

/** Options of {@link World}. */
export interface WorldOptions {
  /** First page of the window. Default {@link WINDOW_PAGE} (VA 0x10000). */
  readonly windowPage?: number;
  /**
   * Whether the machine is sized to run out of frames: then a fork may return `null` and a fault
   * `oom`, and the commands check that the refusal changed nothing. Default false (an `oom` is a
   * failure).
   */
  readonly mayRunOut?: boolean;
}

/** What a refused fork or fault must leave as it found it ({@link World.footprint}). */
export interface Footprint {
  /** Ids of the live spaces. */
  readonly spaces: readonly number[];
  /** Free frames, plus those waiting in the MMU gather. */
  readonly free: number;
  /** Pages resident in VM objects. */
  readonly objectPages: number;
  /** Live VM objects. */
  readonly objects: number;
  /** Share count (`sys.refs`) of every frame. */
  readonly counts: readonly number[];
}

/** Most frames one fault may need: the page and three page tables (PDPT, PD, PT). */
export const FAULT_FRAMES = 4;
/** Most frames a fork of the straddling window may need: root, PDPT, PD and two page tables. */
export const FORK_FRAMES = 5;

/** One small simulated machine with two CPUs, for one law run. */
export class World {
  readonly frames: BuddyAllocator;
  readonly sys: VmSystem;
  readonly cpus: CpuTlb[] = [];
  readonly mmus: Mmu[] = [];
  readonly initialFree: number;
  /** First page of the window the run maps in. */
  readonly windowPage: number;
  /** See {@link WorldOptions.mayRunOut}. */
  readonly mayRunOut: boolean;
  readonly #shootdown: IrqShootdown;

  constructor(strategy: CowStrategy, frames: number, options: WorldOptions = {}) {
    this.windowPage = options.windowPage ?? WINDOW_PAGE;
    this.mayRunOut = options.mayRunOut ?? false;
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

  /** The address of byte `off` of window page `page`. */
  va(page: number, off = 0): number {
    return (this.windowPage + page) * 4096 + off;
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
    this.#checkPrivateLeaves();
    this.#checkLinks();
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

  /**
   * MAP_PRIVATE and the share counts, whatever the strategy: a writable leaf of a private area
   * must not map a page that a shared area or a named segment reaches, and every frame with a
   * share count must be mapped by exactly that many private leaves.
   */
  #checkPrivateLeaves(): void {
    const sharedPages = new Map<number, string>();
    const note = (obj: VmObject, what: string): void => {
      for (let o: VmObject | null = obj, off = 0; o !== null; off += o.backingOffset, o = o.backing) {
        for (const [i, f] of o.resident.entries()) sharedPages.set(f, `page ${i - off} of ${what}`);
      }
    };
    for (const seg of this.sys.shm.segments()) note(seg.object, `segment ${seg.name}`);
    const spaces = this.sys.spaces();
    for (const s of spaces) {
      for (const a of s.areaList()) if (a.sharing === "shared") note(a.object!, `shared ${a.object}`);
    }
    const refs = this.sys.refs;
    const leavesOf = new Map<number, number>();
    for (const s of spaces) {
      for (const a of s.areaList()) {
        if (a.sharing !== "private") continue;
        for (const [v, leaf] of s.pmap.leaves(a.start, a.end)) {
          const shared = sharedPages.get(leaf.frame);
          if (leaf.writable && shared !== undefined) {
            throw new Error(
              `space ${s.id}: private 0x${v.toString(16)} maps frame ${leaf.frame} writable, and it is ${shared}: a private write would land in the shared page (MAP_PRIVATE: map it read-only, and copy it at the first write)`,
            );
          }
          if (refs.count(leaf.frame) > 0) leavesOf.set(leaf.frame, (leavesOf.get(leaf.frame) ?? 0) + 1);
        }
      }
    }
    for (const [f, n] of leavesOf) {
      const c = refs.count(f);
      if (c !== n) {
        throw new Error(
          `frame ${f}: share count ${c}, but ${n} private leaves map it (${c > n ? "a count taken without a leaf, or kept after its leaf went" : "a leaf without its share"})`,
        );
      }
    }
    if (refs.heldFrames() !== leavesOf.size) {
      let lost = -1;
      for (let f = 0; f < this.frames.frameCount && lost < 0; f++) {
        if (refs.count(f) > 0 && !leavesOf.has(f)) lost = f;
      }
      throw new Error(
        `frame ${lost}: share count ${lost < 0 ? 0 : refs.count(lost)}, but no private leaf maps it (a count leaked: never released when its leaf went)`,
      );
    }
  }

  /** Every object's `links` equals the areas and segment names that hold it. */
  #checkLinks(): void {
    const holders = new Map<VmObject, string[]>();
    const hold = (o: VmObject, who: string): void => {
      const list = holders.get(o);
      if (list === undefined) holders.set(o, [who]);
      else list.push(who);
    };
    for (const seg of this.sys.shm.segments()) hold(seg.object, `the name ${seg.name}`);
    for (const s of this.sys.spaces()) {
      for (const a of s.areaList())
        if (a.object !== null)
          hold(a.object, `space ${s.id}'s ${a.sharing} area at 0x${a.start.toString(16)}`);
    }
    for (const o of this.sys.store.objects()) {
      const list = holders.get(o) ?? [];
      if (list.length === o.links) continue;
      const why =
        list.length > o.links
          ? "an area was given the object without taking a link: createPrivate, split and fork take one for the part they return"
          : "a link outlived its holder: drop gives the area's link back, and join drops b's when it merges";
      throw new Error(
        `${o} records ${o.links} links, but ${list.length} hold it (${list.join(", ") || "nothing"}): ${why}`,
      );
    }
  }

  /** What a refused fork or fault must leave unchanged (see {@link World.expectUnchanged}). */
  footprint(): Footprint {
    const counts: number[] = [];
    for (let f = 0; f < this.frames.frameCount; f++) counts.push(this.sys.refs.count(f));
    let objectPages = 0;
    const objects = this.sys.store.objects();
    for (const o of objects) objectPages += o.resident.size;
    return {
      spaces: this.sys.spaces().map((s) => s.id),
      free: this.frames.freeFrames() + this.sys.gather.deferredFrames,
      objectPages,
      objects: objects.length,
      counts,
    };
  }

  /**
   * Throws unless `call`, refused for want of memory, left the machine as {@link World.footprint}
   * found it: no new space (a partial child), no share count changed, no object left over, and no
   * frame taken for good. A page made resident in an object is allowed (a cache: the bytes a later
   * fault gives it anyway), so free frames plus object pages must be equal.
   */
  expectUnchanged(call: string, before: Footprint): void {
    const after = this.footprint();
    const refused = `${call} was refused (out of memory)`;
    const extra = after.spaces.filter((id) => !before.spaces.includes(id));
    if (extra.length > 0) throw new Error(`${refused}, yet space ${extra[0]} is left (a partial child)`);
    for (let f = 0; f < after.counts.length; f++) {
      if (after.counts[f] !== before.counts[f]) {
        throw new Error(
          before.counts[f] === 0
            ? `${refused}, yet it kept frame ${f} (share count 0 → ${after.counts[f]}): a frame taken before the failure was never given back`
            : `${refused}, yet frame ${f}'s share count went ${before.counts[f]} → ${after.counts[f]} (a refused call must give back every share it took)`,
        );
      }
    }
    if (after.objects !== before.objects) {
      throw new Error(
        `${refused}, yet ${after.objects} objects live where ${before.objects} did (left over)`,
      );
    }
    const lost = before.free + before.objectPages - (after.free + after.objectPages);
    if (lost !== 0) {
      throw new Error(
        `${refused}, yet free frames went ${before.free} → ${after.free} (object pages ${before.objectPages} → ${after.objectPages}): ${lost > 0 ? "a frame taken before the failure was never given back" : "it freed a frame, though a refused call must change nothing"}`,
      );
    }
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
