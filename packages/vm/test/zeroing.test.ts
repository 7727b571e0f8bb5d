import { PhysicalMemory } from "@osbricks/hw-x86";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BuddyAllocator,
  DoubleFreeError,
  FrameBusyError,
  FrameRangeError,
  PoisoningAllocator,
  ZeroedFramePool,
} from "../src/index.js";
import { frameAllocatorLaws } from "../src/laws/index.js";

describe("ZeroedFramePool: the frame-allocator laws (stacks in front of a buddy)", () => {
  const factory = () =>
    new ZeroedFramePool(new BuddyAllocator({ frames: 128, maxOrder: 5 }), { capacity: 4 });
  for (const law of frameAllocatorLaws(factory, { numRuns: 50 })) it(law.name, () => law.check());
});

describe("ZeroedFramePool", () => {
  it("serves boot-fresh frames without zeroing, dirty ones with, pre-zeroed ones without", () => {
    const ram = new PhysicalMemory({ size: 64 * 4096 });
    const pool = new ZeroedFramePool(new BuddyAllocator({ frames: 64, maxOrder: 4 }), { memory: ram });
    const a = pool.allocZeroed()!;
    expect(pool.counters().servedZeroed).toBe(1);
    ram.write8(a * 4096 + 5, 0x42); // the user writes
    pool.free(a, 0);
    expect(pool.isKnownZero(a)).toBe(false);
    const b = pool.allocZeroed()!; // the dirty frame, zeroed on demand
    expect(b).toBe(a);
    expect(ram.read8(a * 4096 + 5)).toBe(0);
    expect(pool.counters().zeroedOnDemand).toBe(1);
    ram.write8(b * 4096, 1);
    pool.free(b, 0);
    expect(pool.zeroIdle(4)).toBe(1);
    expect(ram.read8(b * 4096)).toBe(0);
    pool.checkInvariants(ram);
    expect(pool.allocZeroed()).toBe(b);
    expect(pool.counters()).toEqual({
      servedZeroed: 2,
      zeroedOnDemand: 1,
      zeroedIdle: 1,
      servedDirty: 0,
      drains: 0,
    });
  });

  it("alloc(0) prefers a dirty frame, so no zeroed frame is wasted", () => {
    const pool = new ZeroedFramePool(new BuddyAllocator({ frames: 8, maxOrder: 3 }));
    const a = pool.alloc(0)!;
    const b = pool.alloc(0)!;
    pool.free(a, 0);
    pool.freeZeroed(b);
    expect(pool.alloc(0)).toBe(a);
    expect(pool.allocZeroed()).toBe(b);
    expect(pool.counters().servedDirty).toBe(1);
  });

  it("drains its stacks when a larger block is needed", () => {
    const buddy = new BuddyAllocator({ frames: 8, maxOrder: 4 });
    const pool = new ZeroedFramePool(buddy, { capacity: 8 });
    const got = [0, 1, 2, 3, 4, 5, 6, 7].map(() => pool.alloc(0)!);
    for (const p of got) pool.free(p, 0); // all 8 on the dirty stack, the buddy is empty
    expect(buddy.freeFrames()).toBe(0);
    expect(pool.freeFrames()).toBe(8);
    expect(pool.alloc(3)).toBe(0); // drained, merged, allocated
    expect(pool.counters().drains).toBe(1);
    pool.checkInvariants();
  });

  it("refuses a double free and leaves the pool as it was", () => {
    const pool = new ZeroedFramePool(new BuddyAllocator({ frames: 8, maxOrder: 3 }));
    const a = pool.alloc(0)!;
    pool.free(a, 0);
    expect(() => pool.free(a, 0)).toThrow(DoubleFreeError);
    expect(pool.stackSizes()).toEqual({ zeroed: 0, dirty: 1 });
    expect(() => pool.free(5, 0)).toThrow(DoubleFreeError); // free in the buddy: it names the mistake
    pool.checkInvariants();
  });

  it("a refused reserve leaves the stacks as they were; an accepted one takes only its frames off them", () => {
    const pool = new ZeroedFramePool(new BuddyAllocator({ frames: 16, maxOrder: 3 }), { capacity: 8 });
    const got = [0, 1, 2, 3].map(() => pool.alloc(0)!); // 0, 1, 2, 3
    pool.freeZeroed(got[0]!); // zeroed stack: 0
    pool.free(got[1]!, 0); // dirty stack: 1
    pool.free(got[2]!, 0); // dirty stack: 1, 2 (3 stays allocated)
    const state = () => [pool.stackSizes(), pool.isKnownZero(0), pool.freeFrames(), pool.counters()];
    const before = state();
    expect(() => pool.reserve(2, 2)).toThrow(FrameBusyError); // frame 3 is allocated
    expect(() => pool.reserve(15, 2)).toThrow(FrameRangeError);
    expect(state()).toEqual(before);
    pool.reserve(1, 1); // a stacked frame: it alone leaves its stack
    expect(pool.stackSizes()).toEqual({ zeroed: 1, dirty: 1 });
    expect(pool.isAllocated(1)).toBe(true);
    expect(pool.isKnownZero(0)).toBe(true);
    expect(pool.alloc(0)).toBe(2); // the dirty stack still serves first
    pool.checkInvariants();
  });

  it("never hands out a frame twice and always hands out zeros from allocZeroed (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 4 }), fc.nat()), { maxLength: 80, size: "max" }), (ops) => {
        const ram = new PhysicalMemory({ size: 16 * 4096 });
        const buddy = new BuddyAllocator({ frames: 16, maxOrder: 3 });
        const pool = new ZeroedFramePool(buddy, { memory: ram, capacity: 4 });
        const held = new Set<number>();
        for (const [kind, i] of ops) {
          if (kind <= 1) {
            const p = kind === 0 ? pool.allocZeroed() : pool.alloc(0);
            if (p === null) continue;
            expect(held.has(p)).toBe(false);
            if (kind === 0) expect(ram.frameBytes(p).every((x) => x === 0)).toBe(true);
            held.add(p);
            ram.write8(p * 4096 + (i % 4096), 1 + (i % 255)); // dirty it
          } else if (kind === 2 && held.size > 0) {
            const p = [...held][i % held.size]!;
            held.delete(p);
            pool.free(p, 0);
          } else pool.zeroIdle(i % 3);
          pool.checkInvariants(ram);
        }
        for (const p of held) pool.free(p, 0);
        pool.drain();
        expect(buddy.freeFrames()).toBe(16);
      }),
      { numRuns: 60 },
    );
  });
});

describe("ZeroedFramePool over a poisoning allocator", () => {
  it("does not trust zero bits of frames that went back to the allocator (it may poison them)", () => {
    const ram = new PhysicalMemory({ size: 8 * 4096 });
    const pool = new ZeroedFramePool(
      new PoisoningAllocator(new BuddyAllocator({ frames: 8, maxOrder: 4 }), { memory: ram }),
      {
        memory: ram,
        capacity: 1,
      },
    );
    const a = pool.allocZeroed()!;
    pool.freeZeroed(a); // on the zeroed stack
    pool.drain(); // back to the poisoning allocator: filled with 0xaa
    const b = pool.allocZeroed()!;
    expect(ram.frameBytes(b).every((x) => x === 0)).toBe(true);
    const c = pool.allocZeroed()!;
    pool.freeZeroed(c);
    pool.freeZeroed(b); // the stack holds one: b goes to the allocator, poisoned
    for (let p = pool.allocZeroed(); p !== null; p = pool.allocZeroed()) {
      expect(ram.frameBytes(p).every((x) => x === 0)).toBe(true);
    }
  });
});
