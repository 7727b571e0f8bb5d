/**
 * The laws of a page-table entry codec: what a student's `PTE_ADDR`/`PTE_FLAGS`-style helpers must
 * satisfy to agree with the hardware layout of Intel SDM 4.5 (Tables 4-14 to 4-20).
 *
 * | law                 | statement                                                                 |
 * | ------------------- | ------------------------------------------------------------------------- |
 * | round trip          | `decode(encode(fields))` gives back every field, P=0 entries included      |
 * | hardware bit layout | each flag lands on its architectural bit (P=0, R/W=1, …, PK=62:59, XD=63) |
 * | address field       | the address occupies bits 51:12 (51:21, 51:30 for large pages), nothing else |
 * | decode of any word  | every field is read from its bit in any well-formed 64-bit word: P=0 is    |
 * |                     | not present; bit 7 makes a leaf only in a PDPTE or PDE (PAT in a PTE,      |
 * |                     | reserved in a PML4E/PML5E, SDM Table 4-15), never a 512 GiB page           |
 *
 * Related: `../paging/entry.ts` (our codec, which passes these laws).
 */
import fc from "fast-check";
import type { DecodedEntry, EntryFields, EntryWords } from "../paging/entry.js";
import type { PagingLevel } from "../paging/virtual-address.js";
import type { Law, LawOptions } from "./api.js";

/** A codec for paging-structure entries, as halves (`lo` = bits 31..0, `hi` = bits 63..32). */
export interface EntryCodec {
  /** Encode `fields` for a table at `level`. */
  encode(level: PagingLevel, fields: EntryFields): EntryWords;
  /** Decode an entry of a table at `level`. */
  decode(lo: number, hi: number, level: PagingLevel): DecodedEntry;
}

/** Architectural bit of each one-bit flag (SDM 4.5); PAT moves to bit 12 in large leaves. */
const FLAG_BITS = {
  writable: 1,
  user: 2,
  writeThrough: 3,
  cacheDisable: 4,
  accessed: 5,
  dirty: 6,
  global: 8,
  noExecute: 63,
} as const;

/** Every flag and software field of an entry, drawn independently (the address is drawn apart). */
export const entryFieldsArbitrary = fc.record({
  writable: fc.boolean(),
  user: fc.boolean(),
  writeThrough: fc.boolean(),
  cacheDisable: fc.boolean(),
  accessed: fc.boolean(),
  dirty: fc.boolean(),
  global: fc.boolean(),
  available: fc.integer({ min: 0, max: 7 }),
  availableHigh: fc.integer({ min: 0, max: 127 }),
  protectionKey: fc.integer({ min: 0, max: 15 }),
  noExecute: fc.boolean(),
});

/** Table-reference entries at any level, 4 KiB leaves, and 2 MiB / 1 GiB leaves. */
export const entryShapeArbitrary = fc.oneof(
  fc.record({
    level: fc.constantFrom<PagingLevel>(2, 3, 4, 5),
    large: fc.constant(false),
    pat: fc.constant(false),
  }),
  fc.record({ level: fc.constant<PagingLevel>(1), large: fc.constant(false), pat: fc.boolean() }),
  fc.record({ level: fc.constantFrom<PagingLevel>(2, 3), large: fc.constant(true), pat: fc.boolean() }),
);

function bigOf(e: EntryWords): bigint {
  return (BigInt(e.hi >>> 0) << 32n) | BigInt(e.lo >>> 0);
}

/**
 * The laws every {@link EntryCodec} obeys.
 * @example
 * ```ts
 * for (const law of entryCodecLaws({ encode: encodeEntry, decode: decodeEntry })) it(law.name, () => law.check());
 * ```
 */
export function entryCodecLaws(codec: EntryCodec, options: LawOptions = {}): Law[] {
  const params = {
    numRuns: options.numRuns ?? 100,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  };
  // `present` is drawn apart: an encoder that always sets P, or a decoder that never reads it,
  // agrees with itself on present entries only.
  const sample = fc.tuple(
    entryShapeArbitrary,
    entryFieldsArbitrary,
    fc.integer({ min: 0, max: 2 ** 40 - 1 }),
    fc.boolean(),
  );
  const build = (shape: { level: PagingLevel; large: boolean; pat: boolean }, frameNo: number) => {
    const align = !shape.large ? 4096 : shape.level === 2 ? 2 ** 21 : 2 ** 30;
    return (frameNo * align) % 2 ** 52;
  };
  return [
    {
      name: "decode(encode(fields)) gives back every field",
      check: () =>
        fc.assert(
          fc.property(sample, ([shape, f, frameNo, present]) => {
            const address = build(shape, frameNo);
            const e = codec.encode(shape.level, {
              ...f,
              address,
              present,
              pageSize: shape.large,
              pat: shape.pat,
            });
            const d = codec.decode(e.lo, e.hi, shape.level);
            const expected = { ...f, address, present, pat: shape.pat, level: shape.level };
            for (const [k, v] of Object.entries(expected)) {
              if (d[k as keyof DecodedEntry] !== v)
                throw new Error(`field ${k}: got ${String(d[k as keyof DecodedEntry])}, want ${String(v)}`);
            }
            if (d.leaf !== (shape.level === 1 || shape.large)) throw new Error("leaf-ness lost");
          }),
          params,
        ),
    },
    {
      name: "each flag lands on its architectural bit, the address on bits 51:12",
      check: () =>
        fc.assert(
          fc.property(sample, ([shape, f, frameNo, present]) => {
            const address = build(shape, frameNo);
            const e = bigOf(
              codec.encode(shape.level, { ...f, address, present, pageSize: shape.large, pat: shape.pat }),
            );
            let want = BigInt(address) | (present ? 1n : 0n);
            for (const [k, bit] of Object.entries(FLAG_BITS))
              if (f[k as keyof typeof FLAG_BITS]) want |= 1n << BigInt(bit);
            if (shape.large) want |= 1n << 7n;
            if (shape.pat) want |= shape.large ? 1n << 12n : 1n << 7n;
            want |= BigInt(f.available) << 9n;
            want |= BigInt(f.availableHigh) << 52n;
            want |= BigInt(f.protectionKey) << 59n;
            if (e !== want)
              throw new Error(`encoded 0x${e.toString(16)}, the SDM layout gives 0x${want.toString(16)}`);
          }),
          params,
        ),
    },
    {
      name: "decode reads every field from its architectural bit in any well-formed word, P=0 and PS in a PML4E included",
      check: () =>
        fc.assert(
          fc.property(wellFormedWordArbitrary, ([level, lo, hi]) => {
            const want = referenceDecode(level, lo, hi);
            const d = codec.decode(lo, hi, level);
            for (const [k, v] of Object.entries(want)) {
              const got = d[k as keyof DecodedEntry];
              if (got !== v) {
                const word = bigOf({ lo, hi }).toString(16);
                throw new Error(
                  `decode(0x${word}, level ${level}).${k}: got ${String(got)}, the SDM gives ${String(v)}` +
                    (k === "present"
                      ? " (P is bit 0: an entry with P=0 maps nothing, SDM 4.5)"
                      : k === "leaf" || k === "pageSize"
                        ? " (bit 7 is PS only in a PDPTE or PDE; PAT in a PTE, reserved in a PML4E/PML5E)"
                        : ""),
                );
              }
            }
          }),
          params,
        ),
    },
  ];
}

/**
 * Any 64-bit word at any level, with the reserved bits of a large leaf (20:13 of a 2 MiB PDE,
 * 29:13 of a 1 GiB PDPTE) cleared so that its address is unambiguous. Bit 7 of a PML4E/PML5E
 * (reserved) stays: whatever else it does, it never makes the entry map a page.
 */
const wellFormedWordArbitrary = fc
  .tuple(
    fc.constantFrom<PagingLevel>(1, 2, 3, 4, 5),
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.integer({ min: 0, max: 0xffffffff }),
  )
  .map(([level, lo, hi]): [PagingLevel, number, number] => {
    if ((lo & 0x80) !== 0 && level === 2) lo = (lo & ~0x001fe000) >>> 0;
    if ((lo & 0x80) !== 0 && level === 3) lo = (lo & ~0x3fffe000) >>> 0;
    return [level, lo, hi];
  });

/** The fields of `decode`, read straight off the bits with BigInt (SDM 4.5, Tables 4-14..4-20). */
function referenceDecode(level: PagingLevel, lo: number, hi: number): Record<string, unknown> {
  const w = bigOf({ lo, hi });
  const bit = (n: number) => ((w >> BigInt(n)) & 1n) === 1n;
  const bits = (from: number, width: number) => Number((w >> BigInt(from)) & ((1n << BigInt(width)) - 1n));
  const leaf = level === 1 || ((level === 2 || level === 3) && bit(7));
  const pageSize = !leaf ? null : level === 1 ? 4096 : level === 2 ? 2 ** 21 : 2 ** 30;
  const frameBits = BigInt(pageSize ?? 4096) - 1n;
  return {
    level,
    present: bit(0),
    writable: bit(1),
    user: bit(2),
    writeThrough: bit(3),
    cacheDisable: bit(4),
    accessed: bit(5),
    dirty: bit(6),
    leaf,
    pageSize,
    pat: leaf && (level === 1 ? bit(7) : bit(12)),
    global: bit(8),
    available: bits(9, 3),
    availableHigh: bits(52, 7),
    protectionKey: bits(59, 4),
    noExecute: bit(63),
    address: Number(w & ((1n << 52n) - 1n) & ~0xfffn & ~frameBits),
  };
}

/** Run every law of {@link entryCodecLaws}; throws on the first violation. */
export function runEntryCodecLaws(codec: EntryCodec, options: LawOptions = {}): void {
  for (const law of entryCodecLaws(codec, options)) law.check();
}
