/**
 * The x86 memory types: how the processor may cache, buffer and reorder accesses to a range.
 *
 * Intel SDM Vol. 3A 11.3 (Table 11-2) describes six types; a memory type is chosen per access from
 * the MTRR of the physical range (`mtrr.ts`) and the PAT entry selected by the page's PAT/PCD/PWT
 * bits (`pat.ts`), combined by Table 11-7 (`effective.ts`).
 *
 * | enc | type | cached | writes | typical use |
 * | --- | ---- | ------ | ------ | ----------- |
 * | 0   | UC   | no     | in order, one by one | device registers (MMIO) |
 * | 1   | WC   | no     | merged in a write-combining buffer, weakly ordered | framebuffers |
 * | 4   | WT   | yes    | written through to memory at once | memory a device reads and snoops poorly |
 * | 5   | WP   | yes (reads) | go to memory, invalidate cached lines | ROM shadows |
 * | 6   | WB   | yes    | stay in the cache until evicted | ordinary RAM |
 * | 7   | UC-  | no     | as UC, but an MTRR WC wins (PAT only) | drivers that defer to the firmware's MTRRs |
 *
 * Encodings 2 and 3 are reserved everywhere; 7 (UC-) exists only in the PAT (SDM Table 11-10).
 *
 * Related: `pat.ts`, `mtrr.ts`, `effective.ts`.
 */

/**
 * Memory-type encodings, as written in PAT entries and MTRRs (Intel SDM Tables 11-8 and 11-10).
 *
 * @example
 * ```ts
 * MemoryType.WC; // 1
 * memoryTypeName(MemoryType.UC_MINUS); // "UC-"
 * ```
 */
export const MemoryType = {
  /** Uncacheable (strong UC). */
  UC: 0,
  /** Write combining. */
  WC: 1,
  /** Write through. */
  WT: 4,
  /** Write protected. */
  WP: 5,
  /** Write back. */
  WB: 6,
  /** Uncached, overridable by an MTRR WC (PAT only). */
  UC_MINUS: 7,
} as const;

/** One of the memory-type encodings of {@link MemoryType}. */
export type MemoryType = (typeof MemoryType)[keyof typeof MemoryType];

/** The printed name of a memory type: `"UC"`, `"WC"`, `"WT"`, `"WP"`, `"WB"` or `"UC-"`. */
export type MemoryTypeName = "UC" | "WC" | "WT" | "WP" | "WB" | "UC-";

const NAMES: readonly (MemoryTypeName | undefined)[] = [
  "UC",
  "WC",
  undefined,
  undefined,
  "WT",
  "WP",
  "WB",
  "UC-",
];

/**
 * The name of a memory-type encoding, or `"reserved(0x..)"` for an encoding the SDM reserves.
 * @example
 * ```ts
 * memoryTypeName(6); // "WB"
 * memoryTypeName(2); // "reserved(0x2)"
 * ```
 */
export function memoryTypeName(type: number): MemoryTypeName | `reserved(0x${string})` {
  const name = Number.isInteger(type) ? NAMES[type] : undefined;
  return name ?? `reserved(0x${type.toString(16)})`;
}

/** Whether `value` may be written to a PAT entry: 0, 1, 4, 5, 6 or 7 (SDM Table 11-10). */
export function isPatEncoding(value: number): value is MemoryType {
  return Number.isInteger(value) && value >= 0 && value <= 7 && value !== 2 && value !== 3;
}

/** Whether `value` may be written to an MTRR type field: 0, 1, 4, 5 or 6 (SDM Table 11-8; no UC-). */
export function isMtrrEncoding(value: number): value is MemoryType {
  return isPatEncoding(value) && value !== MemoryType.UC_MINUS;
}
