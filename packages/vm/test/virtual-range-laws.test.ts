/**
 * The virtual-range laws must accept our two allocators (os2's buddy, Lunaix's first fit), in the
 * lower and the upper half, and REJECT wrong ones: a suite that passes a broken allocator tells a
 * student it is fine when it is not.
 *
 * `Planted` wraps `FirstFitRanges` and plants one classic mistake per switch; the law made for that
 * mistake must fail, with a message that names what went wrong, and so must the model-based law.
 */
import { describe, expect, it } from "vitest";
import { FirstFitRanges, type RangeRequest, VirtualBuddy, type VirtualRangeAllocator } from "../src/index.js";
import { runVirtualRangeLaws, virtualRangeLaws } from "../src/laws/index.js";
import { LAW_HELD, violation } from "./law-violation.js";

const P = 4096;

type Bug =
  /** alloc ignores the alignment asked for. */
  | "ignores-align"
  /** free gives back all but the last page of a range of two pages or more. */
  | "leaks-a-page"
  /** alloc gives up (null) whenever the alignment is above a page. */
  | "null-when-aligned"
  /** a free that is refused first frees whatever part of the range was allocated. */
  | "refusal-frees-part"
  /** claim of a range that is not wholly free takes its free pages, then returns false. */
  | "claim-takes-part"
  /** alloc of a size that is not a page multiple rounds it up instead of refusing it. */
  | "rounds-bad-size"
  /** alloc returns the range it handed out last, without taking anything, every fifth call. */
  | "hands-out-twice";

class Planted implements VirtualRangeAllocator {
  private readonly inner = new FirstFitRanges({ base: 0x40_0000, size: 64 * P });
  private last: number | null = null;
  private calls = 0;
  readonly base = this.inner.base;
  readonly size = this.inner.size;

  constructor(private readonly bug: Bug) {}

  alloc(bytes: number, request: RangeRequest = {}): number | null {
    if (this.bug === "null-when-aligned" && (request.align ?? P) > P) return null;
    if (this.bug === "hands-out-twice" && ++this.calls % 5 === 0 && this.last !== null) return this.last;
    if (this.bug === "rounds-bad-size" && bytes > 0) bytes = Math.ceil(bytes / P) * P;
    const va = this.inner.alloc(bytes, this.bug === "ignores-align" ? { ...request, align: P } : request);
    this.last = va;
    return va;
  }

  free(va: number, bytes: number): void {
    if (this.bug === "leaks-a-page" && bytes >= 2 * P) bytes -= P;
    try {
      this.inner.free(va, bytes);
    } catch (e) {
      if (this.bug === "refusal-frees-part") {
        for (let p = va; p < va + bytes; p += P) if (!this.inner.isFree(p, P)) this.inner.free(p, P);
      }
      throw e;
    }
  }

  claim(va: number, bytes: number): boolean {
    if (this.bug === "claim-takes-part" && !this.inner.isFree(va, bytes)) {
      for (let p = va; p < va + bytes; p += P) if (this.inner.isFree(p, P)) this.inner.claim(p, P);
      return false;
    }
    return this.inner.claim(va, bytes);
  }

  freeBytes(): number {
    return this.inner.freeBytes();
  }

  checkInvariants(): void {
    this.inner.checkInvariants();
  }
}

const opts = { numRuns: 60, seed: 42 };

describe("virtual-range laws accept our allocators", () => {
  it("FirstFitRanges (Lunaix), lower half", () =>
    runVirtualRangeLaws(() => new FirstFitRanges({ base: 0x40_0000, size: 64 * P }), opts));
  it("FirstFitRanges, upper half, an odd number of pages", () =>
    runVirtualRangeLaws(() => new FirstFitRanges({ base: -(2 ** 39), size: 45 * P }), opts));
  it("VirtualBuddy (os2), largest block 16 pages", () =>
    runVirtualRangeLaws(() => new VirtualBuddy({ base: 0x40_0000, pages: 64, maxOrder: 5 }), opts));
  it("VirtualBuddy, upper half, 48 pages (not a power of two)", () =>
    runVirtualRangeLaws(() => new VirtualBuddy({ base: -(2 ** 39), pages: 48, maxOrder: 4 }), opts));
});

const broken = (bug: Bug, lawPrefix: string) =>
  violation(
    virtualRangeLaws(() => new Planted(bug), opts),
    lawPrefix,
  );

describe("virtual-range laws reject planted bugs, each with the law made for it", () => {
  const cases: Array<[Bug, string, RegExp]> = [
    ["ignores-align", "alloc returns an aligned range", /not aligned to/],
    ["leaks-a-page", "freeBytes() adds up", /freeBytes\(\): got \d+, expected \d+/],
    ["leaks-a-page", "freeing every range", /after freeing every range/],
    [
      "null-when-aligned",
      "alloc returns null only when",
      /returned null, but the \d+ bytes at 0x[0-9a-f]+ are free/,
    ],
    ["refusal-frees-part", "a free of a range that is not wholly allocated", /after the refused free/],
    ["claim-takes-part", "claim takes exactly", /after claim\(0x[0-9a-f]+, \d+\)/],
    ["rounds-bad-size", "alloc of a size that is not", /did not throw/],
    ["hands-out-twice", "alloc returns an aligned range", /already taken|at least \d+ bytes/],
  ];
  for (const [bug, law, message] of cases) {
    it(`${bug}: "${law}…" fails: ${message.source}`, () => expect(broken(bug, law)).toMatch(message));
  }
  it.each([
    "ignores-align",
    "leaks-a-page",
    "null-when-aligned",
    "claim-takes-part",
    "hands-out-twice",
  ] as const)("%s: the model-based law fails too", (bug) => {
    expect(broken(bug, "model-based")).not.toBe(LAW_HELD);
  });
  it("without a bug, the wrapper passes every law (the switches are the only difference)", () => {
    const none = "none" as Bug;
    expect(() => runVirtualRangeLaws(() => new Planted(none), opts)).not.toThrow();
  });
});
