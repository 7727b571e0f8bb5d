import { Access, Mapper, Mmu, makeContext, PhysicalMemory } from "@osbricks/hw-x86";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { StackStateError } from "../src/errors.js";
import { BuddyAllocator } from "../src/frames/buddy.js";
import { type KernelStack, KernelStackCache } from "../src/stacks/kernel-stacks.js";
import { VirtualBuddy } from "../src/vrange/buddy.js";
import { FirstFitRanges } from "../src/vrange/first-fit.js";

const KBASE = -(2 ** 39); // 0xffff_ff80_0000_0000, in the kernel half

function setup(frames = 256, cacheLimit = 2) {
  const memory = new PhysicalMemory({ size: frames * 4096 });
  const buddy = new BuddyAllocator({ frames });
  buddy.reserve(0, 1);
  const mapper = new Mapper({ memory, frames: buddy });
  const ranges = new FirstFitRanges({ base: KBASE, size: 2 ** 24 });
  const invalidated: number[] = [];
  const stacks = new KernelStackCache({
    ranges,
    mapper,
    frames: buddy,
    memory,
    cacheLimit,
    invalidate: (va) => invalidated.push(va),
  });
  const mmu = new Mmu({ memory });
  const ctx = makeContext({ root: mapper.root, cpl: 0 });
  return { memory, buddy, mapper, ranges, stacks, mmu, ctx, invalidated };
}

describe("KernelStackCache", () => {
  it("a stack is 4 mapped pages above an unmapped guard page", () => {
    const { stacks, mmu, ctx } = setup();
    const s = stacks.alloc()!;
    expect(s.top - s.base).toBe(4 * 4096);
    expect(s.base - s.rangeStart).toBe(4096);
    expect(mmu.walk(ctx, s.top - 8, Access.Write).kind).toBe("ok");
    expect(mmu.walk(ctx, s.base, Access.Write).kind).toBe("ok");
    const overflow = mmu.walk(ctx, s.base - 8, Access.Write);
    expect(overflow).toMatchObject({ kind: "page-fault", reason: "not-present" });
    expect(stacks.classify(s.base - 8)).toEqual({ kind: "guard", stack: s });
    expect(stacks.classify(s.base)).toEqual({ kind: "stack", stack: s });
    stacks.checkInvariants();
  });

  it("stack pages are supervisor-only and not executable", () => {
    const { stacks, mmu, mapper } = setup();
    const s = stacks.alloc()!;
    const user = makeContext({ root: mapper.root, cpl: 3 });
    expect(mmu.walk(user, s.base, Access.Read)).toMatchObject({ kind: "page-fault", reason: "protection" });
    expect(mmu.walk(makeContext({ root: mapper.root, cpl: 0 }), s.base, Access.Execute)).toMatchObject({
      kind: "page-fault",
    });
  });

  it("freed stacks are cached mapped and come back zeroed", () => {
    const { stacks, memory } = setup();
    const s = stacks.alloc()!;
    memory.write32(s.frames[0]! * 4096 + 16, 0xdeadbeef);
    stacks.free(s);
    expect(stacks.stats()).toMatchObject({ live: 0, cached: 1 });
    const again = stacks.alloc()!;
    expect(again).toBe(s);
    expect(memory.read32(s.frames[0]! * 4096 + 16)).toBe(0);
    expect(stacks.stats()).toMatchObject({ hits: 1, misses: 1 });
    stacks.checkInvariants();
  });

  it("a reused stack is zero in every word of every page, its frames consecutive or not", () => {
    const { stacks, memory, buddy } = setup(256, 4);
    const consecutive = (s: { frames: readonly number[] }) =>
      s.frames.every((f, i) => f === s.frames[0]! + i);
    const dirty = (s: { frames: readonly number[] }) => {
      for (const f of s.frames) for (let w = 0; w < 1024; w++) memory.write32(f * 4096 + 4 * w, w + 1);
    };
    const zero = (s: { frames: readonly number[] }) =>
      s.frames.every((f) => memory.frameBytes(f).every((b) => b === 0));
    // The first stack's pages are interleaved with the page-table frames its mapping needed; the
    // second one's are one run: both ways of clearing are taken.
    const a = stacks.alloc()!;
    const b = stacks.alloc()!;
    expect([consecutive(a), consecutive(b)]).toEqual([false, true]);
    // A free frame right above the run must survive the clearing (no fill past the stack).
    const above = b.frames[b.frames.length - 1]! + 1;
    expect(buddy.isAllocated(above)).toBe(false);
    memory.write32(above * 4096, 0x55aa55aa);
    dirty(a);
    dirty(b);
    stacks.free(a);
    stacks.free(b);
    const b2 = stacks.alloc()!;
    const a2 = stacks.alloc()!;
    expect([a2, b2]).toEqual([a, b]);
    expect([zero(a2), zero(b2)]).toEqual([true, true]);
    expect(memory.read32(above * 4096)).toBe(0x55aa55aa);
    stacks.checkInvariants();
  });

  it("beyond the cache limit a freed stack is unmapped, shot down and its frames freed", () => {
    const { stacks, buddy, invalidated, mapper } = setup(256, 1);
    const initial = buddy.freeFrames();
    const a = stacks.alloc()!;
    const b = stacks.alloc()!;
    stacks.free(a); // cached
    stacks.free(b); // over the limit: released
    expect(invalidated).toEqual([b.base, b.base + 4096, b.base + 8192, b.base + 12288]);
    expect(mapper.translate(b.base)).toBeNull();
    expect(stacks.trim()).toBe(1);
    expect(buddy.freeFrames()).toBeGreaterThanOrEqual(initial - mapper.tableCount);
    stacks.checkInvariants();
  });

  it("with an asynchronous shootdown, a released stack's frames and range wait for the acknowledgement", () => {
    const memory = new PhysicalMemory({ size: 256 * 4096 });
    const buddy = new BuddyAllocator({ frames: 256 });
    buddy.reserve(0, 1);
    const mapper = new Mapper({ memory, frames: buddy });
    const ranges = new FirstFitRanges({ base: KBASE, size: 2 ** 24 });
    const acks: (() => void)[] = [];
    const stacks = new KernelStackCache({
      ranges,
      mapper,
      frames: buddy,
      memory,
      cacheLimit: 0,
      invalidate: () => {},
      whenAcknowledged: (done) => acks.push(done),
    });
    const s = stacks.alloc()!;
    stacks.free(s); // over the limit: unmapped, IPIs sent, not yet acknowledged
    expect(mapper.translate(s.base)).toBeNull();
    for (const f of s.frames) expect(buddy.isAllocated(f)).toBe(true);
    const t = stacks.alloc()!; // the range is still taken: the new stack goes elsewhere
    expect(t.rangeStart).not.toBe(s.rangeStart);
    for (const f of t.frames) expect(s.frames).not.toContain(f);
    expect(acks).toHaveLength(1);
    acks.shift()!(); // every CPU acknowledged
    for (const f of s.frames) expect(buddy.isAllocated(f)).toBe(false);
    stacks.checkInvariants();
  });

  it("out of frames is a result, and nothing is kept", () => {
    const { stacks, buddy, ranges } = setup(16, 0);
    const got = [];
    for (let s = stacks.alloc(); s !== null; s = stacks.alloc()) got.push(s);
    expect(got.length).toBeGreaterThan(0);
    const free = ranges.freeBytes();
    const frames = buddy.freeFrames();
    expect(stacks.alloc()).toBeNull();
    expect(ranges.freeBytes()).toBe(free);
    expect(buddy.freeFrames()).toBe(frames);
    stacks.checkInvariants();
  });

  it("freeing a stack twice, or a foreign one, is refused and changes nothing", () => {
    const { stacks } = setup();
    const s = stacks.alloc()!;
    stacks.free(s);
    expect(() => stacks.free(s)).toThrow(StackStateError);
    expect(() => stacks.free({ ...s })).toThrow(StackStateError);
    expect(stacks.stats()).toMatchObject({ live: 0, cached: 1 });
    stacks.checkInvariants();
  });

  it("property: any alloc/free/trim sequence, out of frames included, keeps stacks private and gives everything back", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 2 }), fc.nat()), { maxLength: 60 }),
        fc.integer({ min: 12, max: 64 }),
        fc.nat({ max: 3 }),
        (ops, nframes, limit) => {
          const { stacks, buddy, ranges, memory, mapper } = setup(nframes, limit);
          const frames0 = buddy.freeFrames() + mapper.tableCount;
          const bytes0 = ranges.freeBytes();
          const live: Array<{ s: KernelStack; mark: number }> = [];
          let n = 0;
          for (const [kind, i] of ops) {
            if (kind === 0) {
              const before = [buddy.freeFrames() + mapper.tableCount, ranges.freeBytes()];
              const s = stacks.alloc();
              if (s === null) {
                // A failed alloc keeps nothing (frames, page tables and range all given back).
                expect([buddy.freeFrames() + mapper.tableCount, ranges.freeBytes()]).toEqual(before);
              } else {
                expect(s.frames.every((f) => memory.frameBytes(f).every((b) => b === 0))).toBe(true);
                const mark = (n++ % 255) + 1;
                for (const f of s.frames) memory.write8(f * 4096 + 100, mark);
                live.push({ s, mark });
              }
            } else if (kind === 1 && live.length > 0) {
              stacks.free(live.splice(i % live.length, 1)[0]!.s);
            } else {
              stacks.trim();
            }
            // No two live stacks share a frame: each still reads its own mark.
            for (const { s, mark } of live)
              for (const f of s.frames) expect(memory.read8(f * 4096 + 100)).toBe(mark);
            stacks.checkInvariants();
          }
          for (const { s } of live) stacks.free(s);
          stacks.trim();
          expect(ranges.freeBytes()).toBe(bytes0);
          expect(buddy.freeFrames() + mapper.tableCount).toBe(frames0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("works on the os2-style virtual buddy too (a 5-page request takes an 8-page block)", () => {
    const memory = new PhysicalMemory({ size: 256 * 4096 });
    const buddy = new BuddyAllocator({ frames: 256 });
    buddy.reserve(0, 1);
    const mapper = new Mapper({ memory, frames: buddy });
    const ranges = new VirtualBuddy({ base: KBASE, pages: 1024 });
    const stacks = new KernelStackCache({ ranges, mapper, frames: buddy, memory, cacheLimit: 0 });
    const before = ranges.freeBytes();
    const a = stacks.alloc()!;
    const b = stacks.alloc()!;
    expect(b.rangeStart - a.rangeStart).toBe(8 * 4096);
    stacks.checkInvariants();
    stacks.free(a);
    stacks.free(b);
    expect(ranges.freeBytes()).toBe(before);
    stacks.checkInvariants();
  });
});
