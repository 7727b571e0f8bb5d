/**
 * A linear framebuffer: pixels a kernel draws by storing to physical memory, as on a PC whose
 * firmware (VBE, UEFI GOP) set up a graphics mode.
 *
 * The frame lives in an MMIO region of the physical address space, typically high in the PCI hole
 * below 4 GiB (0xE000_0000 here by default). Pixels are 32-bit XRGB8888, little-endian, row by row;
 * a row occupies `pitch` bytes (≥ width × 4; hardware pads rows).
 *
 * ```
 *   address of (x, y) = base + y · pitch + x · 4
 *   bytes in memory:   B  G  R  X         a 32-bit store of 0x00RRGGBB writes one pixel
 *   Worked: 640×480, pitch 2560, pixel (10, 2) at base + 2·2560 + 40 = base + 0x1428
 * ```
 *
 * Why it is mapped write-combining: the firmware's MTRRs leave the PCI hole UC, so each 4-byte
 * store would be its own bus transaction; a PAT entry of type WC overrides the MTRR's UC
 * (SDM 11.5.2.2, Table 11-7) and lets the CPU merge consecutive stores into 64-byte bursts. The
 * pixel values are the same either way: memory types change speed and ordering, not contents,
 * so this model keeps no write-combining buffer. {@link Framebuffer.memoryType} records the
 * intended type for the kernel's mapping code.
 *
 * Besides the MMIO device, the framebuffer tracks the rows touched since the last
 * {@link Framebuffer.takeDamage} (what a display would refresh) and renders to PPM for command lines.
 *
 * Related: `../memory/physical-memory.ts` (`addMmio`), `../memory/mmio-map.ts`, `../memtypes/` (the WC story).
 */
import { InvalidArgumentError } from "../errors.js";
import { FRAME_SIZE, type PhysAddr } from "../memory/address.js";
import type { MmioDevice, MmioRegion, MmioWidth } from "../memory/mmio-map.js";
import type { PhysicalMemory } from "../memory/physical-memory.js";
import { MemoryType } from "../memtypes/memory-type.js";

/** Default physical base of the framebuffer (in the PCI hole, as firmware typically places it). */
export const FRAMEBUFFER_BASE = 0xe000_0000;

/** Options of {@link Framebuffer}. */
export interface FramebufferOptions {
  /** Width in pixels, 1..8192. */
  readonly width: number;
  /** Height in pixels, 1..8192. */
  readonly height: number;
  /** Bytes per row, a multiple of 4 ≥ width × 4. Default width × 4. */
  readonly pitch?: number;
}

/** Rows written since the last {@link Framebuffer.takeDamage}: `[first, last]`, inclusive. */
export interface Damage {
  /** First row touched. */
  readonly firstRow: number;
  /** Last row touched. */
  readonly lastRow: number;
}

/**
 * A 32-bpp linear framebuffer, an {@link MmioDevice}.
 *
 * @example
 * ```ts
 * const memory = new PhysicalMemory({ size: 64 * 2 ** 20 });
 * const fb = new Framebuffer({ width: 640, height: 480 });
 * const region = fb.attach(memory);          // at FRAMEBUFFER_BASE, 1.2 MiB rounded to 4 KiB
 * memory.write32(region.base + fb.offsetOf(10, 2), 0xff8000);
 * fb.pixel(10, 2);                            // 0xff8000 (orange)
 * ```
 */
export class Framebuffer implements MmioDevice {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Bytes per row. */
  readonly pitch: number;
  /** Size of the MMIO region in bytes (pitch × height rounded up to 4 KiB). */
  readonly byteLength: number;
  /** The memory type a kernel should map it with (see the banner). */
  readonly memoryType: MemoryType = MemoryType.WC;

  readonly #bytes: Uint8Array;
  #firstDirty = Number.POSITIVE_INFINITY;
  #lastDirty = -1;
  #stores = 0;

  /** @throws {@link InvalidArgumentError} for a size or pitch outside the documented ranges. */
  constructor(options: FramebufferOptions) {
    const { width, height } = options;
    const pitch = options.pitch ?? width * 4;
    const call = `new Framebuffer(${String(width)}×${String(height)}, pitch=${String(pitch)})`;
    for (const v of [width, height]) {
      if (!Number.isInteger(v) || v < 1 || v > 8192)
        throw new InvalidArgumentError(`${call}: width and height are 1..8192`);
    }
    if (!Number.isInteger(pitch) || pitch % 4 !== 0 || pitch < width * 4) {
      throw new InvalidArgumentError(`${call}: pitch must be a multiple of 4 and at least width × 4`);
    }
    this.width = width;
    this.height = height;
    this.pitch = pitch;
    this.byteLength = Math.ceil((pitch * height) / FRAME_SIZE) * FRAME_SIZE;
    this.#bytes = new Uint8Array(this.byteLength);
  }

  /**
   * Register the framebuffer as an MMIO region of `memory` at `base`.
   * @throws {@link ConfigurationError} as `PhysicalMemory.addMmio` (misaligned, overlapping).
   */
  attach(memory: PhysicalMemory, base: PhysAddr = FRAMEBUFFER_BASE): MmioRegion {
    return memory.addMmio(base, this.byteLength, this, "framebuffer");
  }

  /** Byte offset of pixel (x, y) from the base. @throws {@link InvalidArgumentError} outside the screen. */
  offsetOf(x: number, y: number): number {
    if (
      !Number.isInteger(x) ||
      !Number.isInteger(y) ||
      x < 0 ||
      y < 0 ||
      x >= this.width ||
      y >= this.height
    ) {
      throw new InvalidArgumentError(
        `Framebuffer.offsetOf(${String(x)}, ${String(y)}): outside ${this.width}×${this.height}`,
      );
    }
    return y * this.pitch + x * 4;
  }

  /** The colour of pixel (x, y) as 0xRRGGBB. @throws {@link InvalidArgumentError} outside the screen. */
  pixel(x: number, y: number): number {
    const o = this.offsetOf(x, y);
    const b = this.#bytes;
    return (b[o + 2]! << 16) | (b[o + 1]! << 8) | b[o]!;
  }

  /** MMIO stores received so far. */
  get stores(): number {
    return this.#stores;
  }

  /** @inheritdoc */
  read(offset: number, width: MmioWidth): number {
    this.#check("read", offset, width);
    const b = this.#bytes;
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + b[offset + i]!;
    return v;
  }

  /** @inheritdoc */
  write(offset: number, width: MmioWidth, value: number): void {
    this.#check("write", offset, width);
    const b = this.#bytes;
    let v = value >>> 0;
    for (let i = 0; i < width; i++) {
      b[offset + i] = v & 0xff;
      v >>>= 8;
    }
    this.#stores++;
    const row = Math.floor(offset / this.pitch);
    const lastRow = Math.floor((offset + width - 1) / this.pitch);
    if (row < this.#firstDirty) this.#firstDirty = row;
    if (lastRow > this.#lastDirty) this.#lastDirty = lastRow;
  }

  #check(call: string, offset: number, width: MmioWidth): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + width > this.byteLength) {
      throw new InvalidArgumentError(
        `Framebuffer.${call}(offset=${String(offset)}, width=${String(width)}): outside the region`,
      );
    }
  }

  /** The rows written since the last call (clamped to the visible height), or `null`; then resets. */
  takeDamage(): Damage | null {
    if (this.#lastDirty < 0) return null;
    const first = Math.min(this.#firstDirty, this.height - 1);
    const last = Math.min(this.#lastDirty, this.height - 1);
    this.#firstDirty = Number.POSITIVE_INFINITY;
    this.#lastDirty = -1;
    return { firstRow: first, lastRow: last };
  }

  /** The visible picture as a binary PPM (P6) image, for command lines to save or show. */
  toPpm(): Uint8Array {
    const header = new TextEncoder().encode(`P6\n${this.width} ${this.height}\n255\n`);
    const out = new Uint8Array(header.length + this.width * this.height * 3);
    out.set(header);
    let k = header.length;
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        const o = y * this.pitch + x * 4;
        out[k++] = this.#bytes[o + 2]!;
        out[k++] = this.#bytes[o + 1]!;
        out[k++] = this.#bytes[o]!;
      }
    }
    return out;
  }
}
