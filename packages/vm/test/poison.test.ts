import { Mmu, PhysicalMemory, Tlb } from "@osbricks/hw-x86";
import { describe, expect, it } from "vitest";
import {
  BitmapAllocator,
  BuddyAllocator,
  DoubleFreeError,
  PoisonError,
  PoisoningAllocator,
} from "../src/index.js";
import { frameAllocatorLaws, snapshot } from "../src/laws/index.js";
import { userStore8 } from "../src/space/user-access.js";
import { VmSystem } from "../src/space/vm-system.js";

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

  it("catches the use-after-free a missing TLB shootdown causes: a user write into a frame the space freed", () => {
    const memory = new PhysicalMemory({ size: 64 * 4096 });
    const frames = new PoisoningAllocator(new BuddyAllocator({ frames: 64, maxOrder: 4 }), { memory });
    frames.reserve(0, 1);
    const mmu = new Mmu({ memory, tlb: new Tlb() });
    const sys = new VmSystem({ memory, frames }); // no shootdown target: nobody runs INVLPG
    const s = sys.createSpace();
    s.map({ length: 0x1000, prot: 3, placement: { kind: "fixed", va: 0x10000 } });
    expect(userStore8(s, mmu, 0x10000, 1)).toBeNull(); // the TLB caches 0x10000 -> f, writable
    const f = s.pmap.lookup(0x10000)!.frame;
    s.unmap(0x10000, 0x1000); // f is freed (and poisoned), the stale entry stays
    expect(frames.isPoisoned(f)).toBe(true);
    expect(userStore8(s, mmu, 0x10008, 7)).toBeNull(); // the write lands in the freed frame
    let caught: unknown;
    try {
      for (let p = frames.alloc(0); p !== null; p = frames.alloc(0));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PoisonError);
    expect(String(caught)).toContain(`frame 0x${f.toString(16)} byte 0x8 is 0x7`);
  });
});
