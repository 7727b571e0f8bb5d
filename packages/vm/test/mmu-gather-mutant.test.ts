/**
 * The control for the MMU gather: a VM system whose gather frees at once (what the code did
 * before: frames went back to the allocator inside the operation, before any acknowledgement)
 * must fail the model-based copy-on-write law, whose machine has CPUs that disable interrupts.
 * The module is replaced for this file only.
 */
import { describe, expect, it, vi } from "vitest";
import type { FrameAllocator } from "../src/frames/api.js";

vi.mock("../src/space/mmu-gather.js", () => ({
  MmuGather: class {
    readonly frames: FrameAllocator;
    constructor(inner: FrameAllocator) {
      this.frames = inner; // frees go straight back: no deferral
    }
    begin(): void {}
    finish(): void {}
    run<T>(op: () => T): T {
      return op();
    }
    poll(): number {
      return 0;
    }
    get deferredFrames(): number {
      return 0;
    }
    isDeferred(): boolean {
      return false;
    }
    checkInvariants(): void {}
  },
}));

const { cowStrategyLaws } = await import("../src/laws/cow.js");
const { RefcountCow } = await import("../src/cow/refcount.js");
const { ShadowCow } = await import("../src/cow/shadow.js");

describe("a gather that frees before the acknowledgement", () => {
  it.each([
    ["refcount", () => new RefcountCow()],
    ["shadow", () => new ShadowCow()],
  ] as const)("fails the model-based law (%s)", (_name, make) => {
    // 300 runs at most: the property stops at its first failure
    const law = cowStrategyLaws(make, { numRuns: 300, maxSteps: 50 }).find((l) =>
      l.name.startsWith("no frame is reused"),
    )!;
    let caught: unknown = null;
    try {
      law.check();
    } catch (e) {
      caught = e;
    }
    expect(caught).not.toBeNull();
    // fast-check reports the command's error as the cause of its own
    const cause = String((caught as Error).cause ?? caught);
    expect(cause).toMatch(/which is free|handed out while CPU/);
  });
});
