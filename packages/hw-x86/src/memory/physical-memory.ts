/**
 * Physical memory: byte-addressable RAM made of 4 KiB frames, plus MMIO regions backed by devices.
 *
 * ```
 *  physical address space (up to 2^52)
 *  0 ─────────────── size ─────────── … ──── fb base ─── fb end ─── … 2^52
 *  │   RAM (sparse)   │    nothing (access → PhysicalRangeError)  │ MMIO: device callbacks │
 *  └──────────────────┘                                           └─────────────────────────┘
 *
 *  RAM backing: segments of 256 MiB (65536 frames), each one typed array created on the first
 *  store into it:
 *   segments[pfn >>> 16]  ──►  Int32Array (65536 frames × 1024 words; the last one shorter)
 *   frame pfn starts at word (pfn & 0xffff) << 10 of its segment
 * ```
 *
 * Sparse backing: a segment's array is allocated zero-filled, which every host OS backs lazily —
 * it reserves address space, and only the host pages a store touches become resident (creating
 * eight 256 MiB segments adds about 0.5 MiB of resident memory on Linux). So a 64 GiB machine costs
 * what it touches, at the host's 4 KiB page granularity. `backedFrames` counts the frames stored
 * into through this class.
 *
 * Why segments and not one typed array per frame or per small chunk: a page walk reads one entry per
 * level from scattered frames, and every level first loads the array that holds the table. With
 * few, large arrays that load always hits the cache; per-frame arrays made the walk about 2× slower
 * and 64 KiB chunks about 8 % slower than segments.
 *
 * RAM of at most 2 GiB (8 segments) is one `ArrayBuffer`, allocated at the first store, and its
 * segments are views of it; {@link PhysicalMemory.ramWords} is the view of all of it. Why: a frame
 * copy between two segments is then one `copyWithin` of that view, where segments in separate
 * buffers need a `subarray` view of the source first, an allocation per copy (cold random 4 KiB
 * copies across segments: about 740 → 600 ns each; 2–5 % of the vm's COW fork benchmark, whose
 * copies all cross segments). Larger RAM keeps one buffer per segment (engines cap an
 * `ArrayBuffer`'s length); the one buffer is released when the last segment is dropped.
 *
 * Invariants (checked by {@link PhysicalMemory.checkInvariants}):
 * - segment `i` holds frames `65536·i ..` and is exactly as long as the RAM it covers;
 * - a frame counts as backed only if it is RAM and its segment exists; an unbacked frame reads as 0;
 * - `backedFrames` equals the number of frames marked as touched;
 * - the MMIO map keeps its own invariants (`mmio-map.ts`), and the copy of its envelope kept here
 *   for the hot paths equals it; an MMIO region that overlaps RAM hides the RAM below it (as the
 *   PCI hole below 4 GiB hides RAM on a PC).
 *
 * Byte order is little-endian (Intel SDM vol. 1, 1.3.1). The backing uses the host's typed arrays,
 * which are little-endian on every platform Node and browsers run on; the constructor checks it.
 *
 * A 64-bit quantity is read on hot paths as two 32-bit halves (`read32(pa)` is bits 0..31,
 * `read32(pa + 4)` is bits 32..63); `read64`/`write64` are the BigInt conveniences on top, and
 * `u64.ts` converts between the halves and a BigInt or a number.
 *
 * Related: `mmio-map.ts` (which ranges are devices'), `boot-map.ts` (the e820-style map a kernel
 * reads), `address.ts`, `u64.ts`, `../mmu/mmu.ts` (reads
 * page-table entries through {@link PhysicalMemory.peekSegment}).
 */
import { ConfigurationError, InvalidArgumentError, InvariantError, PhysicalRangeError } from "../errors.js";
import { FRAME_SIZE, hex, type Pfn, type PhysAddr } from "./address.js";
import { type BootMemoryRegion, buildBootMap } from "./boot-map.js";
import { type MmioDevice, MmioMap, type MmioRegion, type MmioWidth } from "./mmio-map.js";

/** Options of {@link PhysicalMemory}. */
export interface PhysicalMemoryOptions {
  /** Bytes of RAM starting at physical address 0; a multiple of 4 KiB, at most 1 TiB. Default 256 MiB. */
  readonly size?: number;
  /**
   * RAM ranges the firmware keeps for itself (listed as non-usable in {@link PhysicalMemory.bootMap}).
   * Default: none. They are still ordinary RAM to loads and stores.
   */
  readonly reserved?: readonly BootMemoryRegion[];
}

/** The largest RAM size supported: 1 TiB (2^28 frames). */
export const MAX_RAM_SIZE = 2 ** 40;
/** Frames per backing segment (256 MiB). */
export const SEGMENT_FRAMES = 65536;
const SEGMENT_SHIFT = 16;
const SEGMENT_MASK = SEGMENT_FRAMES - 1;
const SEGMENT_BYTES = SEGMENT_FRAMES * FRAME_SIZE;
/** RAM up to this size is one buffer (see the file banner): 2 GiB, 8 segments. */
export const ONE_BUFFER_MAX_RAM = 2 ** 31;

/**
 * Simulated physical memory: sparse RAM plus MMIO regions.
 *
 * @example
 * ```ts
 * const mem = new PhysicalMemory({ size: 64 * 2 ** 30 }); // 64 GiB, nothing backed yet
 * mem.write32(0x1000, 0xdeadbeef);
 * mem.read8(0x1000); // 0xef (little-endian)
 * mem.read64(0x1000); // 0xdeadbeefn
 * mem.backedFrames; // 1
 * ```
 */
export class PhysicalMemory {
  /** Bytes of RAM, from address 0. */
  declare readonly size: number;
  /** Number of RAM frames (`size / 4096`). */
  declare readonly frameCount: number;
  declare private readonly reserved: readonly BootMemoryRegion[];
  declare private readonly segments: (Int32Array | undefined)[];
  private layout = 0;
  declare private readonly byteSegments: (Uint8Array | undefined)[];
  /** One byte per frame of each backed segment: 1 if the frame was stored into. */
  declare private readonly touched: (Uint8Array | undefined)[];
  /** All of RAM as words, while RAM is one buffer (at most 2 GiB) and some segment exists. */
  private ram: Int32Array | undefined = undefined;
  private backed = 0;
  private readonly mmio = new MmioMap();
  /**
   * The MMIO map's envelope, copied into this object after each change: every RAM load and store
   * tests it first ("certainly RAM"), and a field of `this` is one load where the map's getter
   * would be two.
   */
  private mmioLo = Number.POSITIVE_INFINITY;
  private mmioHi = 0;

  /**
   * @throws {@link ConfigurationError} if `size` is not a positive multiple of 4 KiB up to 1 TiB, or
   *   a reserved range lies outside RAM, or the host is big-endian.
   */
  constructor(options: PhysicalMemoryOptions = {}) {
    const size = options.size ?? 256 * 2 ** 20;
    if (!Number.isInteger(size) || size <= 0 || size % FRAME_SIZE !== 0 || size > MAX_RAM_SIZE) {
      throw new ConfigurationError(
        `PhysicalMemory(size=${String(size)}): size must be a positive multiple of 4 KiB up to 1 TiB`,
      );
    }
    if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
      throw new ConfigurationError("PhysicalMemory: the host is big-endian; x86 memory is little-endian");
    }
    this.size = size;
    this.frameCount = size / FRAME_SIZE;
    const nsegs = Math.ceil(this.frameCount / SEGMENT_FRAMES);
    this.segments = new Array<Int32Array | undefined>(nsegs).fill(undefined);
    this.byteSegments = new Array<Uint8Array | undefined>(nsegs).fill(undefined);
    this.touched = new Array<Uint8Array | undefined>(nsegs).fill(undefined);
    this.reserved = (options.reserved ?? []).map((r) => ({ ...r }));
    for (const r of this.reserved) {
      if (!Number.isInteger(r.base) || !Number.isInteger(r.length) || r.base < 0 || r.length <= 0) {
        throw new ConfigurationError(`PhysicalMemory: reserved range ${JSON.stringify(r)} is not a range`);
      }
      if (r.base + r.length > size) {
        throw new ConfigurationError(
          `PhysicalMemory: reserved range ${hex(r.base)}+${hex(r.length)} ends beyond RAM (${hex(size)})`,
        );
      }
    }
  }

  /** How many frames have been stored into (and so may cost host memory). */
  get backedFrames(): number {
    return this.backed;
  }

  // ── frames ────────────────────────────────────────────────────────────────────────────────────

  /**
   * The backing segment of RAM frame `pfn` (up to 65536 frames × 1024 little-endian 32-bit
   * words), created zeroed on first use; marks the frame as backed. The frame starts at word
   * {@link frameWordOffset}`(pfn)`; word `i` of the frame holds its bytes `4i..4i+3`, so
   * page-table entry `k` is words `2k` (bits 0..31) and `2k+1`. The array aliases memory: writes
   * through it are writes to RAM.
   *
   * @throws {@link PhysicalRangeError} if `pfn` is not a RAM frame.
   */
  segment(pfn: Pfn): Int32Array {
    const seg = pfn >>> SEGMENT_SHIFT;
    const words = this.segments[seg];
    if (words !== undefined && pfn < this.frameCount && pfn >= 0 && Number.isInteger(pfn)) {
      const t = this.touched[seg]!;
      if (t[pfn & SEGMENT_MASK] === 0) {
        t[pfn & SEGMENT_MASK] = 1;
        this.backed++;
      }
      return words;
    }
    this.checkFrame("segment", pfn);
    this.back(seg);
    return this.segment(pfn);
  }

  /**
   * The backing segment of frame `pfn` if it exists, else `undefined` (the frame reads as zeros).
   * Never allocates and never throws: the MMU reads page tables through this. `pfn` must be a
   * non-negative integer; frames outside RAM also give `undefined` (tell them apart with
   * {@link PhysicalMemory.isRamFrame}).
   */
  peekSegment(pfn: Pfn): Int32Array | undefined {
    if (pfn >= this.frameCount) return undefined;
    return this.segments[pfn >>> SEGMENT_SHIFT];
  }

  /**
   * All of RAM as one word array, frame `pfn` at word `pfn · 1024`, when RAM is one buffer (at
   * most {@link ONE_BUFFER_MAX_RAM}) and some segment exists; else `undefined`. Never allocates.
   * Its words alias the segments' (a frame whose segment does not exist reads as zeros here too).
   * Meant for copies between frames: `ramWords().copyWithin(dst · 1024, src · 1024, src · 1024 +
   * 1024)` copies a frame without creating a view. A store through it does not mark the frame as
   * backed: call {@link PhysicalMemory.segment} for the frames you store into first.
   */
  ramWords(): Int32Array | undefined {
    return this.ram;
  }

  /**
   * A number that changes whenever a segment is created or dropped, i.e. whenever an array that
   * {@link PhysicalMemory.peekSegment} returned may stop being the one that backs its frames. A
   * caller that keeps a segment across calls (the MMU keeps its root table's) re-fetches it when
   * this has moved.
   */
  get layoutVersion(): number {
    return this.layout;
  }

  /**
   * The 1024 words of RAM frame `pfn` as a view (allocates the view; hot paths use
   * {@link PhysicalMemory.segment} with {@link frameWordOffset}).
   * @throws {@link PhysicalRangeError} if `pfn` is not a RAM frame.
   */
  frameWords(pfn: Pfn): Int32Array {
    const off = frameWordOffset(pfn);
    return this.segment(pfn).subarray(off, off + 1024);
  }

  /** The 4096 bytes of RAM frame `pfn` as a view. @throws {@link PhysicalRangeError} */
  frameBytes(pfn: Pfn): Uint8Array {
    this.segment(pfn);
    const off = (pfn & SEGMENT_MASK) * FRAME_SIZE;
    return this.byteSegments[pfn >>> SEGMENT_SHIFT]!.subarray(off, off + FRAME_SIZE);
  }

  /** Whether `pfn` is an integer frame number of RAM. */
  isRamFrame(pfn: Pfn): boolean {
    return Number.isInteger(pfn) && pfn >= 0 && pfn < this.frameCount;
  }

  /**
   * Zero frame `pfn` (page-table frames must start with every entry not-present, Intel SDM 4.5).
   * @throws {@link PhysicalRangeError} if `pfn` is not a RAM frame.
   */
  zeroFrame(pfn: Pfn): void {
    this.checkFrame("zeroFrame", pfn);
    const off = frameWordOffset(pfn);
    this.peekSegment(pfn)?.fill(0, off, off + 1024);
  }

  /**
   * Fill every byte of frame `pfn` with `byte`, e.g. a poison pattern on free (as xv6's `kfree`
   * fills freed pages with junk so that dangling uses show).
   * @throws {@link PhysicalRangeError} if `pfn` is not a RAM frame; {@link InvalidArgumentError} if
   *   `byte` is not in 0..255.
   */
  fillFrame(pfn: Pfn, byte: number): void {
    this.checkFrame("fillFrame", pfn);
    if (!Number.isInteger(byte) || byte < 0 || byte > 255) {
      throw new InvalidArgumentError(
        `fillFrame(pfn=${hex(pfn)}, byte=${String(byte)}): byte must be in 0..255`,
      );
    }
    if (byte === 0) this.zeroFrame(pfn);
    else this.frameBytes(pfn).fill(byte);
  }

  /**
   * Copy the 4 KiB of frame `src` to frame `dst` (a copy-on-write fault does this).
   * @throws {@link PhysicalRangeError} if either is not a RAM frame.
   */
  copyFrame(dst: Pfn, src: Pfn): void {
    this.checkFrame("copyFrame(dst)", dst);
    this.checkFrame("copyFrame(src)", src);
    const from = this.peekSegment(src);
    if (from === undefined) {
      this.zeroFrame(dst);
      return;
    }
    const to = this.segment(dst); // also marks dst as stored into
    const ram = this.ram;
    if (ram !== undefined) {
      ram.copyWithin(dst * 1024, src * 1024, src * 1024 + 1024); // one buffer: no view to create
      return;
    }
    const so = frameWordOffset(src);
    if (from === to) to.copyWithin(frameWordOffset(dst), so, so + 1024);
    else to.set(from.subarray(so, so + 1024), frameWordOffset(dst));
  }

  /**
   * Zero frame `pfn` and stop counting it as backed; when no frame of its segment is backed any
   * more, drop the segment so the host can take its memory back. Lets a long simulation return
   * memory when the simulated kernel frees frames.
   * @throws {@link PhysicalRangeError} if `pfn` is not a RAM frame.
   */
  discardFrame(pfn: Pfn): void {
    this.zeroFrame(pfn);
    const seg = pfn >>> SEGMENT_SHIFT;
    const t = this.touched[seg];
    if (t === undefined || t[pfn & SEGMENT_MASK] === 0) return;
    t[pfn & SEGMENT_MASK] = 0;
    this.backed--;
    if (t.indexOf(1) >= 0) return;
    this.layout++;
    this.segments[seg] = undefined;
    this.byteSegments[seg] = undefined;
    this.touched[seg] = undefined;
    // The one buffer goes with the last segment (its frames were all zeroed on their discard).
    if (this.segments.every((w) => w === undefined)) this.ram = undefined;
  }

  // ── loads and stores ──────────────────────────────────────────────────────────────────────────

  /**
   * Load one byte. @throws {@link PhysicalRangeError} if `pa` is neither RAM nor MMIO.
   */
  read8(pa: PhysAddr): number {
    if (this.isPlainRam(pa, 1)) {
      const bytes = this.byteSegments[Math.floor(pa / SEGMENT_BYTES)];
      return bytes === undefined ? 0 : bytes[pa % SEGMENT_BYTES]!;
    }
    return this.mmioRead("read8", pa, 1);
  }

  /** Load a little-endian 16-bit value (any alignment). @throws {@link PhysicalRangeError} */
  read16(pa: PhysAddr): number {
    if (this.isPlainRam(pa, 2)) return this.read8(pa) | (this.read8(pa + 1) << 8);
    return this.mmioRead("read16", pa, 2);
  }

  /**
   * Load a little-endian 32-bit value, unsigned (any alignment; an access that crosses a frame
   * boundary reads both frames). @throws {@link PhysicalRangeError}
   */
  read32(pa: PhysAddr): number {
    if (this.isPlainRam(pa, 4)) {
      if ((pa & 3) === 0) {
        const words = this.segments[Math.floor(pa / SEGMENT_BYTES)];
        return words === undefined ? 0 : words[(pa % SEGMENT_BYTES) >>> 2]! >>> 0;
      }
      return (this.read16(pa) | (this.read16(pa + 2) << 16)) >>> 0;
    }
    return this.mmioRead("read32", pa, 4);
  }

  /** Load a little-endian 64-bit value as a BigInt (convenience; hot paths use two `read32`). */
  read64(pa: PhysAddr): bigint {
    this.checkSpan("read64", pa, 8);
    const lo = this.read32(pa);
    const hi = this.read32(pa + 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Store one byte (`value & 0xff`). @throws {@link PhysicalRangeError} */
  write8(pa: PhysAddr, value: number): void {
    if (this.isPlainRam(pa, 1)) {
      const pfn = Math.floor(pa / FRAME_SIZE);
      this.segment(pfn);
      this.byteSegments[pfn >>> SEGMENT_SHIFT]![pa % SEGMENT_BYTES] = value;
      return;
    }
    this.mmioWrite("write8", pa, 1, value & 0xff);
  }

  /** Store a little-endian 16-bit value (`value & 0xffff`). @throws {@link PhysicalRangeError} */
  write16(pa: PhysAddr, value: number): void {
    if (this.isPlainRam(pa, 2)) {
      this.write8(pa, value);
      this.write8(pa + 1, value >>> 8);
      return;
    }
    this.mmioWrite("write16", pa, 2, value & 0xffff);
  }

  /** Store a little-endian 32-bit value (`value mod 2^32`). @throws {@link PhysicalRangeError} */
  write32(pa: PhysAddr, value: number): void {
    if (this.isPlainRam(pa, 4)) {
      if ((pa & 3) === 0) {
        this.segment(Math.floor(pa / FRAME_SIZE))[(pa % SEGMENT_BYTES) >>> 2] = value;
        return;
      }
      this.write16(pa, value);
      this.write16(pa + 2, value >>> 16);
      return;
    }
    this.mmioWrite("write32", pa, 4, value >>> 0);
  }

  /**
   * Store a 64-bit value given as halves: `lo` is bits 0..31, `hi` bits 32..63 (the hot-path form).
   * @throws {@link PhysicalRangeError} if any of the 8 bytes is neither RAM nor MMIO (nothing is
   *   written then).
   */
  write64Halves(pa: PhysAddr, lo: number, hi: number): void {
    this.checkSpan("write64Halves", pa, 8);
    this.write32(pa, lo);
    this.write32(pa + 4, hi);
  }

  /** Store a 64-bit value given as a BigInt (taken modulo 2^64). @throws {@link PhysicalRangeError} */
  write64(pa: PhysAddr, value: bigint): void {
    const v = BigInt.asUintN(64, value);
    this.checkSpan("write64", pa, 8);
    this.write32(pa, Number(v & 0xffffffffn));
    this.write32(pa + 4, Number(v >> 32n));
  }

  /** Copy `length` bytes starting at `pa` out of memory. @throws {@link PhysicalRangeError} */
  readBytes(pa: PhysAddr, length: number): Uint8Array {
    this.checkSpan("readBytes", pa, length);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.read8(pa + i);
    return out;
  }

  /** Copy `bytes` into memory at `pa`. @throws {@link PhysicalRangeError} (nothing is written then) */
  writeBytes(pa: PhysAddr, bytes: Uint8Array): void {
    this.checkSpan("writeBytes", pa, bytes.length);
    for (let i = 0; i < bytes.length; i++) this.write8(pa + i, bytes[i]!);
  }

  // ── MMIO and the boot map ─────────────────────────────────────────────────────────────────────

  /**
   * Route loads and stores in `[base, base+length)` to `device`. The region hides any RAM below it.
   *
   * @returns the registered region.
   * @throws {@link ConfigurationError} if the range is not 4 KiB aligned, leaves the 52-bit physical
   *   address space, or overlaps another MMIO region (memory is then unchanged).
   */
  addMmio(base: PhysAddr, length: number, device: MmioDevice, name: string): MmioRegion {
    const region = this.mmio.add(base, length, device, name, "addMmio");
    this.copyEnvelope();
    return region;
  }

  /**
   * Remove the MMIO region that starts at `base`.
   * @throws {@link ConfigurationError} if no region starts there.
   */
  removeMmio(base: PhysAddr): void {
    this.mmio.remove(base, "removeMmio");
    this.copyEnvelope();
  }

  /** The MMIO regions, sorted by base. */
  mmioRegions(): readonly MmioRegion[] {
    return this.mmio.regions;
  }

  /** The MMIO region containing `pa`, if any. */
  mmioAt(pa: PhysAddr): MmioRegion | undefined {
    return this.mmio.at(pa);
  }

  /**
   * The e820-style boot memory map: RAM as `usable`, the reserved ranges given to the constructor
   * with their types, and every MMIO region as `mmio`; sorted, disjoint, adjacent ranges of one type
   * merged. A kernel gives the `usable` frames to its frame allocator.
   */
  bootMap(): BootMemoryRegion[] {
    return buildBootMap(
      this.size,
      this.reserved,
      this.mmio.regions.map((r) => ({ base: r.base, length: r.length, type: "mmio" as const })),
    );
  }

  /**
   * Check the invariants listed in the file banner.
   * @throws {@link InvariantError} describing the first broken invariant.
   */
  checkInvariants(): void {
    let count = 0;
    this.segments.forEach((words, seg) => {
      const t = this.touched[seg];
      if (words === undefined) {
        if (t !== undefined || this.byteSegments[seg] !== undefined) {
          throw new InvariantError(`segment ${seg} has views but no backing`);
        }
        return;
      }
      const frames = Math.min(SEGMENT_FRAMES, this.frameCount - seg * SEGMENT_FRAMES);
      if (words.length !== frames * 1024 || t === undefined || t.length !== frames) {
        throw new InvariantError(`segment ${seg} does not cover exactly its ${frames} RAM frames`);
      }
      const bytes = this.byteSegments[seg];
      if (bytes?.buffer !== words.buffer || bytes.byteOffset !== words.byteOffset) {
        throw new InvariantError(`segment ${seg}: byte and word views do not alias`);
      }
      const ram = this.ram;
      if ((ram !== undefined) !== this.size <= ONE_BUFFER_MAX_RAM) {
        throw new InvariantError(
          `RAM of ${this.size} bytes ${ram === undefined ? "has no" : "has a"} one-buffer view`,
        );
      }
      if (ram !== undefined && (words.buffer !== ram.buffer || words.byteOffset !== seg * SEGMENT_BYTES)) {
        throw new InvariantError(`segment ${seg} is not the view of its part of the one RAM buffer`);
      }
      for (let i = 0; i < t.length; i++) count += t[i]!;
    });
    if (count !== this.backed) {
      throw new InvariantError(`backedFrames is ${this.backed} but ${count} frames are marked as touched`);
    }
    this.mmio.checkInvariants();
    if (this.mmioLo !== this.mmio.lo || this.mmioHi !== this.mmio.hi) {
      throw new InvariantError(
        `the MMIO envelope copy [${this.mmioLo}, ${this.mmioHi}) is not the map's [${this.mmio.lo}, ${this.mmio.hi})`,
      );
    }
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────

  /** Create segment `seg`, exactly as long as the RAM it covers (the host backs it lazily). */
  private back(seg: number): void {
    this.layout++;
    const frames = Math.min(SEGMENT_FRAMES, this.frameCount - seg * SEGMENT_FRAMES);
    if (this.size <= ONE_BUFFER_MAX_RAM) {
      // One buffer for all of RAM (see the file banner); the segment is a view of its part.
      let ram = this.ram;
      if (ram === undefined) {
        ram = new Int32Array(this.size / 4);
        this.ram = ram;
      }
      const start = seg * SEGMENT_BYTES;
      this.segments[seg] = new Int32Array(ram.buffer, start, frames * 1024);
      this.byteSegments[seg] = new Uint8Array(ram.buffer, start, frames * FRAME_SIZE);
    } else {
      const buffer = new ArrayBuffer(frames * FRAME_SIZE);
      this.segments[seg] = new Int32Array(buffer);
      this.byteSegments[seg] = new Uint8Array(buffer);
    }
    this.touched[seg] = new Uint8Array(frames);
  }

  private checkFrame(call: string, pfn: Pfn): void {
    if (!this.isRamFrame(pfn)) {
      throw new PhysicalRangeError(
        `${call}(pfn=${typeof pfn === "number" ? hex(pfn) : String(pfn)}): not a RAM frame (RAM is frames 0..${hex(this.frameCount - 1)})`,
      );
    }
  }

  /** True when `[pa, pa+width)` is RAM not hidden by MMIO; throws on a non-address. */
  private isPlainRam(pa: PhysAddr, width: number): boolean {
    if (pa + width <= this.size && pa >= 0 && (pa + width <= this.mmioLo || pa >= this.mmioHi)) {
      if (Number.isInteger(pa)) return true;
    }
    if (!Number.isInteger(pa) || pa < 0) {
      throw new PhysicalRangeError(
        `access(pa=${String(pa)}): not a physical address (a non-negative integer)`,
      );
    }
    if (
      pa + width <= this.size &&
      this.mmioAt(pa) === undefined &&
      this.mmioAt(pa + width - 1) === undefined
    ) {
      return true;
    }
    return false;
  }

  private mmioRead(call: string, pa: PhysAddr, width: MmioWidth): number {
    const r = this.mmioRegionFor(call, pa, width);
    // The bus carries `width` bytes: whatever else a device returns is not part of the load.
    const v = r.device.read(pa - r.base, width);
    return width === 4 ? v >>> 0 : v & (width === 2 ? 0xffff : 0xff);
  }

  private mmioWrite(call: string, pa: PhysAddr, width: MmioWidth, value: number): void {
    const r = this.mmioRegionFor(call, pa, width);
    r.device.write(pa - r.base, width, value);
  }

  private mmioRegionFor(call: string, pa: PhysAddr, width: number): MmioRegion {
    const r = this.mmioAt(pa);
    if (r === undefined || pa + width > r.base + r.length) {
      throw new PhysicalRangeError(
        `${call}(pa=${hex(pa)}): no RAM or MMIO there (RAM is ${hex(0)}..${hex(this.size - 1)}, ` +
          `MMIO regions: ${this.mmio.describe()})` +
          (r === undefined ? "" : "; the access crosses the end of the region"),
      );
    }
    return r;
  }

  /**
   * Validate a multi-byte span up front so that a refused store writes nothing: every byte must be
   * RAM or inside an MMIO region. Walks the span piece by piece (RAM run, MMIO region, …).
   */
  private checkSpan(call: string, pa: PhysAddr, length: number): void {
    if (!Number.isInteger(pa) || pa < 0 || !Number.isInteger(length) || length < 0) {
      throw new InvalidArgumentError(`${call}(pa=${String(pa)}, length=${String(length)}): not a valid span`);
    }
    const end = pa + length;
    let p = pa;
    while (p < end) {
      const r = this.mmioAt(p);
      if (r !== undefined) {
        p = r.base + r.length;
      } else if (p < this.size) {
        const next = this.mmio.nextAbove(p);
        p = Math.min(this.size, next === undefined ? this.size : next.base);
      } else {
        this.mmioRegionFor(call, p, 1);
      }
    }
  }

  private copyEnvelope(): void {
    this.mmioLo = this.mmio.lo;
    this.mmioHi = this.mmio.hi;
  }
}

/**
 * Index of frame `pfn`'s first word inside its segment ({@link PhysicalMemory.segment}):
 * `(pfn & 0xffff) << 10`. Worked: frame 0x12345 is frame 0x2345 of segment 1, so its words start
 * at 0x2345 × 1024 = 0x8d1400.
 */
export function frameWordOffset(pfn: Pfn): number {
  return (pfn & SEGMENT_MASK) << 10;
}
