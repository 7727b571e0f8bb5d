import { describe, expect, it } from "vitest";
import { IoPortSpace, type PortDevice } from "../src/index.js";

describe("I/O ports", () => {
  it("an IN or OUT carries only its width: 1, 2 or 4 bytes, whatever the device or the caller passes", () => {
    const ports = new IoPortSpace();
    const seen: number[] = [];
    const sloppy: PortDevice = { readPort: () => 0x1deadbeef, writePort: (_o, _w, v) => void seen.push(v) };
    ports.register(0x300, 8, sloppy, "sloppy");
    expect(ports.inb(0x300)).toBe(0xef);
    expect(ports.read(0x300, 2)).toBe(0xbeef);
    expect(ports.read(0x300, 4)).toBe(0xdeadbeef);
    ports.write(0x300, 1, 0x1234);
    ports.write(0x300, 2, 0x123456);
    ports.write(0x300, 4, 0x1_2345_6789);
    expect(seen).toEqual([0x34, 0x3456, 0x23456789]);
  });
});
