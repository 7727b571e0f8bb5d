/**
 * The laws of a page-table entry codec: what a student's `PTE_ADDR`/`PTE_FLAGS`-style helpers must
 * satisfy to agree with the hardware layout of Intel SDM 4.5 (Tables 4-14 to 4-20).
 *
 * | law                 | statement                                                                 |
 * | ------------------- | ------------------------------------------------------------------------- |
 * | round trip          | `decode(encode(fields))` gives back every field, P=0 entries included      |
 * | hardware bit layout | each flag lands on its architectural bit (P=0, R/W=1, …, PK=62:59, XD=63) |
 * | address field       | the address occupies bits 51:12 (51:21, 51:30 for large pages), nothing else |
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
  ];
}

/** Run every law of {@link entryCodecLaws}; throws on the first violation. */
export function runEntryCodecLaws(codec: EntryCodec, options: LawOptions = {}): void {
  for (const law of entryCodecLaws(codec, options)) law.check();
}
