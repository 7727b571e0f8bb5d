import { Mapper, PhysicalMemory } from "@osbricks/hw-x86";
import { BuddyAllocator, FrameRefCounts, Pmap, type ShootdownTarget } from "@osbricks/vm";
import { describe, expect, it } from "vitest";
import { IpcArgumentError, PageTransfer } from "../src/index.js";

/** A shootdown target that records what each space asked for; space 1 runs on CPU 0, space 2 on CPU 1. */
class RecordingShootdown implements ShootdownTarget {
  readonly log: string[] = [];
  activeCpus(spaceId: number): readonly number[] {
    return [spaceId - 1];
  }
  invalidatePages(cpu: number, spaceId: number, vas: readonly number[]): void {
    this.log.push(`cpu${cpu} space${spaceId} invlpg ${vas.map((v) => v.toString(16)).join(",")}`);
  }
  invalidateSpace(cpu: number, spaceId: number): void {
    this.log.push(`cpu${cpu} space${spaceId} flush-all`);
  }
}

function machine(frames = 1024) {
  const memory = new PhysicalMemory({ size: frames * 4096 });
  const alloc = new BuddyAllocator({ frames });
  alloc.reserve(0, 1);
  const refs = new FrameRefCounts(alloc);
  const shootdown = new RecordingShootdown();
  const space = (id: number) => new Pmap(new Mapper({ memory, frames: alloc }), memory, id, shootdown);
  const sender = space(1);
  const receiver = space(2);
  const xfer = new PageTransfer({ refs, memory });
  /** Map n fresh pages at va in `pmap`, page i filled with byte i+1. */
  const populate = (pmap: Pmap, va: number, n: number, writable = true) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const f = refs.alloc()!;
      memory.fillFrame(f, i + 1);
      pmap.enter(va + i * 4096, f, { writable, noExecute: true });
      out.push(f);
    }
    pmap.flush();
    shootdown.log.length = 0;
    return out;
  };
  return { memory, alloc, refs, shootdown, sender, receiver, xfer, populate };
}

describe("PageTransfer", () => {
  it("move: the receiver maps the sender's frames, the sender's leaves go, one shootdown round on the sender's CPU", () => {
    const { sender, receiver, xfer, populate, shootdown, memory } = machine();
    const frames = populate(sender, 0x40_0000, 3);
    const r = xfer.move(sender, 0x40_0000, receiver, 0x80_0000, 3);
    expect(r).toEqual({ kind: "ok", pages: 3, frames });
    for (let i = 0; i < 3; i++) {
      expect(sender.lookup(0x40_0000 + i * 4096)).toBeNull();
      expect(receiver.lookup(0x80_0000 + i * 4096)?.frame).toBe(frames[i]);
      expect(memory.read8(frames[i]! * 4096)).toBe(i + 1);
    }
    expect(shootdown.log).toEqual(["cpu0 space1 invlpg 400000,401000,402000"]);
    expect(xfer.stats()).toEqual({
      pages: 3,
      pteWrites: 6,
      flushRounds: 1,
      bytesCopied: 0,
      framesAllocated: 0,
    });
  });

  it("move above the pmap's threshold flushes the sender's TLB once instead of one INVLPG per page", () => {
    const { sender, receiver, xfer, populate, shootdown } = machine();
    populate(sender, 0x40_0000, 40);
    xfer.move(sender, 0x40_0000, receiver, 0x80_0000, 40);
    expect(shootdown.log).toEqual(["cpu0 space1 flush-all"]);
  });

  it("move can drop the write right; share keeps the sender's mapping and counts a reference", () => {
    const { sender, receiver, xfer, populate, refs } = machine();
    const [f] = populate(sender, 0x40_0000, 1);
    xfer.move(sender, 0x40_0000, receiver, 0x80_0000, 1, true);
    expect(receiver.lookup(0x80_0000)?.writable).toBe(false);
    expect(refs.count(f!)).toBe(1);
    const [g] = populate(sender, 0x50_0000, 1);
    expect(xfer.share(sender, 0x50_0000, receiver, 0x90_0000, 1, true).kind).toBe("ok");
    expect(sender.lookup(0x50_0000)?.frame).toBe(g);
    expect(receiver.lookup(0x90_0000)).toMatchObject({ frame: g, writable: false });
    expect(refs.count(g!)).toBe(2);
  });

  it("copy allocates and copies 4 KiB per page, leaving the sender as it was", () => {
    const { sender, receiver, xfer, populate, memory } = machine();
    const frames = populate(sender, 0x40_0000, 2);
    const r = xfer.copy(sender, 0x40_0000, receiver, 0x80_0000, 2);
    if (r.kind !== "ok") throw new Error(r.kind);
    expect(r.frames).not.toEqual(frames);
    expect(memory.read8(r.frames[1]! * 4096 + 100)).toBe(2);
    expect(sender.lookup(0x40_0000)?.frame).toBe(frames[0]);
    expect(xfer.stats()).toMatchObject({ bytesCopied: 8192, framesAllocated: 2, flushRounds: 0 });
  });

  it("refuses a hole in the source or an occupied destination, changing nothing", () => {
    const { sender, receiver, xfer, populate } = machine();
    populate(sender, 0x40_0000, 2);
    populate(receiver, 0x80_1000, 1);
    expect(xfer.move(sender, 0x40_0000, receiver, 0x90_0000, 3)).toEqual({
      kind: "not-mapped",
      va: 0x40_2000,
    });
    expect(xfer.move(sender, 0x40_0000, receiver, 0x80_0000, 2)).toEqual({
      kind: "already-mapped",
      va: 0x80_1000,
    });
    expect(sender.lookup(0x40_1000)).not.toBeNull();
    expect(receiver.lookup(0x80_0000)).toBeNull();
    expect(xfer.stats().pages).toBe(0);
    expect(() => xfer.move(sender, 0x40_0001, receiver, 0x80_0000, 1)).toThrow(IpcArgumentError);
    expect(() => xfer.move(sender, 0x40_0000, sender, 0x40_1000, 2)).toThrow(/overlap/);
  });

  it("a receiver out of page-table frames gets nothing, and the sender keeps every page", () => {
    // 24 frames: the allocator runs dry while the receiver builds its tables for a far-away VA.
    const { sender, receiver, xfer, populate, alloc } = machine(64);
    const frames = populate(sender, 0x40_0000, 4);
    while (alloc.allocFrame() !== null) {
      /* exhaust */
    }
    const r = xfer.move(sender, 0x40_0000, receiver, 0x7f00_0000_0000, 4);
    expect(r.kind).toBe("out-of-memory");
    for (let i = 0; i < 4; i++) expect(sender.lookup(0x40_0000 + i * 4096)?.frame).toBe(frames[i]);
    expect(receiver.lookup(0x7f00_0000_0000)).toBeNull();
    expect(sender.pendingFlushes).toBe(0);
  });

  it("copy and share roll back when memory runs out: no frame leaked, no reference left behind", () => {
    const { sender, receiver, xfer, populate, alloc, refs } = machine(64);
    const frames = populate(sender, 0x40_0000, 4);
    const held: number[] = [];
    for (let f = alloc.allocFrame(); f !== null; f = alloc.allocFrame()) held.push(f);
    // 2 free frames: the receiver's far-away range needs 3 new tables, so share fails at page 0.
    alloc.freeFrame(held.pop()!);
    alloc.freeFrame(held.pop()!);
    let before = alloc.freeFrames();
    expect(xfer.share(sender, 0x40_0000, receiver, 0x7f00_0000_0000, 4)).toEqual({
      kind: "out-of-memory",
      pagesDone: 0,
    });
    expect(alloc.freeFrames()).toBe(before);
    // 4 free frames: copy gets page 0 (3 tables + 1 data frame) and fails at page 1, then undoes page 0.
    alloc.freeFrame(held.pop()!);
    alloc.freeFrame(held.pop()!);
    before = alloc.freeFrames();
    expect(xfer.copy(sender, 0x40_0000, receiver, 0x7f00_0000_0000, 4)).toEqual({
      kind: "out-of-memory",
      pagesDone: 1,
    });
    expect(alloc.freeFrames()).toBe(before);
    for (const f of frames) expect(refs.count(f)).toBe(1);
    expect(receiver.lookup(0x7f00_0000_0000)).toBeNull();
    expect(xfer.stats().pages).toBe(0);
  });
});
