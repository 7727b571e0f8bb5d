/**
 * The MMIO map: which physical address ranges belong to devices instead of RAM.
 *
 * ```
 *  physical address space (up to 2^52)
 *  0 ──── RAM ──── size        lo ═══ fb ═══╗   ╔═══ hpet ═══ hi        2^52
 *                              │  region 0   │ … │  region n−1  │
 *                              └── the envelope [lo, hi): outside it, nothing is MMIO ──┘
 * ```
 *
 * On a PC the chipset decodes each physical address to DRAM or to a device; a BAR or a fixed
 * window (the legacy VGA hole, the local APIC at 0xfee00000, the PCI hole below 4 GiB) takes its
 * range away from RAM, and a load or store there reaches the device's registers instead (Intel SDM
 * vol. 3, 11.3: such ranges are usually mapped UC, since each access has an effect). Here a
 * region is a 4 KiB-aligned range with an {@link MmioDevice} that answers the accesses.
 *
 * Invariants (checked by {@link MmioMap.checkInvariants}):
 * - every region is 4 KiB aligned in base and length and ends inside the 52-bit address space;
 * - the regions are sorted by base and pairwise disjoint;
 * - `lo` is the first region's base and `hi` the last one's end (`+∞` and 0 with no region), so
 *   `pa < lo || pa >= hi` proves in two compares that `pa` is no device's — the test every RAM
 *   load and store of `PhysicalMemory` makes first.
 *
 * Why a sorted array and a linear search, not an interval tree: a machine has a handful of
 * windows (our examples have one or two), and every hot access is decided by the envelope alone.
 *
 * Related: `physical-memory.ts` (routes accesses here), `boot-map.ts` (lists the regions as
 * `mmio`), `../devices/framebuffer.ts` (a device that registers a region).
 */
import { ConfigurationError, InvariantError } from "../errors.js";
import { FRAME_SIZE, hex, type PhysAddr } from "./address.js";

/** The widths of one MMIO access in bytes (64-bit accesses reach a device as two 4-byte accesses). */
export type MmioWidth = 1 | 2 | 4;

/**
 * A device that answers loads and stores to an MMIO region (a framebuffer, a timer's registers).
 * Offsets are relative to the region's base. Values are unsigned and `width` bytes wide (a load
 * keeps only the low `width` bytes of what `read` returns, as the bus would).
 */
export interface MmioDevice {
  /** Answer a load of `width` bytes at `offset`. */
  read(offset: number, width: MmioWidth): number;
  /** Accept a store of `width` bytes at `offset`. */
  write(offset: number, width: MmioWidth, value: number): void;
}

/** A registered MMIO region. */
export interface MmioRegion {
  /** First physical address (4 KiB aligned). */
  readonly base: PhysAddr;
  /** Length in bytes (a multiple of 4 KiB). */
  readonly length: number;
  /** A name for dumps and the boot map, e.g. `"framebuffer"`. */
  readonly name: string;
  /** The device that answers accesses. */
  readonly device: MmioDevice;
}

/**
 * The sorted, disjoint MMIO regions of one physical address space, with their envelope.
 * `PhysicalMemory` owns one; its `addMmio`, `removeMmio`, `mmioAt` and `mmioRegions` are this
 * class's methods under the names a machine's user knows.
 *
 * @example
 * ```ts
 * const map = new MmioMap();
 * const dev = { read: () => 0, write: () => {} };
 * map.add(0xfd000000, 0x1000, dev, "fb", "addMmio");
 * map.at(0xfd000010)?.name; // "fb"
 * map.at(0x1000); // undefined: below the envelope, decided without a search
 * ```
 */
export class MmioMap {
  private list: readonly MmioRegion[] = [];
  private envelopeLo = Number.POSITIVE_INFINITY;
  private envelopeHi = 0;

  /** Lowest MMIO address, or +∞ when there is no region. */
  get lo(): number {
    return this.envelopeLo;
  }

  /** One past the highest MMIO address, or 0 when there is no region. */
  get hi(): number {
    return this.envelopeHi;
  }

  /** The regions, sorted by base. */
  get regions(): readonly MmioRegion[] {
    return this.list;
  }

  /**
   * Route `[base, base+length)` to `device`. `call` names the public entry in error messages.
   *
   * @returns the registered region.
   * @throws {@link ConfigurationError} if the range is not 4 KiB aligned, leaves the 52-bit
   *   physical address space, or overlaps another region (the map is then unchanged).
   */
  add(base: PhysAddr, length: number, device: MmioDevice, name: string, call: string): MmioRegion {
    const what = `${call}(base=${hex(base)}, length=${hex(length)}, name=${JSON.stringify(name)})`;
    if (!Number.isInteger(base) || !Number.isInteger(length) || base < 0 || length <= 0) {
      throw new ConfigurationError(`${what}: base and length must be non-negative integers, length > 0`);
    }
    if (base % FRAME_SIZE !== 0 || length % FRAME_SIZE !== 0) {
      throw new ConfigurationError(`${what}: an MMIO region must be 4 KiB aligned in base and length`);
    }
    // Intel SDM vol. 3, 4.1.4: MAXPHYADDR is at most 52, so no physical address lies above 2^52.
    if (base + length > 2 ** 52) {
      throw new ConfigurationError(`${what}: ends beyond the 52-bit physical address space`);
    }
    const clash = this.list.find((r) => base < r.base + r.length && r.base < base + length);
    if (clash !== undefined) {
      throw new ConfigurationError(
        `${what}: overlaps MMIO region "${clash.name}" at ${hex(clash.base)}+${hex(clash.length)}`,
      );
    }
    const region: MmioRegion = { base, length, name, device };
    this.list = [...this.list, region].sort((a, b) => a.base - b.base);
    this.updateEnvelope();
    return region;
  }

  /**
   * Remove the region that starts at `base`. `call` names the public entry in error messages.
   * @throws {@link ConfigurationError} if no region starts there (the map is then unchanged).
   */
  remove(base: PhysAddr, call: string): void {
    const i = this.list.findIndex((r) => r.base === base);
    if (i < 0) throw new ConfigurationError(`${call}(base=${hex(base)}): no MMIO region starts there`);
    this.list = this.list.filter((_, j) => j !== i);
    this.updateEnvelope();
  }

  /** The region containing `pa`, if any. */
  at(pa: PhysAddr): MmioRegion | undefined {
    if (pa < this.envelopeLo || pa >= this.envelopeHi) return undefined;
    return this.list.find((r) => pa >= r.base && pa < r.base + r.length);
  }

  /** The first region that starts above `pa`, if any (to walk a span piece by piece). */
  nextAbove(pa: PhysAddr): MmioRegion | undefined {
    return this.list.find((r) => r.base > pa);
  }

  /** The regions as `name@base+length`, for error messages: `"fb@0xfd000000+0x1000"` or `"none"`. */
  describe(): string {
    return this.list.map((m) => `${m.name}@${hex(m.base)}+${hex(m.length)}`).join(", ") || "none";
  }

  /**
   * Check the invariants listed in the file banner.
   * @throws {@link InvariantError} describing the first broken invariant.
   */
  checkInvariants(): void {
    for (const r of this.list) {
      if (
        r.base % FRAME_SIZE !== 0 ||
        r.length % FRAME_SIZE !== 0 ||
        r.length <= 0 ||
        r.base + r.length > 2 ** 52
      ) {
        throw new InvariantError(
          `MMIO region "${r.name}" at ${hex(r.base)}+${hex(r.length)} is not a 4 KiB-aligned range`,
        );
      }
    }
    for (let i = 1; i < this.list.length; i++) {
      const a = this.list[i - 1]!;
      const b = this.list[i]!;
      if (a.base + a.length > b.base) {
        throw new InvariantError(`MMIO regions "${a.name}" and "${b.name}" overlap or are unsorted`);
      }
    }
    const first = this.list[0];
    const last = this.list[this.list.length - 1];
    const lo = first === undefined ? Number.POSITIVE_INFINITY : first.base;
    const hi = last === undefined ? 0 : last.base + last.length;
    if (this.envelopeLo !== lo || this.envelopeHi !== hi) {
      throw new InvariantError(
        `MMIO envelope is [${this.envelopeLo}, ${this.envelopeHi}), the regions span [${lo}, ${hi})`,
      );
    }
  }

  private updateEnvelope(): void {
    const first = this.list[0];
    const last = this.list[this.list.length - 1];
    this.envelopeLo = first === undefined ? Number.POSITIVE_INFINITY : first.base;
    this.envelopeHi = last === undefined ? 0 : last.base + last.length;
  }
}
