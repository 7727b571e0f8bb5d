import { describe, expect, it } from "vitest";
import { PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from "../src/areas/area.js";
import { AddressRangeError, SpaceStateError, VmArgumentError } from "../src/errors.js";
import { SyncTlbShootdown } from "../src/space/shootdown.js";
import { ipiRig } from "./ipi-fixture.js";
import { machine } from "./space-fixture.js";

const RW = PROT_READ | PROT_WRITE;

describe.each(["shadow", "refcount"] as const)("AddressSpace (%s)", (strategy) => {
  it("map anywhere, near a hint (first fit above it) and fixed", () => {
    const { sys } = machine(strategy);
    const s = sys.createSpace();
    const a = s.map({ length: 0x2000, prot: RW });
    expect(a).toMatchObject({ kind: "mapped", va: 0x1000 });
    const b = s.map({ length: 0x1000, prot: PROT_READ, placement: { kind: "hint", va: 0x1000 } });
    expect(b).toMatchObject({ kind: "mapped", va: 0x3000 });
    const c = s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    expect(c).toMatchObject({ kind: "mapped", va: 0x10000 });
    expect(s.areaList().map((x) => x.toString())).toEqual([
      "0000001000-0000003000 rw-p anon",
      "0000003000-0000004000 r--p anon",
      "0000010000-0000011000 rw-p anon",
    ]);
    sys.checkInvariants();
  });

  it("adjacent compatible areas merge; different protections do not", () => {
    const { sys } = machine(strategy);
    const s = sys.createSpace();
    s.map({ length: 0x2000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    s.map({ length: 0x2000, prot: RW, placement: { kind: "fixed", va: 0x12000 } });
    s.map({ length: 0x1000, prot: PROT_READ, placement: { kind: "fixed", va: 0x14000 } });
    expect(s.areaList().map(String)).toEqual([
      "0000010000-0000014000 rw-p anon",
      "0000014000-0000015000 r--p anon",
    ]);
    sys.checkInvariants();
  });

  it("MAP_FIXED replaces what it overlaps; MAP_FIXED_NOREPLACE reports it", () => {
    const m = machine(strategy);
    const s = m.sys.createSpace();
    s.map({ length: 0x4000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    expect(m.store(s, 0x11000, 7)).toBeNull();
    const r = s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x11000, replace: false } });
    expect(r.kind).toBe("exists");
    const q = s.map({ length: 0x1000, prot: PROT_READ, placement: { kind: "fixed", va: 0x11000 } });
    expect(q.kind).toBe("mapped");
    expect(m.load(s, 0x11000)).toBe(0); // fresh demand-zero memory, the old page is gone
    expect(s.areaList().map(String)).toEqual([
      "0000010000-0000011000 rw-p anon",
      "0000011000-0000012000 r--p anon",
      "0000012000-0000014000 rw-p anon",
    ]);
    m.sys.checkInvariants();
  });

  it("map reports no-space when no range is large enough", () => {
    const { sys } = machine(strategy);
    const s = sys.createSpace();
    expect(s.map({ length: 2 ** 47, prot: RW })).toEqual({ kind: "no-space" });
  });

  it("a fault resolves demand-zero, then reads see the written bytes", () => {
    const m = machine(strategy);
    const s = m.sys.createSpace();
    s.map({ length: 0x3000, prot: RW, placement: { kind: "fixed", va: 0x400000 } });
    expect(m.load(s, 0x400123)).toBe(0);
    expect(m.store(s, 0x401fff, 0xab)).toBeNull();
    expect(m.load(s, 0x401fff)).toBe(0xab);
    m.sys.checkInvariants();
  });

  it("violations are results: no area, write to read-only, exec of non-exec, guard", () => {
    const m = machine(strategy);
    const s = m.sys.createSpace();
    s.map({ length: 0x1000, prot: PROT_READ, placement: { kind: "fixed", va: 0x10000 } });
    s.map({ length: 0x1000, prot: RW, sharing: "guard", placement: { kind: "fixed", va: 0x11000 } });
    expect(s.handleFault(0x20000, "read")).toMatchObject({ kind: "segv", code: "maperr", reason: "no-area" });
    expect(s.handleFault(0x10000, "write")).toMatchObject({
      kind: "segv",
      code: "accerr",
      reason: "protection",
    });
    expect(s.handleFault(0x10000, "exec")).toMatchObject({
      kind: "segv",
      code: "accerr",
      reason: "protection",
    });
    expect(s.handleFault(0x11000, "read")).toMatchObject({ kind: "segv", code: "accerr", reason: "guard" });
    expect(m.store(s, 0x10000, 1)).toBe("segv:protection");
    m.sys.checkInvariants();
  });

  it("unmap splits an area in two and frees the middle's pages", () => {
    const m = machine(strategy);
    const s = m.sys.createSpace();
    s.map({ length: 0x8000, prot: RW, placement: { kind: "fixed", va: 0x1000 } });
    for (let va = 0x1000; va < 0x9000; va += 0x1000) expect(m.store(s, va, va >> 12)).toBeNull();
    const free = m.frames.freeFrames();
    expect(s.unmap(0x3000, 0x2000)).toEqual({ kind: "unmapped", pages: 2 });
    expect(s.areaList().map(String)).toEqual([
      "0000001000-0000003000 rw-p anon",
      "0000005000-0000009000 rw-p anon",
    ]);
    expect(m.frames.freeFrames()).toBeGreaterThanOrEqual(free + 2);
    expect(m.load(s, 0x3000)).toBe("segv:no-area");
    expect(m.load(s, 0x5000)).toBe(5);
    expect(m.load(s, 0x2000)).toBe(2);
    m.sys.checkInvariants();
    expect(s.unmap(0x1000, 0x1000)).toEqual({ kind: "unmapped", pages: 1 }); // shrink from the front
    expect(s.unmap(0x5000, 0x4000)).toEqual({ kind: "unmapped", pages: 4 }); // whole area
    expect(s.areaList().map(String)).toEqual(["0000002000-0000003000 rw-p anon"]);
    m.sys.checkInvariants();
  });

  it("bad input: typed errors or results, and the space is unchanged", () => {
    const m = machine(strategy);
    const s = m.sys.createSpace();
    s.map({ length: 0x4000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    m.store(s, 0x10000, 9);
    const before = s.dump();
    const free = m.frames.freeFrames();
    expect(s.unmap(0x20000, 0x1000)).toEqual({ kind: "not-mapped" });
    expect(() => s.unmap(0x10800, 0x1000)).toThrow(AddressRangeError);
    expect(() => s.unmap(0x10000, 0x800)).toThrow(AddressRangeError);
    expect(() => s.unmap(0x10000, 0)).toThrow(AddressRangeError);
    expect(() => s.protect(0x10001, 0x1000, PROT_READ)).toThrow(AddressRangeError);
    expect(() => s.protect(0x10000, 0x1000, 9)).toThrow(VmArgumentError);
    expect(s.protect(0x12000, 0x4000, PROT_READ)).toEqual({ kind: "not-mapped", va: 0x14000 });
    expect(() => s.map({ length: 0x1001, prot: RW })).toThrow(AddressRangeError);
    const foreign = machine(strategy).sys.store.createAnonymous(4);
    expect(() =>
      s.map({ length: 0x1000, prot: RW, object: foreign, placement: { kind: "fixed", va: 0x10000 } }),
    ).toThrow(VmArgumentError); // refused before MAP_FIXED unmaps anything
    expect(() => s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0 } })).toThrow(
      AddressRangeError,
    );
    expect(() => s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 2 ** 47 } })).toThrow(
      AddressRangeError,
    );
    expect(s.dump()).toBe(before);
    expect(m.frames.freeFrames()).toBe(free);
    expect(m.load(s, 0x10000)).toBe(9);
    m.sys.checkInvariants();
    s.destroy();
    expect(() => s.map({ length: 0x1000, prot: RW })).toThrow(SpaceStateError);
  });

  it("protect splits, takes rights away at once (TLB shot down), and merges back", () => {
    const m = machine(strategy);
    const s = m.sys.createSpace();
    s.map({ length: 0x3000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    expect(m.store(s, 0x11000, 5)).toBeNull(); // the TLB now caches a writable translation
    expect(s.protect(0x11000, 0x1000, PROT_READ)).toEqual({ kind: "protected", pages: 1 });
    expect(s.areaList().map(String)).toEqual([
      "0000010000-0000011000 rw-p anon",
      "0000011000-0000012000 r--p anon",
      "0000012000-0000013000 rw-p anon",
    ]);
    expect(m.store(s, 0x11000, 6)).toBe("segv:protection");
    expect(m.load(s, 0x11000)).toBe(5);
    s.protect(0x11000, 0x1000, PROT_NONE);
    expect(m.load(s, 0x11000)).toBe("segv:protection");
    s.protect(0x11000, 0x1000, RW);
    expect(s.areaList().map(String)).toEqual(["0000010000-0000013000 rw-p anon"]);
    expect(m.store(s, 0x11000, 6)).toBeNull();
    expect(m.load(s, 0x11000)).toBe(6);
    m.sys.checkInvariants();
  });

  it("a shootdown reaches the other CPU where the space runs", () => {
    const m = machine(strategy);
    const s = m.sys.createSpace();
    s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    expect(m.store(s, 0x10000, 1, 1)).toBeNull(); // CPU 1 caches it
    m.run(s, 0);
    s.protect(0x10000, 0x1000, PROT_READ); // changed "on CPU 0"
    expect(m.store(s, 0x10000, 2, 1)).toBe("segv:protection");
    expect(s.pmap.stats().remoteCpus).toBeGreaterThan(0);
  });

  it("the control: a shootdown that skips the other CPU leaves it writing through its stale entry", () => {
    // The same steps as above with a target that invalidates only CPU 0 (the one that changed
    // the leaf), as a kernel that forgot the IPI would: the page table says read-only, CPU 1's
    // TLB still says writable, and the write lands. The test above would fail the same way.
    class LocalOnly extends SyncTlbShootdown {
      override activeCpus(spaceId: number): readonly number[] {
        return super.activeCpus(spaceId).filter((c) => c === 0);
      }
    }
    const m = machine(strategy, 2048, 2, (cpus) => new LocalOnly(cpus));
    const s = m.sys.createSpace();
    s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    expect(m.store(s, 0x10000, 1, 1)).toBeNull();
    m.run(s, 0);
    s.protect(0x10000, 0x1000, PROT_READ);
    expect(s.pmap.lookup(0x10000)?.writable).toBe(false);
    expect(m.store(s, 0x10000, 2, 1)).toBeNull(); // the stale entry let the write through
    expect(m.load(s, 0x10000, 0)).toBe(2);
  });

  it("fork on one CPU write-protects the parent's pages on the other CPU running it too", () => {
    // Two threads of the parent on CPUs 0 and 1; CPU 1 caches a writable entry; CPU 0 forks.
    const m = machine(strategy);
    const p = m.sys.createSpace();
    p.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    expect(m.store(p, 0x10000, 1, 1)).toBeNull();
    m.run(p, 0);
    const c = p.fork()!;
    expect(m.store(p, 0x10000, 2, 1)).toBeNull(); // must fault and copy, not write the shared frame
    m.cpus[0]!.activeSpace = null;
    expect(m.load(c, 0x10000, 0)).toBe(1);
    expect(m.load(p, 0x10000, 1)).toBe(2);
    m.sys.checkInvariants();
  });

  it("fork: each side's writes are invisible to the other, reads see the fork-time bytes", () => {
    const m = machine(strategy);
    const p = m.sys.createSpace();
    p.map({ length: 0x4000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    for (let i = 0; i < 4; i++) m.store(p, 0x10000 + i * 0x1000, 10 + i);
    const c = p.fork()!;
    expect(m.load(c, 0x12000)).toBe(12);
    expect(m.store(c, 0x12000, 99)).toBeNull();
    expect(m.store(p, 0x13000, 77)).toBeNull();
    expect(m.load(p, 0x12000)).toBe(12);
    expect(m.load(c, 0x12000)).toBe(99);
    expect(m.load(c, 0x13000)).toBe(13);
    expect(m.load(p, 0x13000)).toBe(77);
    m.sys.checkInvariants();
    c.destroy();
    m.sys.checkInvariants();
    expect(m.store(p, 0x10000, 1)).toBeNull();
    p.destroy();
    m.sys.checkInvariants();
    expect(m.frames.freeFrames()).toBe(m.initialFree);
    expect(m.sys.store.objects()).toHaveLength(0);
  });

  it("shared anonymous memory stays shared across fork", () => {
    const m = machine(strategy);
    const p = m.sys.createSpace();
    p.map({ length: 0x2000, prot: RW, sharing: "shared", placement: { kind: "fixed", va: 0x10000 } });
    m.store(p, 0x10000, 1);
    const c = p.fork()!;
    m.store(c, 0x10000, 2);
    m.store(c, 0x11000, 3);
    expect(m.load(p, 0x10000)).toBe(2);
    expect(m.load(p, 0x11000)).toBe(3);
    m.sys.checkInvariants();
    p.destroy();
    c.destroy();
    expect(m.frames.freeFrames()).toBe(m.initialFree);
  });

  it("named shared-memory segments: mapped in two spaces, pages live until the last unmap", () => {
    const m = machine(strategy);
    const seg = m.sys.shm.create("/ring", 2);
    const a = m.sys.createSpace();
    const b = m.sys.createSpace();
    a.map({
      length: 0x2000,
      prot: RW,
      sharing: "shared",
      object: seg.object,
      placement: { kind: "fixed", va: 0x10000 },
    });
    b.map({
      length: 0x1000,
      prot: PROT_READ,
      sharing: "shared",
      object: m.sys.shm.open("/ring").object,
      offset: 1,
    });
    const bva = b.areaList()[0]!.start;
    m.store(a, 0x11004, 42);
    expect(m.load(b, bva + 4)).toBe(42);
    expect(m.store(b, bva, 1)).toBe("segv:protection");
    m.sys.shm.unlink("/ring");
    expect(m.load(b, bva + 4)).toBe(42);
    m.sys.checkInvariants();
    a.destroy();
    b.destroy();
    expect(m.sys.store.objects()).toHaveLength(0);
    expect(m.frames.freeFrames()).toBe(m.initialFree);
  });

  it("a private mapping of a segment at an offset, split by unmap and protect, reads the right pages", () => {
    // Page k of the segment holds k + 1. Map pages 2..7 privately at 0x20000, cut page 4 out
    // (a split: the tail must read from segment page 5 on), protect page 6 away and back (a split
    // and a join), fork, write in the child: every page still reads its own segment page.
    const m = machine(strategy);
    const seg = m.sys.shm.create("/file", 8);
    const w = m.sys.createSpace();
    w.map({
      length: 0x8000,
      prot: RW,
      sharing: "shared",
      object: seg.object,
      placement: { kind: "fixed", va: 0x10000 },
    });
    for (let k = 0; k < 8; k++) m.store(w, 0x10000 + k * 0x1000, k + 1);
    const s = m.sys.createSpace();
    s.map({
      length: 0x6000,
      prot: RW,
      object: seg.object,
      offset: 2,
      placement: { kind: "fixed", va: 0x20000 },
    });
    const page = (sp: typeof s, k: number) => m.load(sp, 0x20000 + (k - 2) * 0x1000);
    expect(s.unmap(0x22000, 0x1000)).toEqual({ kind: "unmapped", pages: 1 });
    expect(s.protect(0x24000, 0x1000, PROT_READ)).toEqual({ kind: "protected", pages: 1 });
    expect(s.protect(0x24000, 0x1000, RW)).toEqual({ kind: "protected", pages: 1 });
    expect(s.areaList().map(String)).toEqual([
      "0000020000-0000022000 rw-p anon",
      "0000023000-0000026000 rw-p anon",
    ]);
    expect([2, 3, 5, 6, 7].map((k) => page(s, k))).toEqual([3, 4, 6, 7, 8]);
    const c = s.fork()!;
    expect(m.store(c, 0x20000 + (6 - 2) * 0x1000, 99)).toBeNull();
    expect([2, 3, 5, 6, 7].map((k) => page(c, k))).toEqual([3, 4, 6, 99, 8]);
    expect([2, 3, 5, 6, 7].map((k) => page(s, k))).toEqual([3, 4, 6, 7, 8]);
    expect(m.load(w, 0x10000 + 6 * 0x1000)).toBe(7); // the segment itself never sees a private write
    m.sys.checkInvariants();
    for (const sp of [c, s, w]) {
      for (const cpu of m.cpus) if (cpu.activeSpace === sp.id) cpu.activeSpace = null;
      sp.destroy();
    }
    m.sys.shm.unlink("/file");
    expect(m.sys.store.objects()).toHaveLength(0);
    expect(m.frames.freeFrames()).toBe(m.initialFree);
  });

  it("a private mapping of a segment reads through and copies on write", () => {
    const m = machine(strategy);
    const seg = m.sys.shm.create("/file", 1);
    const a = m.sys.createSpace();
    a.map({
      length: 0x1000,
      prot: RW,
      sharing: "shared",
      object: seg.object,
      placement: { kind: "fixed", va: 0x10000 },
    });
    m.store(a, 0x10000, 5);
    a.map({
      length: 0x1000,
      prot: RW | PROT_EXEC,
      object: seg.object,
      placement: { kind: "fixed", va: 0x20000 },
    });
    expect(m.load(a, 0x20000)).toBe(5);
    m.store(a, 0x20000, 6);
    expect(m.load(a, 0x10000)).toBe(5);
    expect(m.load(a, 0x20000)).toBe(6);
    m.sys.checkInvariants();
  });

  it("destroy gives every frame back (tables, pages, objects)", () => {
    const m = machine(strategy);
    const s = m.sys.createSpace();
    s.map({ length: 0x10000, prot: RW, placement: { kind: "fixed", va: 0x7f0000000000 } });
    s.map({ length: 0x10000, prot: RW, placement: { kind: "fixed", va: 0x1000 } });
    for (let i = 0; i < 16; i++) m.store(s, 0x7f0000000000 + i * 0x1000, i);
    for (let i = 0; i < 16; i++) m.store(s, 0x1000 + i * 0x1000, i);
    s.destroy();
    m.sys.checkInvariants();
    expect(m.frames.freeFrames()).toBe(m.initialFree);
  });

  // A page table still linked into a live tree is mapped memory too: the MMU walks it. Freed
  // behind the tree's back, the next owner's bytes become PTEs (Linux frees a table only after it
  // is unlinked and the walk caches are flushed: tlb_remove_table).
  it.each(["a leaf table", "the root (PML4)"] as const)(
    "checkInvariants refuses %s that is free in the allocator while the tree still uses it",
    (which) => {
      const m = machine(strategy);
      const s = m.sys.createSpace();
      s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
      m.store(s, 0x10000, 9);
      m.sys.checkInvariants();
      const table = which === "the root (PML4)" ? s.pmap.rootFrame : [...s.pmap.mapper.tableFrames()].at(-1)!;
      m.frames.freeFrame(table);
      expect(() => m.sys.checkInvariants()).toThrow(new RegExp(`page-table frame ${table}, which is free`));
    },
  );
});

describe.each(["shadow", "refcount"] as const)("stacks and shared mappings (%s)", (strategy) => {
  it("mapStack puts a guard area below the stack: an overflow is a guard violation", () => {
    const m = machine(strategy);
    const s = m.sys.createSpace();
    const st = s.mapStack({ pages: 4, guardPages: 1, hint: 0x7000_0000 })!;
    expect(st.top - st.base).toBe(4 * 0x1000);
    expect(m.store(s, st.top - 1, 1)).toBeNull();
    expect(m.store(s, st.base - 1, 1)).toBe("segv:guard");
    expect(st.base).toBe(0x7000_1000); // first fit at the hint, guard first
    expect(s.dump()).toBe("0070000000-0070001000 ---g [guard]\n0070001000-0070005000 rw-p [stack]");
    m.sys.checkInvariants();
  });

  it("mappingsOf lists every space and area that links a shared object", () => {
    const m = machine(strategy);
    const seg = m.sys.shm.create("/x", 1);
    const a = m.sys.createSpace();
    const b = m.sys.createSpace();
    a.map({ length: 0x1000, prot: PROT_READ, sharing: "shared", object: seg.object });
    b.map({ length: 0x1000, prot: PROT_READ, sharing: "shared", object: seg.object });
    const c = b.fork()!;
    expect(m.sys.mappingsOf(seg.object).map((x) => x.space.id)).toEqual([a.id, b.id, c.id]);
  });
});

describe("TLB obligations", () => {
  it("without a shootdown target, a CPU keeps using a stale writable translation (the bug INVLPG prevents)", async () => {
    const { Mmu, PhysicalMemory, Tlb } = await import("@osbricks/hw-x86");
    const { BuddyAllocator } = await import("../src/frames/buddy.js");
    const { VmSystem } = await import("../src/space/vm-system.js");
    const { userStore8 } = await import("../src/space/user-access.js");
    const memory = new PhysicalMemory({ size: 256 * 4096 });
    const frames = new BuddyAllocator({ frames: 256 });
    frames.reserve(0, 1);
    const tlb = new Tlb();
    const mmu = new Mmu({ memory, tlb });
    const sys = new VmSystem({ memory, frames }); // no ShootdownTarget: nobody invalidates
    const s = sys.createSpace();
    s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    expect(userStore8(s, mmu, 0x10000, 1)).toBeNull(); // TLB now holds a writable entry
    s.protect(0x10000, 0x1000, PROT_READ);
    expect(s.pmap.lookup(0x10000)?.writable).toBe(false); // the page table says read-only...
    expect(userStore8(s, mmu, 0x10000, 2)).toBeNull(); // ...but the stale TLB entry lets the write through
    tlb.invlpg(0, 0x10000);
    expect(userStore8(s, mmu, 0x10000, 3)).toMatchObject({ kind: "segv", reason: "protection" });
  });
});

describe.each(["shadow", "refcount"] as const)("shootdown rounds (%s)", (strategy) => {
  it("one round per operation; page by page up to 33 pages, a whole-space flush above", () => {
    const m = machine(strategy);
    const s = m.sys.createSpace();
    m.run(s, 0);
    s.map({ length: 64 * 0x1000, prot: RW, placement: { kind: "fixed", va: 0x100000 } });
    for (let i = 0; i < 64; i++) m.store(s, 0x100000 + i * 0x1000, 1);
    const before = s.pmap.stats();
    s.protect(0x100000, 8 * 0x1000, PROT_READ);
    const mid = s.pmap.stats();
    expect(mid.rounds).toBe(before.rounds + 1);
    expect(mid.pages).toBe(before.pages + 8);
    s.protect(0x100000 + 8 * 0x1000, 56 * 0x1000, PROT_READ);
    const after = s.pmap.stats();
    expect(after.rounds).toBe(mid.rounds + 1);
    expect(after.fullFlushes).toBe(mid.fullFlushes + 1);
    expect(after.pages).toBe(mid.pages);
    expect(s.pmap.pendingFlushes).toBe(0);
  });
});

describe("IPI shootdown on hw-x86 CPUs", () => {
  const rig = () => ipiRig("refcount", 512);

  it("protect on CPU 0 reaches CPU 1 by IPI: its cached writable entry is gone", () => {
    const { s, target, store } = rig();
    s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    expect(store(1, 0x10000)).toBe("ok"); // CPU 1 caches a writable translation
    s.protect(0x10000, 0x1000, PROT_READ);
    expect(target.ipisSent).toBeGreaterThan(0);
    expect(target.pending()).toHaveLength(0);
    expect(store(1, 0x10000)).toBe("segv:protection");
  });

  it("a target with interrupts disabled keeps its stale entry until it takes the IPI", () => {
    const { s, cpus, target, store } = rig();
    s.map({ length: 0x1000, prot: RW, placement: { kind: "fixed", va: 0x10000 } });
    expect(store(1, 0x10000)).toBe("ok");
    cpus[1]!.cli();
    s.protect(0x10000, 0x1000, PROT_READ);
    expect(target.pending()).toHaveLength(1); // the ticket waits for CPU 1
    expect(store(1, 0x10000)).toBe("ok"); // the stale TLB entry still allows the write
    cpus[1]!.sti();
    cpus[1]!.deliverInterrupts();
    expect(target.pending()).toHaveLength(0);
    expect(store(1, 0x10000)).toBe("segv:protection");
  });
});
