import { describe, expect, it } from "vitest";
import { FRAMEBUFFER_BASE, Framebuffer } from "../src/devices/framebuffer.js";
import { ConfigurationError, InvalidArgumentError } from "../src/errors.js";
import { PhysicalMemory } from "../src/memory/physical-memory.js";
import { MemoryType } from "../src/memtypes/memory-type.js";

function setup() {
  const memory = new PhysicalMemory({ size: 16 * 2 ** 20 });
  const fb = new Framebuffer({ width: 640, height: 480 });
  const region = fb.attach(memory);
  return { memory, fb, region };
}

describe("Framebuffer (MMIO)", () => {
  it("is an MMIO region at the default base, page-rounded, listed in the boot map", () => {
    const { memory, region, fb } = setup();
    expect(region.base).toBe(FRAMEBUFFER_BASE);
    expect(region.length).toBe(640 * 480 * 4);
    expect(memory.mmioAt(FRAMEBUFFER_BASE + 0x1000)?.name).toBe("framebuffer");
    expect(memory.bootMap().some((r) => r.type === "mmio" && r.base === FRAMEBUFFER_BASE)).toBe(true);
    expect(fb.memoryType).toBe(MemoryType.WC);
  });

  it("a 32-bit store of 0x00RRGGBB at base + y·pitch + 4x paints pixel (x, y)", () => {
    const { memory, fb } = setup();
    expect(fb.offsetOf(10, 2)).toBe(0x1428); // the banner's worked example
    memory.write32(FRAMEBUFFER_BASE + fb.offsetOf(10, 2), 0xff8000);
    expect(fb.pixel(10, 2)).toBe(0xff8000);
    expect(memory.read8(FRAMEBUFFER_BASE + 0x1428 + 2)).toBe(0xff); // R is the third byte (B, G, R, X)
    memory.write8(FRAMEBUFFER_BASE + fb.offsetOf(0, 0), 0x12);
    expect(fb.pixel(0, 0)).toBe(0x12);
    expect(memory.read32(FRAMEBUFFER_BASE + 0x1428)).toBe(0xff8000);
  });

  it("a padded pitch shifts every row", () => {
    const memory = new PhysicalMemory({ size: 2 ** 20 });
    const fb = new Framebuffer({ width: 3, height: 2, pitch: 16 });
    const r = fb.attach(memory, 0x1000_0000);
    memory.write32(r.base + 16 + 8, 0x0000ff);
    expect(fb.pixel(2, 1)).toBe(0xff);
    expect(fb.byteLength).toBe(4096);
  });

  it("tracks the rows written since the last refresh", () => {
    const { memory, fb } = setup();
    expect(fb.takeDamage()).toBeNull();
    memory.write32(FRAMEBUFFER_BASE + fb.offsetOf(5, 7), 1);
    memory.write32(FRAMEBUFFER_BASE + fb.offsetOf(5, 3), 1);
    expect(fb.takeDamage()).toEqual({ firstRow: 3, lastRow: 7 });
    expect(fb.takeDamage()).toBeNull();
    expect(fb.stores).toBe(2);
  });

  it("renders a PPM image", () => {
    const memory = new PhysicalMemory({ size: 2 ** 20 });
    const fb = new Framebuffer({ width: 2, height: 1 });
    const r = fb.attach(memory, 0x10_0000);
    memory.write32(r.base + 4, 0x102030);
    const ppm = fb.toPpm();
    const header = "P6\n2 1\n255\n";
    expect(new TextDecoder().decode(ppm.slice(0, header.length))).toBe(header);
    expect([...ppm.slice(header.length)]).toEqual([0, 0, 0, 0x10, 0x20, 0x30]);
  });

  it("refuses bad geometry, off-screen pixels and overlapping placement", () => {
    expect(() => new Framebuffer({ width: 0, height: 1 })).toThrow(InvalidArgumentError);
    expect(() => new Framebuffer({ width: 4, height: 1, pitch: 8 })).toThrow(/pitch/);
    const { memory, fb } = setup();
    expect(() => fb.pixel(640, 0)).toThrow(/outside 640×480/);
    expect(() => new Framebuffer({ width: 8, height: 8 }).attach(memory, FRAMEBUFFER_BASE)).toThrow(
      ConfigurationError,
    );
    expect(() => memory.write32(FRAMEBUFFER_BASE + 640 * 480 * 4, 0)).toThrow();
  });
});
