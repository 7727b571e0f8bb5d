import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ConfigurationError,
  joinU64,
  type MmioDevice,
  type MmioWidth,
  PhysicalMemory,
  PhysicalRangeError,
  splitU64,
} from "../src/index.js";

/** A device that records accesses and answers reads with offset + width. */
class RecordingDevice implements MmioDevice {
  readonly log: string[] = [];
  read(offset: number, width: MmioWidth): number {
    this.log.push(`r${width}@${offset}`);
    return offset + width;
  }
  write(offset: number, width: MmioWidth, value: number): void {
    this.log.push(`w${width}@${offset}=${value.toString(16)}`);
  }
}

describe("PhysicalMemory", () => {
  it("is little-endian across widths (SDM vol. 1, 1.3.1)", () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    mem.write32(0x1000, 0xdeadbeef);
    expect(mem.read8(0x1000)).toBe(0xef);
    expect(mem.read8(0x1003)).toBe(0xde);
    expect(mem.read16(0x1001)).toBe(0xadbe);
    expect(mem.read64(0x1000)).toBe(0xdeadbeefn);
    mem.write64(0x2000, 0x0123456789abcdefn);
    expect(mem.read32(0x2000)).toBe(0x89abcdef);
    expect(mem.read32(0x2004)).toBe(0x01234567);
  });

  it("reads untouched frames as zero and backs only touched frames (sparse, 64 GiB)", () => {
    const mem = new PhysicalMemory({ size: 64 * 2 ** 30 });
    expect(mem.read64(63 * 2 ** 30)).toBe(0n);
    expect(mem.backedFrames).toBe(0);
    mem.write8(64 * 2 ** 30 - 1, 0x5a);
    expect(mem.read8(64 * 2 ** 30 - 1)).toBe(0x5a);
    expect(mem.backedFrames).toBe(1);
    mem.checkInvariants();
  });

  it("backs 64 GiB sparsely: scattered stores cost host pages, not segments' worth of memory", () => {
    const before = process.memoryUsage().rss;
    const mem = new PhysicalMemory({ size: 64 * 2 ** 30 });
    for (let i = 0; i < 256; i++) mem.write32(i * 2 ** 28 + 0x1230, i); // one frame in each segment
    expect(mem.backedFrames).toBe(256);
    expect(mem.read32(255 * 2 ** 28 + 0x1230)).toBe(255);
    expect(process.memoryUsage().rss - before).toBeLessThan(512 * 2 ** 20); // not 64 GiB
    mem.checkInvariants();
    mem.discardFrame(0x10001); // the only backed frame of segment 1: the segment is dropped
    expect(mem.backedFrames).toBe(255);
    expect(mem.read32(2 ** 28 + 0x1230)).toBe(0);
    mem.checkInvariants();
  });

  it("layoutVersion moves exactly when a segment is created or dropped", () => {
    const mem = new PhysicalMemory({ size: 2 ** 29 }); // two segments
    const v0 = mem.layoutVersion;
    mem.write32(0x1000, 1); // creates segment 0
    const v1 = mem.layoutVersion;
    expect(v1).not.toBe(v0);
    mem.write32(0x2000, 2); // same segment: no change
    expect(mem.layoutVersion).toBe(v1);
    mem.discardFrame(1); // frame 2 is still backed: segment 0 stays
    expect(mem.layoutVersion).toBe(v1);
    const seg0 = mem.peekSegment(2);
    mem.discardFrame(2); // the last backed frame: segment 0 is dropped
    const v2 = mem.layoutVersion;
    expect(v2).not.toBe(v1);
    expect(mem.peekSegment(2)).toBeUndefined();
    mem.write32(0x2000, 3); // created again: a different array
    expect(mem.layoutVersion).not.toBe(v2);
    expect(mem.peekSegment(2)).not.toBe(seg0);
  });

  it("handles accesses that cross a frame boundary", () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    mem.write32(0x1ffe, 0x11223344);
    expect(mem.read8(0x1ffe)).toBe(0x44);
    expect(mem.read8(0x2001)).toBe(0x11);
    expect(mem.read32(0x1ffe)).toBe(0x11223344);
    mem.write64Halves(0x2ffc, 0xaabbccdd, 0x11223344);
    expect(mem.read64(0x2ffc)).toBe(0x11223344aabbccddn);
  });

  it("refuses addresses outside RAM and MMIO, and writes nothing then", () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    expect(() => mem.read32(1 << 20)).toThrow(PhysicalRangeError);
    expect(() => mem.write64(0xffffc, 1n << 40n)).toThrow(/no RAM or MMIO/);
    expect(mem.read32(0xffffc)).toBe(0);
    expect(mem.backedFrames).toBe(0);
    expect(() => mem.frameWords(256)).toThrow(PhysicalRangeError);
    expect(() => mem.read8(-1)).toThrow(PhysicalRangeError);
  });

  it("routes MMIO accesses to the device, 64-bit as two 32-bit halves", () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    const dev = new RecordingDevice();
    mem.addMmio(0xfd000000, 0x2000, dev, "fb");
    mem.write32(0xfd000010, 0xabc);
    expect(mem.read16(0xfd000004)).toBe(6);
    mem.write64(0xfd000100, 0x100000002n);
    expect(dev.log).toEqual(["w4@16=abc", "r2@4", "w4@256=2", "w4@260=1"]);
    expect(() => mem.read32(0xfd001ffe)).toThrow(/crosses the end/);
  });

  it("a load carries only its width: a device answering more bits is cut to 1, 2 or 4 bytes", () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    mem.addMmio(0xfd000000, 0x1000, { read: () => 0x1deadbeef, write: () => {} }, "sloppy");
    expect(mem.read8(0xfd000000)).toBe(0xef);
    expect(mem.read16(0xfd000000)).toBe(0xbeef);
    expect(mem.read32(0xfd000000)).toBe(0xdeadbeef);
    expect(mem.read64(0xfd000000)).toBe(0xdeadbeefdeadbeefn);
  });

  it("lets MMIO hide RAM below it and lists it in the boot map", () => {
    const mem = new PhysicalMemory({
      size: 1 << 20,
      reserved: [{ base: 0x9f000, length: 0x61000, type: "reserved" }],
    });
    mem.write32(0x80000, 7);
    mem.addMmio(0x80000, 0x1000, new RecordingDevice(), "window");
    expect(mem.read32(0x80000)).toBe(0x4);
    expect(mem.bootMap()).toEqual([
      { base: 0, length: 0x80000, type: "usable" },
      { base: 0x80000, length: 0x1000, type: "mmio" },
      { base: 0x81000, length: 0x1e000, type: "usable" },
      { base: 0x9f000, length: 0x61000, type: "reserved" },
    ]);
    mem.removeMmio(0x80000);
    expect(mem.read32(0x80000)).toBe(7);
  });

  it("refuses overlapping or misaligned MMIO regions and keeps the old ones", () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    mem.addMmio(0x100000, 0x2000, new RecordingDevice(), "a");
    expect(() => mem.addMmio(0x101000, 0x1000, new RecordingDevice(), "b")).toThrow(ConfigurationError);
    expect(() => mem.addMmio(0x200800, 0x1000, new RecordingDevice(), "c")).toThrow(/4 KiB aligned/);
    expect(mem.mmioRegions().map((r) => r.name)).toEqual(["a"]);
  });

  it("refuses bad sizes", () => {
    expect(() => new PhysicalMemory({ size: 1000 })).toThrow(ConfigurationError);
    expect(() => new PhysicalMemory({ size: 2 ** 41 })).toThrow(/1 TiB/);
  });

  it("copies, fills and discards frames", () => {
    const mem = new PhysicalMemory({ size: 1 << 20 });
    mem.write32(0x3000, 42);
    mem.copyFrame(5, 3);
    expect(mem.read32(0x5000)).toBe(42);
    mem.fillFrame(5, 0xaa);
    expect(mem.read32(0x5ffc)).toBe(0xaaaaaaaa);
    mem.discardFrame(5);
    expect(mem.read32(0x5ffc)).toBe(0);
    mem.checkInvariants();
  });

  it("refuses to copy from or to a frame that is not RAM, and changes nothing", () => {
    const mem = new PhysicalMemory({ size: 1 << 20 }); // frames 0..0xff
    mem.write32(0x3000, 42);
    mem.write32(0x5000, 7);
    const before = mem.backedFrames;
    for (const [dst, src] of [
      [0x100, 3], // dst just past RAM
      [5, 0x100], // src just past RAM
      [-1, 3],
      [5, -1],
      [1.5, 3],
      [5, 2.5],
      [Number.NaN, 3],
      [5, 2 ** 32 + 3], // an address-sized number whose low 32 bits are a RAM frame
    ] as const) {
      expect(() => mem.copyFrame(dst, src), `copyFrame(${dst}, ${src})`).toThrow(PhysicalRangeError);
      expect(() => mem.copyFrame(dst, src)).toThrow(/copyFrame\((dst|src)\)\(pfn=.*\): not a RAM frame/);
    }
    expect(mem.backedFrames).toBe(before); // no frame was marked as stored into
    expect(mem.read32(0x5000)).toBe(7); // and none was written
    mem.copyFrame(5, 3); // the same call with good frames copies
    expect(mem.read32(0x5000)).toBe(42);
    mem.checkInvariants();
  });

  it("keeps RAM of at most 2 GiB in one buffer: segments are views of it, copies between them need no view", () => {
    const mem = new PhysicalMemory({ size: 600 * 2 ** 20 }); // three segments, the last one shorter
    expect(mem.ramWords()).toBeUndefined(); // nothing stored yet: nothing allocated
    mem.write32(0x10 * 4096 + 8, 0xcafe); // frame 0x10, segment 0
    const ram = mem.ramWords()!;
    expect(ram.length).toBe((600 * 2 ** 20) / 4);
    expect(ram[0x10 * 1024 + 2]).toBe(0xcafe);
    mem.copyFrame(0x20010, 0x10); // into segment 2
    expect(mem.read32(0x20010 * 4096 + 8)).toBe(0xcafe);
    expect(mem.peekSegment(0x20010)!.buffer).toBe(ram.buffer);
    expect(mem.backedFrames).toBe(2);
    mem.write32(0x20011 * 4096, 7);
    mem.copyFrame(0x20011, 0x10005); // from segment 1, never stored into: the copy is zeros
    expect(mem.read32(0x20011 * 4096)).toBe(0);
    mem.checkInvariants();
    for (const pfn of [0x10, 0x20010, 0x20011]) mem.discardFrame(pfn);
    expect(mem.backedFrames).toBe(0);
    expect(mem.ramWords()).toBeUndefined(); // released with the last segment
    mem.write32(0x3000, 1);
    expect(mem.ramWords()).not.toBe(ram); // a new buffer, zeroed
    expect(mem.read32(0x10 * 4096 + 8)).toBe(0);
    mem.checkInvariants();
  });

  it("gives larger RAM one buffer per segment, and copies between them still work", () => {
    const mem = new PhysicalMemory({ size: 4 * 2 ** 30 });
    mem.write32(0x1000, 0x1234);
    expect(mem.ramWords()).toBeUndefined();
    mem.copyFrame(0x30001, 1); // segment 0 to segment 3
    expect(mem.read32(0x30001 * 4096)).toBe(0x1234);
    expect(mem.peekSegment(0x30001)!.buffer).not.toBe(mem.peekSegment(1)!.buffer);
    mem.checkInvariants();
  });

  it("property: a store is read back at every width, other bytes untouched", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: (1 << 16) - 8 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (pa, v) => {
          const mem = new PhysicalMemory({ size: 1 << 16 });
          mem.write64(pa, v);
          expect(mem.read64(pa)).toBe(v);
          const [lo, hi] = splitU64(v);
          expect(mem.read32(pa)).toBe(lo);
          expect(mem.read32(pa + 4)).toBe(hi);
          expect(joinU64(lo, hi)).toBe(v);
          expect(mem.read8(pa + 7)).toBe(Number(v >> 56n));
          if (pa > 0) expect(mem.read8(pa - 1)).toBe(0);
          mem.checkInvariants();
        },
      ),
      { numRuns: 100 },
    );
  });
});
