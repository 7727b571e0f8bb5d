import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BuddyAllocator, DoubleFreeError, FrameRefCounts, RefCountError } from "../src/index.js";

describe("FrameRefCounts", () => {
  it("frees the frame when the last reference goes", () => {
    const buddy = new BuddyAllocator({ frames: 16, maxOrder: 4 });
    const refs = new FrameRefCounts(buddy);
    const p = refs.alloc()!;
    expect(refs.share(p)).toBe(2);
    expect(refs.release(p)).toBe(1);
    expect(buddy.isAllocated(p)).toBe(true);
    expect(refs.release(p)).toBe(0);
    expect(buddy.isAllocated(p)).toBe(false);
    expect(buddy.freeFrames()).toBe(16);
    refs.checkInvariants();
  });

  it("refuses a share or a release of a frame nobody holds, and an adopt of a held one", () => {
    const buddy = new BuddyAllocator({ frames: 16, maxOrder: 4 });
    const refs = new FrameRefCounts(buddy);
    const p = refs.alloc()!;
    expect(() => refs.share(5)).toThrow(RefCountError);
    expect(() => refs.release(5)).toThrow(RefCountError);
    expect(() => refs.adopt(p)).toThrow(RefCountError);
    expect(refs.count(p)).toBe(1);
    const q = buddy.allocFrame()!;
    refs.adopt(q);
    expect(refs.release(q)).toBe(0);
    expect(() => buddy.freeFrame(q)).toThrow(DoubleFreeError); // release already freed it
    refs.checkInvariants();
  });

  it("refuses to adopt a frame the allocator does not hold (its last release would free a free frame)", () => {
    const buddy = new BuddyAllocator({ frames: 16, maxOrder: 4 });
    const refs = new FrameRefCounts(buddy);
    expect(() => refs.adopt(7)).toThrow(RefCountError);
    expect([refs.count(7), refs.heldFrames(), buddy.freeFrames()]).toEqual([0, 0, 16]);
    refs.checkInvariants();
  });

  it("agrees with a Map model under random share/release (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 2 }), fc.nat()), { maxLength: 100, size: "max" }),
        (ops) => {
          const buddy = new BuddyAllocator({ frames: 32, maxOrder: 3 });
          const refs = new FrameRefCounts(buddy);
          const model = new Map<number, number>();
          for (const [kind, i] of ops) {
            const held = [...model.keys()];
            if (kind === 0 || held.length === 0) {
              const p = refs.alloc();
              if (p !== null) model.set(p, 1);
              else expect(model.size).toBe(32);
            } else {
              const p = held[i % held.length]!;
              if (kind === 1) model.set(p, refs.share(p));
              else {
                const left = refs.release(p);
                expect(left).toBe(model.get(p)! - 1);
                if (left === 0) model.delete(p);
                else model.set(p, left);
              }
            }
            refs.checkInvariants();
            expect(refs.heldFrames()).toBe(model.size);
            expect(buddy.freeFrames()).toBe(32 - model.size);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
