import { PhysicalMemory } from "@osbricks/hw-x86";
import { describe, expect, it } from "vitest";
import {
  BitmapAllocator,
  BuddyAllocator,
  DoubleFreeError,
  PoisonError,
  PoisoningAllocator,
} from "../src/index.js";
import { frameAllocatorLaws, snapshot } from "../src/laws/index.js";

describe("PoisoningAllocator: the laws still hold around the buddy", () => {
  const factory = () =>
    new PoisoningAllocator(new BuddyAllocator({ frames: 64, maxOrder: 4 }), {
      memory: new PhysicalMemory({ size: 64 * 4096 }),
    });
  for (const law of frameAllocatorLaws(factory, { numRuns: 50, maxSteps: 30 }))
    it(law.name, () => law.check());
});

describe("PoisoningAllocator", () => {
  it("fills freed frames with 0xaa and catches a write after free", () => {
    const ram = new PhysicalMemory({ size: 64 * 4096 });
    const a = new PoisoningAllocator(new BuddyAllocator({ frames: 64, maxOrder: 4 }), { memory: ram });
    const p = a.alloc(1)!;
    a.free(p, 1);
    expect(ram.read8(p * 4096 + 4095)).toBe(0xaa);
    expect(ram.read8((p + 1) * 4096)).toBe(0xaa);
    ram.write8((p + 1) * 4096 + 8, 7); // a dangling write
    const before = snapshot(a);
    expect(() => a.alloc(1)).toThrow(PoisonError);
    expect(() => a.alloc(1)).not.toThrow(); // reported once; re-poisoned
    a.free(p, 1);
    expect(snapshot(a)).toEqual(before);
    a.checkInvariants();
  });

  it("poisons nothing on a refused free", () => {
    const ram = new PhysicalMemory({ size: 32 * 4096 });
    const a = new PoisoningAllocator(new BitmapAllocator({ frames: 32 }), { memory: ram, byte: 0x6b });
    const p = a.alloc(0)!;
    ram.write8(p * 4096, 1);
    a.free(p, 0);
    expect(() => a.free(p, 0)).toThrow(DoubleFreeError);
    expect(a.isPoisoned(p)).toBe(true);
    expect(a.alloc(0)).toBe(p);
    expect(a.isPoisoned(p)).toBe(false);
  });
});
