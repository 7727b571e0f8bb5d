/**
 * The MMU gather: frames leave an address space only after every CPU that may cache them has
 * acknowledged the shootdown (Linux's tlb_gather_mmu … tlb_finish_mmu, Intel SDM 4.10.5).
 */
import * as hw from "@osbricks/hw-x86";
import { describe, expect, it } from "vitest";
import { PROT_READ, PROT_WRITE } from "../src/areas/area.js";
import { BuddyAllocator } from "../src/frames/buddy.js";
import { frameAllocatorLaws } from "../src/laws/index.js";
import type { AddressSpace } from "../src/space/address-space.js";
import { IpiShootdown } from "../src/space/ipi-shootdown.js";
import { MmuGather } from "../src/space/mmu-gather.js";
import { type CpuTlb, SyncTlbShootdown } from "../src/space/shootdown.js";
import { userLoad8, userStore8 } from "../src/space/user-access.js";
import { VmSystem } from "../src/space/vm-system.js";
import { ipiRig } from "./ipi-fixture.js";

const RW = PROT_READ | PROT_WRITE;
const VA = 0x10000;

describe.each(["shadow", "refcount"] as const)("MMU gather, %s strategy", (strategy) => {
  it("a frame unmapped while a target has interrupts disabled is not reused until it acknowledges", () => {
    const { memory, frames, cpus, target, sys, s, store, initialFree } = ipiRig(strategy);
    s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: VA } });
    expect(store(1, VA, 0x11)).toBe("ok"); // CPU 1 caches a writable translation
    const old = s.pmap.lookup(VA)!.frame;
    cpus[1]!.cli(); // CPU 1 runs with interrupts off (a spinlock, an interrupt handler)
    expect(s.unmap(VA, 0x1000).kind).toBe("unmapped"); // CPU 0 unmaps: IPI to CPU 1 stays pending
    expect(target.pending()).toHaveLength(1);

    // Someone else takes every free frame and fills it with its own bytes.
    const taken: number[] = [];
    for (let f = frames.allocFrame(); f !== null; f = frames.allocFrame()) {
      taken.push(f);
      memory.fillFrame(f, 0x5a);
    }
    expect(taken).not.toContain(old); // the unmapped frame waits for CPU 1
    expect(frames.isAllocated(old)).toBe(true);
    expect(sys.gather.isDeferred(old)).toBe(true);

    // CPU 1 writes through its stale entry: the write lands in the old, still unfreed frame.
    expect(store(1, VA, 0x77)).toBe("ok");
    expect(memory.frameBytes(old)[0]).toBe(0x77);
    for (const f of taken) expect(memory.frameBytes(f)[0]).toBe(0x5a); // nobody else's page changed

    // CPU 1 takes the IPI: its entry goes, and at the next poll the frame is free.
    cpus[1]!.sti();
    cpus[1]!.deliverInterrupts();
    expect(sys.gather.poll()).toBe(0);
    expect(frames.isAllocated(old)).toBe(false);
    expect(sys.gather.isDeferred(old)).toBe(false);
    expect(store(1, VA, 0x99)).toBe("segv:no-area");
    for (const f of taken) frames.freeFrame(f);
    s.destroy();
    expect(frames.freeFrames()).toBe(initialFree);
    sys.checkInvariants();
  });

  it("onPending names the target that could not take its IPI at once, and only that one", () => {
    const { cpus, s, store, pendingOn } = ipiRig(strategy);
    s.map({ length: 0x2000, prot: RW, placement: { kind: "fixed", va: VA } });
    expect(store(1, VA, 1)).toBe("ok");
    expect(store(1, VA + 0x1000, 1)).toBe("ok");
    expect(s.protect(VA, 0x1000, PROT_READ).kind).toBe("protected"); // CPU 1 has interrupts on
    expect(pendingOn).toEqual([]);
    cpus[1]!.cli();
    expect(s.protect(VA + 0x1000, 0x1000, PROT_READ).kind).toBe("protected");
    expect(pendingOn).toEqual([1]);
  });

  it("an allocation after the acknowledgement gets the frame without an explicit poll", () => {
    const { frames, cpus, sys, s, store } = ipiRig(strategy);
    s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: VA } });
    expect(store(1, VA, 1)).toBe("ok");
    cpus[1]!.cli();
    s.unmap(VA, 0x1000);
    const waiting = sys.gather.deferredFrames;
    expect(waiting).toBe(4); // the page, and the PT, PD and PDPT it emptied (the root stays)
    const freeBefore = frames.freeFrames();
    cpus[1]!.sti();
    cpus[1]!.deliverInterrupts();
    // The next operation polls first: the frames are back before it allocates.
    s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: VA } });
    expect(sys.gather.deferredFrames).toBe(0);
    expect(frames.freeFrames()).toBe(freeBefore + waiting);
    sys.checkInvariants();
  });

  it("exit with a target that has interrupts disabled: pages and page tables wait, then all come back", () => {
    const { frames, cpus, running, sys, s, store, initialFree } = ipiRig(strategy);
    s.map({ length: 0x4000, prot: RW, placement: { kind: "fixed", va: VA } });
    for (let i = 0; i < 4; i++) expect(store(1, VA + i * 0x1000, i)).toBe("ok");
    const child = s.fork()!;
    expect(store(0, VA, 9)).toBe("ok"); // a COW copy on CPU 0
    cpus[1]!.cli();
    s.destroy(); // CPU 1 still has the space loaded (a lazy TLB): it is shot down by IPI
    expect(sys.gather.deferredFrames).toBeGreaterThan(4);
    expect(frames.isAllocated(s.root / 4096)).toBe(true); // even the root table waits
    sys.checkInvariants();
    cpus[1]!.sti();
    cpus[1]!.deliverInterrupts();
    for (const c of cpus) running.delete(c);
    sys.gather.poll();
    child.destroy();
    expect(sys.gather.deferredFrames).toBe(0);
    expect(frames.freeFrames()).toBe(initialFree);
  });

  it("a free outside any operation waits behind an outstanding shootdown", () => {
    // The last mapping of a shared-memory segment goes while CPU 1 has interrupts off; the
    // segment's name holds the pages. Unlinking the name frees them outside any operation: the
    // earlier unmap's IPI is still unacknowledged, so they must wait for it too.
    const { frames, cpus, sys, s, store } = ipiRig(strategy);
    const seg = sys.shm.create("/seg", 1);
    s.map({
      length: 0x1000,
      prot: RW,
      sharing: "shared",
      object: seg.object,
      placement: { kind: "fixed", va: VA },
    });
    expect(store(1, VA, 3)).toBe("ok");
    const f = s.pmap.lookup(VA)!.frame;
    cpus[1]!.cli();
    s.unmap(VA, 0x1000);
    expect(frames.isAllocated(f)).toBe(true); // the object still holds it
    sys.shm.unlink("/seg");
    expect(frames.isAllocated(f)).toBe(true); // freed, but behind CPU 1's acknowledgement
    expect(sys.gather.isDeferred(f)).toBe(true);
    cpus[1]!.sti();
    cpus[1]!.deliverInterrupts();
    sys.gather.poll();
    expect(frames.isAllocated(f)).toBe(false);
  });
});

describe("MMU gather, the deferring view", () => {
  it("a refused space operation leaves no gather open and nothing deferred", () => {
    const { sys, s, frames } = ipiRig("refcount");
    s.map({ length: 0x2000, prot: RW, placement: { kind: "fixed", va: VA } });
    const free = frames.freeFrames();
    expect(() => s.unmap(VA + 1, 0x1000)).toThrow(/aligned/);
    expect(() => s.protect(VA, 0x1000, 99 as never)).toThrow(/prot/);
    expect(() => s.map({ length: 0x1001, prot: RW })).toThrow(/multiple of 4096/);
    expect(() => sys.gather.finish()).toThrow(/no gather is open/); // begin/finish stayed balanced
    expect(sys.gather.deferredFrames).toBe(0);
    expect(frames.freeFrames()).toBe(free);
    sys.checkInvariants();
  });

  it("refuses a double free and a free of a free frame, and changes nothing", () => {
    const frames = new BuddyAllocator({ frames: 64 });
    let release: (() => void) | null = null;
    const g = new MmuGather(frames, {
      activeCpus: () => [],
      invalidatePages: () => {},
      invalidateSpace: () => {},
      whenAcknowledged: (done) => {
        release = done;
      },
    });
    const f = g.frames.allocFrame()!;
    g.frames.freeFrame(f);
    expect(g.isDeferred(f)).toBe(true);
    expect(() => g.frames.freeFrame(f)).toThrow(/already waits/);
    expect(() => g.frames.freeFrame(f + 1)).toThrow(/not allocated/);
    expect(() => g.frames.free(f, 99)).toThrow(/order/);
    expect(g.deferredFrames).toBe(1);
    g.checkInvariants();
    expect(frames.isAllocated(f)).toBe(true);
    release!();
    expect(frames.isAllocated(f)).toBe(false);
    expect(g.deferredFrames).toBe(0);
    expect(g.releasedFrames).toBe(1);
  });

  it("nested operations release once, at the outermost finish", () => {
    const frames = new BuddyAllocator({ frames: 64 });
    const g = new MmuGather(frames, null);
    const a = g.frames.allocFrame()!;
    const b = g.frames.allocFrame()!;
    g.begin();
    g.frames.freeFrame(a);
    g.begin();
    g.frames.freeFrame(b);
    g.finish();
    expect(frames.isAllocated(a) && frames.isAllocated(b)).toBe(true); // the inner finish released nothing
    expect(g.deferredFrames).toBe(2);
    g.finish();
    expect(g.deferredFrames).toBe(0);
    expect(frames.freeFrames()).toBe(64);
    expect(() => g.finish()).toThrow(/no gather is open/);
  });
});

describe("PCIDs: a CPU that switched away still caches the space", () => {
  function pcidRig() {
    const memory = new hw.PhysicalMemory({ size: 512 * 4096 });
    const frames = new BuddyAllocator({ frames: 512 });
    frames.reserve(0, 1);
    const cpus: CpuTlb[] = [0, 1].map(() => ({ tlb: new hw.Tlb(), activeSpace: null, pcid: 0 }));
    const mmus = cpus.map((c) => new hw.Mmu({ memory, tlb: c.tlb }));
    const target = new SyncTlbShootdown(cpus);
    const sys = new VmSystem({ memory, frames, strategy: "refcount", shootdown: target });
    const a = sys.createSpace();
    const b = sys.createSpace();
    /** A store on `cpu` with the MMU in the CPU's current PCID context. */
    const store = (space: AddressSpace, cpu: number, va: number, v: number) => {
      const mmu = mmus[cpu]!;
      const pcid = cpus[cpu]!.pcid;
      return userStore8(space, mmu, va, v, pcid);
    };
    const load = (space: AddressSpace, cpu: number, va: number) =>
      userLoad8(space, mmus[cpu]!, va, cpus[cpu]!.pcid);
    return { memory, frames, cpus, target, sys, a, b, store, load };
  }

  it("unmap on CPU 0 reaches CPU 1, which ran the space with PCID 1 and switched to another with PCID 2", () => {
    const { frames, cpus, target, sys, a, b, store } = pcidRig();
    a.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: VA } });
    target.switchTo(1, a.id, { pcid: 1 });
    expect(store(a, 1, VA, 1)).toBeNull(); // CPU 1's TLB: (PCID 1, VA) writable
    target.switchTo(1, b.id, { pcid: 2, noFlush: true }); // switch away, keeping PCID 1's entries
    expect(cpus[1]!.tlb.entries().some((e) => e.pcid === 1)).toBe(true);
    expect(target.activeCpus(a.id)).toContain(1);
    target.switchTo(0, a.id, { pcid: 1 });
    const f = a.pmap.lookup(VA)!.frame;
    a.unmap(VA, 0x1000);
    expect(cpus[1]!.tlb.entries().some((e) => e.pcid === 1 && e.va === VA)).toBe(false);
    expect(frames.isAllocated(f)).toBe(false);
    sys.checkInvariants();
  });

  it("switching back without a flush after the unmap faults instead of writing a freed frame", () => {
    const { cpus, target, a, b, store } = pcidRig();
    a.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: VA } });
    target.switchTo(1, a.id, { pcid: 1 });
    expect(store(a, 1, VA, 1)).toBeNull();
    target.switchTo(1, b.id, { pcid: 2, noFlush: true });
    target.switchTo(0, a.id, { pcid: 1 });
    a.unmap(VA, 0x1000);
    target.switchTo(1, a.id, { pcid: 1, noFlush: true }); // back, keeping PCID 1's entries
    expect(cpus[1]!.activeSpace).toBe(a.id);
    expect(store(a, 1, VA, 2)?.kind).toBe("segv");
  });

  it("a full flush there forgets the CPU: the next shootdown of the space skips it", () => {
    const { target, a, b, store } = pcidRig();
    a.map({ length: 0x10000, prot: RW, placement: { kind: "fixed", va: VA } });
    target.switchTo(1, a.id, { pcid: 1 });
    expect(store(a, 1, VA, 1)).toBeNull();
    target.switchTo(1, b.id, { pcid: 2, noFlush: true });
    expect(target.activeCpus(a.id)).toEqual([1]);
    a.destroy(); // touches everything: INVPCID type 1 of PCID 1 on CPU 1
    expect(target.activeCpus(a.id)).toEqual([]);
    target.switchTo(1, null, { pcid: 2, noFlush: true });
    expect(target.activeCpus(b.id)).toEqual([1]);
    target.switchTo(1, b.id); // without PCIDs: everything non-global goes
    target.switchTo(1, null);
    expect(target.activeCpus(b.id)).toEqual([]);
  });
});

describe("PCIDs with IPIs: IpiShootdown.switchTo", () => {
  function rig() {
    const memory = new hw.PhysicalMemory({ size: 256 * 4096 });
    const frames = new BuddyAllocator({ frames: 256 });
    frames.reserve(0, 1);
    const bus = new hw.IpiBus();
    const cpus = [0, 1].map((id) => bus.attach(new hw.Cpu({ id, memory })));
    const target = new IpiShootdown({ cpus, protocol: new hw.TlbShootdown(bus), initiator: () => cpus[0]! });
    const sys = new VmSystem({ memory, frames, strategy: "refcount", shootdown: target });
    const a = sys.createSpace();
    const b = sys.createSpace();
    for (const c of cpus) {
      c.writeCr3(a.root); // CR3[11:0] = 0 before PCIDE may be set (SDM 4.10.1)
      c.writeCr4(c.cr4 | hw.CR4.PCIDE);
      c.sti();
    }
    const store = (cpu: number, space: AddressSpace, va: number): string => {
      const c = cpus[cpu]!;
      for (let i = 0; i < 3; i++) {
        c.setCpl(3);
        const r = c.translate(va, hw.Access.Write);
        c.setCpl(0);
        if (r.kind === "ok") return "ok";
        if (r.kind !== "page-fault") return r.kind;
        const f = space.handleFault(va, "write");
        if (f.kind !== "resolved") return f.kind === "segv" ? `segv:${f.reason}` : f.kind;
      }
      return "loop";
    };
    return { frames, cpus, target, sys, a, b, store };
  }

  it("a CPU that switched away with its PCID kept gets INVPCID, and the frame waits for its ack", () => {
    const { frames, cpus, target, sys, a, b, store } = rig();
    a.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: VA } });
    target.switchTo(cpus[1]!, a.id, a.root, { pcid: 1 });
    expect(store(1, a, VA)).toBe("ok");
    target.switchTo(cpus[1]!, b.id, b.root, { pcid: 2, noFlush: true });
    expect(cpus[1]!.tlb.entries().some((e) => e.pcid === 1 && e.va === VA)).toBe(true);
    expect(target.activeCpus(a.id)).toEqual([1]);
    target.switchTo(cpus[0]!, a.id, a.root, { pcid: 1 });
    const f = a.pmap.lookup(VA)!.frame;
    cpus[1]!.cli();
    a.unmap(VA, 0x1000);
    expect(frames.isAllocated(f)).toBe(true); // CPU 1 has not acknowledged
    expect(cpus[1]!.tlb.entries().some((e) => e.pcid === 1 && e.va === VA)).toBe(true);
    cpus[1]!.sti();
    cpus[1]!.deliverInterrupts();
    sys.gather.poll();
    expect(cpus[1]!.tlb.entries().some((e) => e.pcid === 1 && e.va === VA)).toBe(false);
    expect(frames.isAllocated(f)).toBe(false);
    // Back on space A with its PCID kept: the entry is gone, the access faults.
    target.switchTo(cpus[1]!, a.id, a.root, { pcid: 1, noFlush: true });
    expect(store(1, a, VA)).toBe("segv:no-area");
  });

  it("exit sends INVPCID type 1 to a CPU that switched away, which is then forgotten", () => {
    const { cpus, target, a, b, store } = rig();
    a.map({ length: 0x2000, prot: RW, placement: { kind: "fixed", va: VA } });
    target.switchTo(cpus[1]!, a.id, a.root, { pcid: 1 });
    expect(store(1, a, VA)).toBe("ok");
    target.switchTo(cpus[1]!, b.id, b.root, { pcid: 2, noFlush: true });
    a.destroy();
    expect(cpus[1]!.tlb.entries().some((e) => e.pcid === 1)).toBe(false);
    expect(target.activeCpus(a.id)).toEqual([]);
    expect(() => target.switchTo(cpus[1]!, b.id, b.root, { pcid: 4096 })).toThrow(/PCID/);
  });
});

describe("MMU gather: the view is a frame allocator", () => {
  // Outside any operation and with nothing outstanding, a free through the view is released at
  // once, so the view must satisfy every frame-allocator law of the allocator it wraps.
  for (const target of ["none", "synchronous"] as const) {
    const make = () => {
      const buddy = new BuddyAllocator({ frames: 256, maxOrder: 5 });
      const sync = new SyncTlbShootdown([]);
      return new MmuGather(buddy, target === "none" ? null : sync).frames;
    };
    for (const law of frameAllocatorLaws(make, { numRuns: 50 }))
      it(`${target}: ${law.name}`, () => law.check());
  }
});
