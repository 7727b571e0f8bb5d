// A grinder (in the spirit of xv6's grind.c): every frame-level part of the package shares one
// poisoning buddy over real simulated RAM, random operations run against all of them at once,
// and after every step the accounts must balance — each frame is free, or held by exactly one
// owner — and every live object still holds the bytes last written to it.
import { PhysicalMemory } from "@osbricks/hw-x86";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BuddyAllocator,
  FrameRefCounts,
  Kmalloc,
  PoisoningAllocator,
  SlabCache,
  ZeroedFramePool,
} from "../src/index.js";

const FRAMES = 256;

function grind(ops: ReadonlyArray<readonly [number, number]>): void {
  const ram = new PhysicalMemory({ size: FRAMES * 4096 });
  const buddy = new BuddyAllocator({ frames: FRAMES, maxOrder: 6 });
  const poisoning = new PoisoningAllocator(buddy, { memory: ram });
  // Every client takes its frames through the pool, so it sees every frame that gets dirty.
  const frames = new ZeroedFramePool(poisoning, { memory: ram, capacity: 8 });
  const pool = frames;
  const refs = new FrameRefCounts(frames);
  const heap = new Kmalloc(frames);
  const cache = new SlabCache({ name: "obj72", objectSize: 72, frames });

  const pages = new Map<number, number>(); // refcounted frame -> stamp written at offset 0
  const pooled = new Map<number, number>(); // pool frame -> stamp
  const objects = new Map<number, number>(); // kmalloc or slab address -> stamp (first byte)
  const blocks: Array<[number, number]> = []; // raw blocks straight from the allocator
  let stamp = 1;
  const write = (addr: number) => {
    const v = stamp++ & 0xff || 1;
    ram.write8(addr, v);
    return v;
  };

  for (const [kind, n] of ops) {
    switch (kind % 8) {
      case 0: {
        const p = refs.alloc();
        if (p !== null) pages.set(p, write(p * 4096));
        break;
      }
      case 1: {
        const held = [...pages.keys()];
        if (held.length === 0) break;
        const p = held[n % held.length]!;
        if (n % 3 === 0) refs.share(p);
        else if (refs.release(p) === 0) pages.delete(p);
        break;
      }
      case 2: {
        const p = n % 2 === 0 ? pool.allocZeroed() : pool.alloc(0);
        if (p === null) break;
        if (n % 2 === 0) expect(ram.read8(p * 4096 + (n % 4096))).toBe(0);
        pooled.set(p, write(p * 4096));
        break;
      }
      case 3: {
        const held = [...pooled.keys()];
        if (held.length > 0) {
          const p = held[n % held.length]!;
          pooled.delete(p);
          if (n % 5 === 0) {
            ram.zeroFrame(p); // the caller wiped it: it may go back as zeroed
            pool.freeZeroed(p);
          } else pool.free(p, 0);
        }
        pool.zeroIdle(n % 3);
        break;
      }
      case 4: {
        const a = n % 2 === 0 ? heap.alloc(1 + (n % 6000)) : cache.alloc();
        if (a !== null) objects.set(a, write(a));
        break;
      }
      case 5: {
        const live = [...objects.keys()];
        if (live.length === 0) break;
        const a = live[n % live.length]!;
        objects.delete(a);
        if (cache.owns(a)) cache.free(a);
        else heap.free(a);
        break;
      }
      case 6: {
        const order = n % 4;
        const p = frames.alloc(order);
        if (p !== null) blocks.push([p, order]);
        break;
      }
      default: {
        if (blocks.length === 0) break;
        const [p, order] = blocks.splice(n % blocks.length, 1)[0]!;
        frames.free(p, order);
      }
    }

    // Invariants of every part.
    poisoning.checkInvariants();
    refs.checkInvariants();
    pool.checkInvariants(ram);
    heap.checkInvariants();
    cache.checkInvariants();
    // Every live thing still holds what was written to it (no overlap, no poison on live data).
    for (const [p, v] of pages) expect(ram.read8(p * 4096)).toBe(v);
    for (const [p, v] of pooled) expect(ram.read8(p * 4096)).toBe(v);
    for (const [a, v] of objects) expect(ram.read8(a)).toBe(v);
    // The accounts balance: free + every owner's frames = all frames.
    const blockFrames = blocks.reduce((s, [, o]) => s + 2 ** o, 0);
    const held = refs.heldFrames() + pooled.size + cache.stats().framesHeld + heap.framesHeld() + blockFrames;
    expect(frames.freeFrames()).toBe(FRAMES - held);
  }

  // Tear everything down: every frame must come back.
  for (const p of pages.keys()) while (refs.release(p) > 0);
  for (const p of pooled.keys()) pool.free(p, 0);
  for (const a of objects.keys()) {
    if (cache.owns(a)) cache.free(a);
    else heap.free(a);
  }
  cache.destroy();
  heap.shrink();
  for (const [p, o] of blocks) frames.free(p, o);
  expect(frames.freeFrames()).toBe(FRAMES);
  pool.drain();
  expect(poisoning.freeFrames()).toBe(FRAMES);
  expect(buddy.freeBlocks(5)).toBe(FRAMES / 32); // fully coalesced
  frames.checkInvariants();
}

describe("frames grinder: buddy + poison + refcounts + zeroed pool + kmalloc + slab together", () => {
  it("keeps the accounts balanced and the live data intact (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 120, size: "max" }), (ops) =>
        grind(ops),
      ),
      {
        numRuns: 50,
      },
    );
  });
});
