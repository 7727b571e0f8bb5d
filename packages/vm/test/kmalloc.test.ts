import { describe, expect, it } from "vitest";
import { BuddyAllocator, Kmalloc, SlabObjectError } from "../src/index.js";

describe("Kmalloc", () => {
  it("rounds to the size class, and serves large sizes with whole frames", () => {
    const buddy = new BuddyAllocator({ frames: 256, maxOrder: 6 });
    const heap = new Kmalloc(buddy);
    const a = heap.alloc(100)!;
    expect(a % 128).toBe(0);
    expect(heap.stats().find((s) => s.name === "kmalloc-128")!.objectsInUse).toBe(1);
    const big = heap.alloc(5000)!;
    expect(big % 8192).toBe(0); // an order-1 block
    heap.free(big);
    heap.free(a);
    expect(() => heap.free(a)).toThrow(SlabObjectError);
    expect(() => heap.free(12345)).toThrow(SlabObjectError);
    heap.checkInvariants();
    heap.shrink();
    expect(buddy.freeFrames()).toBe(256);
  });

  it("keeps many small allocations apart", () => {
    const heap = new Kmalloc(new BuddyAllocator({ frames: 1024, maxOrder: 6 }));
    const got = new Set<number>();
    for (let i = 1; i <= 500; i++) {
      const a = heap.alloc(((i * 37) % 3000) + 1)!;
      expect(got.has(a)).toBe(false);
      got.add(a);
    }
    heap.checkInvariants();
    for (const a of got) heap.free(a);
    heap.shrink();
    heap.checkInvariants();
  });
});
