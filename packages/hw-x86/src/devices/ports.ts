/**
 * The x86 I/O port space: 65 536 byte-addressed ports reached by IN and OUT, apart from memory.
 *
 * Intel SDM Vol. 1, chapter 19 ("Input/Output"). Legacy PC devices live here: the serial ports
 * (COM1 at 0x3F8–0x3FF), the 8259 PICs (0x20, 0xA0), the PIT (0x40). A device claims a range; an
 * IN from a port nobody claims reads all ones (the floating ISA bus), an OUT to it is dropped —
 * which is how a kernel probing for a UART that is not there sees 0xFF.
 *
 * ```
 *   0x0000 ─ … ─ 0x03F8 [COM1: 8 ports] 0x0400 ─ … ─ 0xFFFF
 *   outb(0x3F8, 0x41) → Uart16550.writePort(0, 1, 0x41)   (offset = port − base)
 * ```
 *
 * Not modelled: the TSS I/O permission bitmap and IOPL (only CPL 0 code calls these methods).
 *
 * Related: `uart16550.ts` (a device on these ports), `../memory/physical-memory.ts` (MMIO, the
 * other way devices are reached).
 */
import { ConfigurationError, InvalidArgumentError } from "../errors.js";
import { hex } from "../memory/address.js";

/** Widths of one port access in bytes (IN/OUT with AL, AX, EAX). */
export type PortWidth = 1 | 2 | 4;

/** A device answering IN and OUT on a range of ports; offsets are relative to its base port. */
export interface PortDevice {
  /** IN: read `width` bytes at `offset`. */
  readPort(offset: number, width: PortWidth): number;
  /** OUT: write `width` bytes at `offset`. */
  writePort(offset: number, width: PortWidth, value: number): void;
}

/** One claimed range. */
export interface PortRange {
  /** First port. */
  readonly base: number;
  /** Number of ports. */
  readonly length: number;
  /** Name for dumps (`"COM1"`). */
  readonly name: string;
  /** The device. */
  readonly device: PortDevice;
}

/**
 * The machine's I/O address space.
 *
 * @example
 * ```ts
 * const ports = new IoPortSpace();
 * const com1 = new Uart16550({ sink: new BufferSink() });
 * ports.register(COM1_PORT, 8, com1, "COM1");
 * ports.outb(COM1_PORT, 0x41);   // "A" to the sink
 * ports.inb(0x2f8);              // 0xff: no COM2
 * ```
 */
export class IoPortSpace {
  #ranges: PortRange[] = [];

  /**
   * Claim `[base, base+length)` for `device`.
   * @throws {@link ConfigurationError} when the range leaves 0..0xFFFF or overlaps another claim.
   */
  register(base: number, length: number, device: PortDevice, name: string): PortRange {
    const call = `IoPortSpace.register(base=${hex(base)}, length=${String(length)}, ${JSON.stringify(name)})`;
    if (
      !Number.isInteger(base) ||
      !Number.isInteger(length) ||
      base < 0 ||
      length < 1 ||
      base + length > 0x10000
    ) {
      throw new ConfigurationError(`${call}: the range must lie in the 64 KiB port space (SDM Vol. 1 19.2)`);
    }
    const clash = this.#ranges.find((r) => base < r.base + r.length && r.base < base + length);
    if (clash !== undefined)
      throw new ConfigurationError(`${call}: overlaps ${clash.name} at ${hex(clash.base)}`);
    const range: PortRange = { base, length, name, device };
    this.#ranges = [...this.#ranges, range].sort((a, b) => a.base - b.base);
    return range;
  }

  /** The claimed ranges, by base. */
  ranges(): readonly PortRange[] {
    return this.#ranges;
  }

  #find(call: string, port: number, width: PortWidth): PortRange | undefined {
    if (!Number.isInteger(port) || port < 0 || port + width > 0x10000) {
      throw new InvalidArgumentError(`${call}(port=${String(port)}): ports are 0..0xffff`);
    }
    const r = this.#ranges.find((x) => port >= x.base && port < x.base + x.length);
    if (r !== undefined && port + width > r.base + r.length) {
      throw new InvalidArgumentError(
        `${call}(port=${hex(port)}): a ${width}-byte access crosses the end of ${r.name}`,
      );
    }
    return r;
  }

  /**
   * IN of `width` bytes (only those: the low `width` bytes of what the device answers); all ones
   * when no device claims `port`. @throws {@link InvalidArgumentError} for a bad port.
   */
  read(port: number, width: PortWidth): number {
    const r = this.#find("in", port, width);
    if (r === undefined) return width === 4 ? 0xffffffff : (1 << (8 * width)) - 1;
    return widthOf(r.device.readPort(port - r.base, width), width);
  }

  /**
   * OUT of `width` bytes (the low `width` bytes of `value`); dropped when no device claims `port`.
   * @throws {@link InvalidArgumentError} for a bad port.
   */
  write(port: number, width: PortWidth, value: number): void {
    const r = this.#find("out", port, width);
    r?.device.writePort(port - r.base, width, widthOf(value, width));
  }

  /** `IN AL, DX`. */
  inb(port: number): number {
    return this.read(port, 1);
  }

  /** `OUT DX, AL` (the value is truncated to 8 bits). */
  outb(port: number, value: number): void {
    this.write(port, 1, value & 0xff);
  }
}

/** The low `width` bytes of `v`, unsigned: an I/O access carries no more. */
function widthOf(v: number, width: PortWidth): number {
  return width === 4 ? v >>> 0 : v & (width === 2 ? 0xffff : 0xff);
}
