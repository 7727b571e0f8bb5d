import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BitmapAllocator,
  BuddyAllocator,
  DoubleFreeError,
  FrameBusyError,
  FrameRangeError,
  FrameRefCounts,
  InvalidOrderError,
  InvariantError,
  MisalignedError,
  NotAllocatedError,
  PoisoningAllocator,
  VmArgumentError,
  type VmError,
  WrongOrderError,
  ZeroedFramePool,
} from "../src/index.js";
import { frameAllocatorLaws, snapshot } from "../src/laws/index.js";
import type { FrameEvent } from "../src/tracer.js";

describe("BuddyAllocator: the laws", () => {
  for (const law of frameAllocatorLaws(() => new BuddyAllocator({ frames: 256, maxOrder: 6 }), {
    numRuns: 60,
  })) {
    it(`256 frames: ${law.name}`, () => law.check());
  }
  // A size that is not a multiple of the largest block exercises the padding and the tail blocks.
  for (const law of frameAllocatorLaws(() => new BuddyAllocator({ frames: 203, maxOrder: 5 }), {
    numRuns: 50,
  })) {
    it(`203 frames: ${law.name}`, () => law.check());
  }
});

describe("BuddyAllocator: split and coalesce", () => {
  it("starts as maximal aligned blocks with the lowest at each list head", () => {
    const b = new BuddyAllocator({ frames: 2048 });
    expect(b.freeBlocks(10)).toBe(2);
    expect(b.buddyinfo()).toBe(`Node 0, zone   Normal${"      0".repeat(10)}      2 \n`);
    expect(b.alloc(10)).toBe(0);
    const c = new BuddyAllocator({ frames: 13, maxOrder: 4 }); // 13 = 8 + 4 + 1
    expect([c.freeBlocks(3), c.freeBlocks(2), c.freeBlocks(1), c.freeBlocks(0)]).toEqual([1, 1, 0, 1]);
    c.checkInvariants();
  });

  it("splits keeping the low half: alloc(0) from an order-3 block at 8 leaves 9 (o0), 10 (o1), 12 (o2)", () => {
    const b = new BuddyAllocator({ frames: 16, maxOrder: 4 });
    expect(b.alloc(3)).toBe(0); // takes 0..7, leaves the order-3 block at 8
    expect(b.alloc(0)).toBe(8);
    expect(b.blockOf(9)).toEqual({ pfn: 9, order: 0, state: "free" });
    expect(b.blockOf(11)).toEqual({ pfn: 10, order: 1, state: "free" });
    expect(b.blockOf(15)).toEqual({ pfn: 12, order: 2, state: "free" });
    b.checkInvariants();
  });

  it("block 8 at order 1 has buddy 10: freeing both merges them into order-2 block 8", () => {
    const b = new BuddyAllocator({ frames: 16, maxOrder: 4 });
    b.alloc(3); // 0..7 stays allocated so the merge stops at order 2 + order 3 (12 is free)
    const x = b.alloc(1)!;
    const y = b.alloc(1)!;
    expect([x, y]).toEqual([8, 10]);
    b.free(8, 1);
    expect(b.blockOf(8)).toEqual({ pfn: 8, order: 1, state: "free" }); // buddy 10 still allocated
    b.free(10, 1);
    // 8 and 10 merge (order 2), then with buddy 12 (order 2) into order-3 block 8.
    expect(b.blockOf(13)).toEqual({ pfn: 8, order: 3, state: "free" });
    expect(b.freeBlocks(3)).toBe(1);
    b.checkInvariants();
  });

  it("does not merge across the end of memory (the buddy would lie in padding)", () => {
    const b = new BuddyAllocator({ frames: 12, maxOrder: 4 }); // blocks 0 (o3) and 8 (o2)
    const p = b.alloc(2)!;
    expect(p).toBe(8);
    b.free(p, 2);
    expect(b.freeBlocks(2)).toBe(1); // 8 ^ 4 = 12 is padding: no merge into order 3
    b.checkInvariants();
  });
});

/** Everything a buddy allocator holds: its private arrays, copied, and its counters. */
function fullState(b: BuddyAllocator) {
  const g = b as unknown as {
    tag: Int8Array;
    next: Int32Array;
    prev: Int32Array;
    nfree: Int32Array;
    reservedCount: number;
  };
  return {
    tag: [...g.tag],
    next: [...g.next],
    prev: [...g.prev],
    nfree: [...g.nfree],
    reserved: g.reservedCount,
    info: b.buddyinfo(),
  };
}

describe("BuddyAllocator: bad input is refused and changes nothing", () => {
  const setup = () => {
    const b = new BuddyAllocator({ frames: 64, maxOrder: 5 });
    const p = b.alloc(2)!; // 0..3
    const q = b.alloc(0)!; // 4
    return { b, p, q };
  };
  const refused = (
    call: (b: BuddyAllocator) => void,
    kind: new (m: string) => VmError,
    code: string,
    prep: (b: BuddyAllocator) => void = () => {},
  ) => {
    const { b } = setup();
    prep(b);
    const before = snapshot(b);
    const full = fullState(b);
    let err: unknown;
    try {
      call(b);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(kind);
    expect((err as VmError).code).toBe(code);
    expect(snapshot(b)).toEqual(before);
    expect(fullState(b)).toEqual(full); // not only what isAllocated shows: every list link and tag
    b.checkInvariants();
    return (err as Error).message;
  };

  it("double free", () => {
    const msg = refused(
      (b) => b.free(4, 0),
      DoubleFreeError,
      "double-free",
      (b) => b.free(4, 0),
    );
    expect(msg).toMatch(/^free\(pfn=0x4, order=0\): block is not allocated \(double free\?\)/);
  });
  it("wrong order", () => refused((b) => b.free(0, 1), WrongOrderError, "wrong-order"));
  it("a frame inside an allocated block", () =>
    refused((b) => b.free(2, 0), NotAllocatedError, "not-allocated"));
  it("a frame never allocated", () => refused((b) => b.free(32, 0), DoubleFreeError, "double-free"));
  it("a misaligned frame", () => refused((b) => b.free(1, 1), MisalignedError, "misaligned"));
  it("a frame out of range", () => refused((b) => b.free(64, 0), FrameRangeError, "frame-range"));
  it("a negative or fractional frame", () => {
    refused((b) => b.free(-1, 0), FrameRangeError, "frame-range");
    refused((b) => b.free(0.5, 0), FrameRangeError, "frame-range");
  });
  it("a bad order", () => {
    refused((b) => b.free(0, 5), InvalidOrderError, "invalid-order");
    refused((b) => b.free(0, -33), InvalidOrderError, "invalid-order");
    refused((b) => b.alloc(5), InvalidOrderError, "invalid-order");
    refused((b) => b.alloc(0.5), InvalidOrderError, "invalid-order");
  });
  it("a reserved frame", () => {
    refused(
      (b) => b.free(40, 0),
      NotAllocatedError,
      "not-allocated",
      (b) => b.reserve(40, 2),
    );
  });
  it("reserve over an allocated frame", () => refused((b) => b.reserve(3, 4), FrameBusyError, "frame-busy"));
  it("reserve beyond the end", () => refused((b) => b.reserve(60, 5), FrameRangeError, "frame-range"));
  it("a fractional, negative or empty reserve range", () => {
    refused((b) => b.reserve(8.5, 2), FrameRangeError, "frame-range");
    refused((b) => b.reserve(-1, 2), FrameRangeError, "frame-range");
    refused((b) => b.reserve(8, 0), FrameRangeError, "frame-range");
    refused((b) => b.reserve(8, 1.5), FrameRangeError, "frame-range");
  });
  it("reserve over a range already partly reserved", () =>
    refused(
      (b) => b.reserve(38, 4),
      FrameBusyError,
      "frame-busy",
      (b) => b.reserve(40, 2),
    ));
  it("release of frames that are not (all) reserved", () => {
    refused((b) => b.release(8, 2), NotAllocatedError, "not-allocated");
    refused(
      (b) => b.release(40, 3),
      NotAllocatedError,
      "not-allocated",
      (b) => b.reserve(40, 2),
    );
    refused((b) => b.release(0, 1), NotAllocatedError, "not-allocated");
  });
  it("alloc with NaN or a negative order", () => {
    refused((b) => b.alloc(Number.NaN), InvalidOrderError, "invalid-order");
    refused((b) => b.alloc(-1), InvalidOrderError, "invalid-order");
  });
  it("bad constructor options", () => {
    expect(() => new BuddyAllocator({ frames: 0 })).toThrow(VmArgumentError);
    expect(() => new BuddyAllocator({ frames: 8, maxOrder: 25 })).toThrow(VmArgumentError);
  });
});

describe("BuddyAllocator: reserve, release, reports", () => {
  it("reserve splits the straddling block and keeps the rest free", () => {
    const b = new BuddyAllocator({ frames: 32, maxOrder: 6 });
    b.reserve(5, 3); // 5..7 out of the order-5 block 0
    expect(b.freeFrames()).toBe(29);
    expect(b.reservedFrames()).toBe(3);
    expect(b.blockOf(4)).toEqual({ pfn: 4, order: 0, state: "free" });
    expect(b.blockOf(0)).toEqual({ pfn: 0, order: 2, state: "free" });
    expect(b.blockOf(20)).toEqual({ pfn: 16, order: 4, state: "free" });
    expect(b.blockOf(6)).toEqual({ pfn: 6, order: 0, state: "reserved" });
    b.checkInvariants();
    b.release(5, 3);
    expect(b.freeBlocks(5)).toBe(1);
    b.checkInvariants();
  });

  it("release of a frame that is not reserved is refused", () => {
    const b = new BuddyAllocator({ frames: 32 });
    b.reserve(0, 2);
    expect(() => b.release(0, 3)).toThrow(NotAllocatedError);
    expect(b.reservedFrames()).toBe(2);
    b.checkInvariants();
  });

  it("the unusable free space index: 4 x o0 and 1 x o2 free gives 0.5 for order 2", () => {
    const b = new BuddyAllocator({ frames: 16, maxOrder: 4 });
    const all: number[] = [];
    for (let p = b.alloc(0); p !== null; p = b.alloc(0)) all.push(p);
    for (const p of [0, 2, 4, 6]) b.free(p, 0); // isolated frames: no buddy is free
    for (const p of [12, 13, 14, 15]) b.free(p, 0); // merge into order-2 block 12
    expect(b.freeBlocks(0)).toBe(4);
    expect(b.freeBlocks(2)).toBe(1);
    expect(b.unusableIndex(2)).toBe(0.5);
    expect(b.unusableIndex(0)).toBe(0);
    expect(b.unusableIndex(3)).toBe(1);
    expect(b.fragmentationIndex(2)).toBe(-1);
    // order 3 fails: 5 free blocks, 8 free frames: 1 - (1 + 8/8) / 5 = 0.6
    expect(b.fragmentationIndex(3)).toBeCloseTo(0.6);
  });

  it("with nothing free, the unusable index is 1 (Linux: all free memory is unusable) and the fragmentation index 0", () => {
    const b = new BuddyAllocator({ frames: 8, maxOrder: 4 });
    expect(b.alloc(3)).toBe(0);
    expect(b.freeFrames()).toBe(0);
    for (let k = 0; k < 4; k++) {
      expect(b.unusableIndex(k)).toBe(1);
      expect(b.fragmentationIndex(k)).toBe(0); // fails for lack of memory, not fragmentation
    }
  });

  it("emits trace events", () => {
    const log: FrameEvent[] = [];
    const b = new BuddyAllocator({ frames: 4, maxOrder: 2, tracer: { emit: (e) => log.push(e) } });
    const p = b.alloc(1)!;
    b.alloc(1);
    b.alloc(1);
    b.free(p, 1);
    expect(log.map((e) => e.type)).toEqual(["frame.alloc", "frame.alloc", "frame.oom", "frame.free"]);
  });

  it("scales to 16 GiB: 4M frames, at most 16 bytes of metadata each with every helper on", () => {
    const frames = 4 * 1024 * 1024;
    const b = new BuddyAllocator({ frames });
    expect(b.freeBlocks(10)).toBe(4096);
    const p = b.alloc(0)!;
    b.free(p, 0);
    expect(b.freeBlocks(10)).toBe(4096);
    // Every typed array an object holds in its own fields, counted in bytes: what the structure
    // costs per frame, measured rather than taken from a comment.
    const bytes = (o: object) =>
      Object.values(o).reduce((n: number, v) => n + (ArrayBuffer.isView(v) ? v.byteLength : 0), 0);
    expect(bytes(b) / frames).toBeCloseTo(9, 4); // next, prev (int32) + tag (int8), 11 head nodes
    const refs = new FrameRefCounts(b);
    const pool = new ZeroedFramePool(b);
    const poison = new PoisoningAllocator(b, {
      memory: { fillFrame() {}, frameBytes: () => new Uint8Array(4096) },
    });
    const total = bytes(b) + bytes(refs) + bytes(pool) + bytes(poison);
    expect(total / frames).toBeLessThanOrEqual(16);
    expect(bytes(new BitmapAllocator({ frames })) / frames).toBeLessThanOrEqual(1.125 + 1e-6);
  });
});

// A naive buddy: free lists as JS arrays of block starts, the same LIFO discipline. The real
// allocator must return exactly the same frames, step for step.
class NaiveBuddy {
  lists: number[][];
  constructor(
    readonly frames: number,
    readonly maxOrder: number,
  ) {
    this.lists = Array.from({ length: maxOrder }, () => []);
    const blocks: Array<[number, number]> = [];
    for (let p = 0; p < frames; ) {
      let k = maxOrder - 1;
      while (p % 2 ** k !== 0 || p + 2 ** k > frames) k--;
      blocks.push([p, k]);
      p += 2 ** k;
    }
    for (const [p, k] of blocks.reverse()) this.lists[k]!.unshift(p);
  }
  alloc(order: number): number | null {
    let k = order;
    while (k < this.maxOrder && this.lists[k]!.length === 0) k++;
    if (k === this.maxOrder) return null;
    const p = this.lists[k]!.shift()!;
    while (k > order) {
      k--;
      this.lists[k]!.unshift(p + 2 ** k);
    }
    return p;
  }
  free(p: number, order: number): void {
    while (order < this.maxOrder - 1) {
      const b = p ^ (2 ** order);
      const i = this.lists[order]!.indexOf(b);
      if (i < 0) break;
      this.lists[order]!.splice(i, 1);
      p = Math.min(p, b);
      order++;
    }
    this.lists[order]!.unshift(p);
  }
}

describe("BuddyAllocator against a naive buddy (same frames, step for step)", () => {
  it("agrees on every alloc and on every list", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 5 }), fc.nat()), { maxLength: 120, size: "max" }),
        fc.integer({ min: 1, max: 200 }),
        (ops, frames) => {
          const real = new BuddyAllocator({ frames, maxOrder: 6 });
          const naive = new NaiveBuddy(frames, 6);
          const live: Array<[number, number]> = [];
          for (const [alloc, order, i] of ops) {
            if (alloc || live.length === 0) {
              const p = real.alloc(order);
              expect(p).toBe(naive.alloc(order));
              if (p !== null) live.push([p, order]);
            } else {
              const [p, k] = live.splice(i % live.length, 1)[0]!;
              real.free(p, k);
              naive.free(p, k);
            }
            real.checkInvariants();
            for (let k = 0; k < 6; k++) expect(real.freeBlocks(k)).toBe(naive.lists[k]!.length);
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe("BuddyAllocator.checkInvariants catches corruption", () => {
  // Reach into the private arrays the way a buggy change to the allocator would. The head node
  // of free list k is slot `lists + k` of next/prev (circular lists, as Linux's list_head).
  type Guts = { tag: Int8Array; next: Int32Array; prev: Int32Array; nfree: Int32Array; lists: number };
  const fresh = () => {
    const b = new BuddyAllocator({ frames: 64, maxOrder: 4 });
    b.alloc(0); // lists now: 1 (o0), 2 (o1), 4 (o2), 8.. (o3)
    return { b, g: b as unknown as Guts };
  };
  const unlink = (g: Guts, p: number) => {
    g.next[g.prev[p]!] = g.next[p]!;
    g.prev[g.next[p]!] = g.prev[p]!;
  };
  const pushFirst = (g: Guts, p: number, k: number) => {
    const s = g.lists + k;
    g.next[p] = g.next[s]!;
    g.prev[p] = s;
    g.prev[g.next[s]!] = p;
    g.next[s] = p;
  };
  it("a frame on two free lists", () => {
    const { b, g } = fresh();
    const s0 = g.lists; // list 0 is [1]; block 2 (order 1) is also put in front of it
    g.next[s0] = 2;
    g.next[2] = 1;
    g.prev[1] = 2;
    g.nfree[0] = 2;
    expect(() => b.checkInvariants()).toThrow(/tag 1, not 0|twice/);
  });
  it("a tag that disagrees with the lists", () => {
    const { b, g } = fresh();
    g.tag[4] = 1;
    expect(() => b.checkInvariants()).toThrow(InvariantError);
  });
  it("counts that disagree", () => {
    const { b, g } = fresh();
    g.nfree[3] = g.nfree[3]! + 1;
    expect(() => b.checkInvariants()).toThrow(/nfree/);
  });
  it("a broken back link", () => {
    const { b, g } = fresh();
    g.prev[g.lists + 3] = 8; // list 3's head node must point back to its last block, not its first
    expect(() => b.checkInvariants()).toThrow(/head's prev/);
  });
  it("free buddies left unmerged", () => {
    const { b, g } = fresh();
    // Split the free order-2 block 4 into two free order-1 blocks by hand.
    unlink(g, 4);
    g.nfree[2] = g.nfree[2]! - 1;
    g.tag[4] = 1;
    g.tag[6] = 1;
    pushFirst(g, 6, 1);
    pushFirst(g, 4, 1);
    g.nfree[1] = g.nfree[1]! + 2;
    expect(() => b.checkInvariants()).toThrow(/not merged/);
  });
});
