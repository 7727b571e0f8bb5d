/**
 * Planted bugs: entry codecs a student could plausibly write, each with one mistake, that
 * {@link entryCodecLaws} must reject. Each names the law that catches it and what its message
 * says; the first three passed every law before the law named in their test was strengthened.
 */
import { describe, expect, it } from "vitest";
import { decodeEntry, encodeEntry, type PagingLevel } from "../src/index.js";
import { type EntryCodec, entryCodecLaws } from "../src/laws/index.js";

type Fields = Parameters<typeof encodeEntry>[1];

/**
 * What the law of `codec` whose name starts with `start` reports (fixed seed): the message of the
 * check that broke (fast-check's `cause`), or "the law held".
 */
function complaint(codec: EntryCodec, start: string): string {
  const found = entryCodecLaws(codec, { seed: 11 }).find((l) => l.name.startsWith(start));
  if (found === undefined) throw new Error(`no law named ${start}…`);
  try {
    found.check();
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    return String(cause instanceof Error ? cause.message : e);
  }
  return "the law held";
}

describe("entryCodecLaws reject planted codec bugs", () => {
  it("an encoder that sets P whatever `present` says (round trip and layout draw P=0 entries)", () => {
    const codec: EntryCodec = {
      encode: (level, f) => encodeEntry(level, { ...f, present: true }),
      decode: decodeEntry,
    };
    expect(complaint(codec, "each flag lands")).toMatch(/the SDM layout gives/);
    expect(complaint(codec, "decode(encode")).toMatch(/field present: got true, want false/);
  });

  it("a decoder that never reads P (every entry present)", () => {
    const codec: EntryCodec = {
      encode: encodeEntry,
      decode: (lo, hi, level) => ({ ...decodeEntry(lo, hi, level), present: true }),
    };
    expect(complaint(codec, "decode reads every field")).toMatch(/\.present: .*P is bit 0/);
  });

  it("a decoder that takes bit 7 of a PML4E as PS and calls the entry a leaf", () => {
    const codec: EntryCodec = {
      encode: encodeEntry,
      decode: (lo, hi, level) => {
        const d = decodeEntry(lo, hi, level);
        return level >= 4 && (lo & 0x80) !== 0 ? { ...d, leaf: true } : d;
      },
    };
    expect(complaint(codec, "decode reads every field")).toMatch(/\.leaf: .*reserved in a PML4E/);
  });

  it("an encoder that puts PAT on bit 7 in a 2 MiB or 1 GiB leaf (where bit 7 is PS)", () => {
    const codec: EntryCodec = {
      encode: (level: PagingLevel, f: Fields) =>
        f.pat === true && f.pageSize === true
          ? encodeEntry(level, { ...f, pat: false }) // PS already sets bit 7: the PAT bit is lost
          : encodeEntry(level, f),
      decode: decodeEntry,
    };
    expect(complaint(codec, "each flag lands")).toMatch(/the SDM layout gives/);
  });

  it("an encoder whose address mask stops at bit 50 (drops address bit 51)", () => {
    const codec: EntryCodec = {
      encode: (level, f) => {
        const e = encodeEntry(level, f);
        return { lo: e.lo, hi: (e.hi & ~0x80000) >>> 0 };
      },
      decode: decodeEntry,
    };
    expect(complaint(codec, "decode(encode")).toMatch(/field address/);
  });
});
