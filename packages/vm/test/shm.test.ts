import { describe, expect, it } from "vitest";
import { PROT_READ, PROT_WRITE } from "../src/areas/area.js";
import { ShmNameError, VmArgumentError } from "../src/errors.js";
import { machine } from "./space-fixture.js";

const RW = PROT_READ | PROT_WRITE;

describe("named shared-memory segments", () => {
  it("create, open, unlink; names are unique and must exist", () => {
    const m = machine("shadow");
    const seg = m.sys.shm.create("/a", 3);
    expect(m.sys.shm.open("/a")).toBe(seg);
    expect(() => m.sys.shm.create("/a", 1)).toThrow(ShmNameError);
    expect(() => m.sys.shm.create("", 1)).toThrow(VmArgumentError);
    expect(() => m.sys.shm.open("/b")).toThrow(ShmNameError);
    m.sys.shm.unlink("/a");
    expect(() => m.sys.shm.unlink("/a")).toThrow(ShmNameError);
    expect(m.sys.store.objects()).toHaveLength(0); // unmapped and unnamed: gone
  });

  it.each(["shadow", "refcount"] as const)(
    "%s: writes meet across spaces at different addresses",
    (strategy) => {
      const m = machine(strategy);
      const seg = m.sys.shm.create("/ring", 4);
      const a = m.sys.createSpace();
      const b = m.sys.createSpace();
      a.map({
        length: 0x4000,
        prot: RW,
        sharing: "shared",
        object: seg.object,
        placement: { kind: "fixed", va: 0x10000 },
      });
      b.map({
        length: 0x4000,
        prot: RW,
        sharing: "shared",
        object: seg.object,
        placement: { kind: "fixed", va: 0x80000 },
      });
      m.store(a, 0x12000, 1, 0);
      m.store(b, 0x82001, 2, 1);
      expect(m.load(b, 0x82000, 1)).toBe(1);
      expect(m.load(a, 0x12001, 0)).toBe(2);
      // unmapping half in one space splits its area but keeps the segment's pages
      a.unmap(0x10000, 0x2000);
      expect(m.load(b, 0x82000, 1)).toBe(1);
      expect(a.areaList()[0]).toMatchObject({ start: 0x12000, offset: 2 });
      m.sys.checkInvariants();
      m.sys.shm.unlink("/ring");
      a.destroy();
      expect(m.load(b, 0x82001, 1)).toBe(2);
      b.destroy();
      expect(m.frames.freeFrames()).toBe(m.initialFree);
    },
  );

  it("mapping beyond the segment is refused and changes nothing", () => {
    const m = machine("shadow");
    const seg = m.sys.shm.create("/s", 2);
    const a = m.sys.createSpace();
    expect(() =>
      a.map({ length: 0x2000, prot: RW, sharing: "shared", object: seg.object, offset: 1 }),
    ).toThrow(VmArgumentError);
    expect(a.areaList()).toHaveLength(0);
    m.sys.checkInvariants();
  });
});
