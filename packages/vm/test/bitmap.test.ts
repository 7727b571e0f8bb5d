import { describe, expect, it } from "vitest";
import {
  BitmapAllocator,
  DoubleFreeError,
  FrameBusyError,
  FrameRangeError,
  InvalidOrderError,
  MisalignedError,
  NotAllocatedError,
  WrongOrderError,
} from "../src/index.js";
import { frameAllocatorLaws, snapshot } from "../src/laws/index.js";

describe("BitmapAllocator: the laws", () => {
  for (const law of frameAllocatorLaws(() => new BitmapAllocator({ frames: 256, maxOrder: 7 }), {
    numRuns: 60,
  })) {
    it(`256 frames: ${law.name}`, () => law.check());
  }
  for (const law of frameAllocatorLaws(() => new BitmapAllocator({ frames: 77, maxOrder: 4 }), {
    numRuns: 50,
  })) {
    it(`77 frames: ${law.name}`, () => law.check());
  }
});

describe("BitmapAllocator: first fit over aligned slots", () => {
  it("finds the lowest aligned run, inside a word and across words", () => {
    const bm = new BitmapAllocator({ frames: 200 });
    expect(bm.alloc(0)).toBe(0);
    expect(bm.alloc(2)).toBe(4); // 0 is taken, so the quad at 0 is not clear
    expect(bm.alloc(1)).toBe(2);
    expect(bm.alloc(0)).toBe(1);
    expect(bm.alloc(6)).toBe(64); // 64 frames = words 2 and 3
    expect(bm.alloc(7)).toBe(null); // 128 aligned at 128 would need frames up to 255
    bm.checkInvariants();
  });

  it("never hands out the padding past frameCount", () => {
    const bm = new BitmapAllocator({ frames: 33, maxOrder: 7 });
    expect(bm.alloc(5)).toBe(0);
    expect(bm.alloc(0)).toBe(32);
    expect(bm.alloc(0)).toBe(null);
    bm.checkInvariants();
  });

  it("refuses bad frees with the buddy's error kinds and changes nothing", () => {
    const bm = new BitmapAllocator({ frames: 64 });
    bm.alloc(2);
    bm.alloc(0);
    bm.reserve(40, 2);
    const before = snapshot(bm);
    // Everything it holds, private arrays included: a refusal must not even move `firstFree`.
    const full = () => {
      const g = bm as unknown as { bits: Int32Array; order: Int8Array; freeCount: number; firstFree: number };
      return { bits: [...g.bits], order: [...g.order], free: g.freeCount, first: g.firstFree };
    };
    const guts = full();
    const calls: Array<[() => void, new (m: string) => Error]> = [
      [() => bm.free(8, 0), DoubleFreeError],
      [() => bm.free(0, 1), WrongOrderError],
      [() => bm.free(1, 0), NotAllocatedError],
      [() => bm.free(1, 1), MisalignedError],
      [() => bm.free(40, 0), NotAllocatedError],
      [() => bm.reserve(3, 4), FrameBusyError],
      [() => bm.reserve(41, 2), FrameBusyError],
      [() => bm.reserve(62, 3), FrameRangeError],
      [() => bm.alloc(11), InvalidOrderError],
    ];
    for (const [call, kind] of calls) {
      expect(call).toThrow(kind);
      expect(full()).toEqual(guts);
    }
    expect(snapshot(bm)).toEqual(before);
    bm.checkInvariants();
  });
});
