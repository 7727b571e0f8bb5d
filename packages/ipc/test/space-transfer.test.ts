import { Mmu, PhysicalMemory } from "@osbricks/hw-x86";
import { BuddyAllocator, PROT_READ, PROT_WRITE, userLoad8, userStore8, VmSystem } from "@osbricks/vm";
import { describe, expect, it } from "vitest";
import { IpcArgumentError, moveRange, shareRange } from "../src/index.js";

function machine() {
  const memory = new PhysicalMemory({ size: 1024 * 4096 });
  const frames = new BuddyAllocator({ frames: 1024 });
  frames.reserve(0, 1);
  const vm = new VmSystem({ memory, frames });
  const mmu = new Mmu({ memory });
  const sender = vm.createSpace();
  const receiver = vm.createSpace();
  const RW = PROT_READ | PROT_WRITE;
  const buf = sender.map({
    length: 8 * 4096,
    prot: RW,
    sharing: "shared",
    placement: { kind: "fixed", va: 0x40_0000 },
  });
  if (buf.kind !== "mapped") throw new Error("map");
  // Fill pages 2..4 with their page number, through the MMU as user code would.
  for (let p = 2; p < 5; p++) expect(userStore8(sender, mmu, 0x40_0000 + p * 4096 + 7, p)).toBeNull();
  return { vm, mmu, frames, sender, receiver, RW };
}

describe("moveRange / shareRange (vm address spaces)", () => {
  it("move: the receiver sees the bytes, the sender's range is gone, no frame was allocated for data", () => {
    const { vm, mmu, frames, sender, receiver } = machine();
    const free = frames.freeFrames();
    const r = moveRange(sender, 0x40_2000, 3 * 4096, receiver, {
      placement: { kind: "fixed", va: 0x90_0000 },
    });
    expect(r).toEqual({ kind: "ok", va: 0x90_0000, pages: 3, residentPages: 3 });
    for (let p = 0; p < 3; p++) expect(userLoad8(receiver, mmu, 0x90_0000 + p * 4096 + 7)).toBe(p + 2);
    expect(typeof userLoad8(sender, mmu, 0x40_2007)).toBe("object"); // segv: unmapped
    expect(sender.areaList().map((a) => [a.start, a.pages])).toEqual([
      [0x40_0000, 2],
      [0x40_5000, 3],
    ]);
    // Only page-table frames were taken (the receiver's tree), never a data frame: 4 levels at most.
    expect(free - frames.freeFrames()).toBeLessThanOrEqual(4);
    sender.checkInvariants();
    receiver.checkInvariants();
    vm.checkInvariants();
  });

  it("share: both map the same pages, a write by one is read by the other; read-only for the receiver", () => {
    const { mmu, sender, receiver } = machine();
    const r = shareRange(sender, 0x40_2000, 4096, receiver, { prot: PROT_READ });
    if (r.kind !== "ok") throw new Error(r.kind);
    expect(userLoad8(receiver, mmu, r.va + 7)).toBe(2);
    expect(userStore8(sender, mmu, 0x40_2007, 99)).toBeNull();
    expect(userLoad8(receiver, mmu, r.va + 7)).toBe(99);
    expect(userStore8(receiver, mmu, r.va + 7, 1)).toMatchObject({ kind: "segv" });
    receiver.checkInvariants();
  });

  it("refuses private memory, holes, wider rights and a taken fixed range, changing nothing", () => {
    const { sender, receiver, RW } = machine();
    sender.map({ length: 4096, prot: RW, placement: { kind: "fixed", va: 0x70_0000 } });
    expect(moveRange(sender, 0x70_0000, 4096, receiver)).toMatchObject({
      kind: "private-area",
      sharing: "private",
    });
    expect(moveRange(sender, 0x40_6000, 3 * 4096, receiver)).toEqual({ kind: "not-mapped", va: 0x40_6000 });
    expect(moveRange(sender, 0x60_0000, 4096, receiver)).toEqual({ kind: "not-mapped", va: 0x60_0000 });
    const ro = sender.map({
      length: 4096,
      prot: PROT_READ,
      sharing: "shared",
      placement: { kind: "fixed", va: 0x80_0000 },
    });
    expect(ro.kind).toBe("mapped");
    expect(shareRange(sender, 0x80_0000, 4096, receiver, { prot: RW })).toMatchObject({
      kind: "access-denied",
    });
    receiver.map({ length: 4096, prot: RW, placement: { kind: "fixed", va: 0x90_0000 } });
    expect(
      moveRange(sender, 0x40_0000, 4096, receiver, {
        placement: { kind: "fixed", va: 0x90_0000, replace: false },
      }),
    ).toMatchObject({ kind: "exists" });
    expect(sender.findArea(0x40_0000)?.pages).toBe(8);
    expect(() => moveRange(sender, 0x40_0001, 4096, receiver)).toThrow(IpcArgumentError);
  });
});
