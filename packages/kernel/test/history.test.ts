import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeHistoryCode, History } from "../src/index.js";

// Every kind of value a frame can be resumed with, and the numbers that must not be mistaken for
// the encoding of another (halves, -Infinity, NaN, -0).
const resumeValue = fc.oneof(
  fc.integer(),
  fc.constantFrom(
    undefined,
    0.5,
    1.5,
    -0.5,
    Number.NEGATIVE_INFINITY,
    Number.POSITIVE_INFINITY,
    Number.NaN,
    -0,
  ),
  fc.double(),
  fc.bigInt(),
  fc.uint8Array({ maxLength: 8 }),
  fc.constant(2 ** 53 - 1),
);

/** What `at` must give back for a pushed value: the same value, or for bytes an equal, fresh copy. */
function sameResume(got: unknown, pushed: unknown): boolean {
  if (pushed instanceof Uint8Array) {
    return (
      got instanceof Uint8Array &&
      got !== pushed &&
      got.length === pushed.length &&
      got.every((b, i) => b === pushed[i])
    );
  }
  return Object.is(got, pushed);
}

describe("History", () => {
  it("gives back every value pushed, by position, with its type (numbers, undefined, bigints, bytes)", () => {
    fc.assert(
      fc.property(fc.array(resumeValue, { maxLength: 200 }), (values) => {
        const h = new History(1 << 20);
        for (const v of values) h.push(v);
        expect(h.length).toBe(values.length);
        for (let i = 0; i < values.length; i++) expect(sameResume(h.at(i), values[i])).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("stops at its limit and marks the overflow; what was kept stays readable", () => {
    fc.assert(
      fc.property(
        fc.array(resumeValue, { maxLength: 60 }),
        fc.integer({ min: 1, max: 40 }),
        (values, limit) => {
          const h = new History(limit);
          for (const v of values) h.push(v);
          expect(h.length).toBe(Math.min(limit, values.length));
          expect(h.overflow).toBe(values.length > limit);
          for (let i = 0; i < h.length; i++) expect(sameResume(h.at(i), values[i])).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("a clone records on its own: pushes to either do not show in the other", () => {
    const h = new History(64);
    h.push(undefined);
    h.push(5);
    h.push(7n);
    const c = h.clone();
    h.push(9n);
    c.push(11);
    c.push(13n);
    expect([h.at(2), h.at(3), h.length]).toEqual([7n, 9n, 4]);
    expect([c.at(2), c.at(3), c.at(4), c.length]).toEqual([7n, 11, 13n, 5]);
  });

  it("model: any mix of pushes and clones (clones of clones too) — every history reads back exactly its own values", () => {
    // Clones share their prefix with the history they came from (copy-on-write): a push to one
    // must never show in another, however they were derived, and the limit counts the prefix.
    type Cmd = { kind: "push"; target: number; value: unknown } | { kind: "clone"; target: number };
    const cmd: fc.Arbitrary<Cmd> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({ kind: fc.constant("push" as const), target: fc.nat(), value: resumeValue }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("clone" as const), target: fc.nat() }) },
    );
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 120 }), fc.integer({ min: 1, max: 80 }), (cmds, limit) => {
        const real = [new History(limit)];
        const model: unknown[][] = [[]];
        const overflow = [false];
        for (const c of cmds) {
          const k = c.target % real.length; // targets by index modulo the current size
          if (c.kind === "clone") {
            real.push(real[k]!.clone());
            model.push([...model[k]!]);
            overflow.push(overflow[k]!);
          } else {
            real[k]!.push(c.value);
            if (model[k]!.length < limit) model[k]!.push(c.value);
            else overflow[k] = true;
          }
          for (let j = 0; j < real.length; j++) {
            const h = real[j]!;
            const m = model[j]!;
            expect(h.length).toBe(m.length);
            expect(h.overflow).toBe(overflow[j]);
            for (let i = 0; i < m.length; i++) expect(sameResume(h.at(i), m[i])).toBe(true);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  it("a byte array comes back as a fresh copy each time: writing to one replay's array changes no other", () => {
    const h = new History(16);
    const bytes = Uint8Array.of(1, 2, 3);
    h.push(bytes);
    const a = h.at(0) as Uint8Array;
    a[0] = 99;
    bytes[1] = 98;
    expect([...(h.at(0) as Uint8Array)]).toEqual([1, 2, 3]);
    expect([...a]).toEqual([99, 2, 3]);
  });

  it("the worked example of the banner: undefined, 5, 7n, 0, 9n, 3_000_000_000", () => {
    const h = new History(16);
    const values = [undefined, 5, 7n, 0, 9n, 3_000_000_000];
    for (const v of values) h.push(v);
    expect(values.map((_, i) => h.at(i))).toEqual(values);
    const v = h.view();
    expect([...v.codes.subarray(0, v.length)]).toEqual([
      -2147483648, 5, -2147483647, 0, -2147483646, -2147483645,
    ]);
    expect(v.others).toEqual([7n, 9n, 3_000_000_000]);
  });

  it("small integers are their own codes; -0, integers below -2^30 and unsigned words from 2^31 are kept exactly", () => {
    const h = new History(16);
    const values = [-(2 ** 30), -(2 ** 30) - 1, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 0xffff_ffff, -0, -14];
    for (const v of values) h.push(v);
    const v = h.view();
    expect([v.codes[0], v.codes[3], v.codes[7]]).toEqual([-(2 ** 30), 2 ** 31 - 1, -14]);
    for (let i = 0; i < values.length; i++) expect(Object.is(h.at(i), values[i])).toBe(true);
  });

  it("view(): one flat run whose codes decode to the values, also for a clone with a prefix and values of its own", () => {
    fc.assert(
      fc.property(
        fc.array(resumeValue, { maxLength: 40 }),
        fc.array(resumeValue, { maxLength: 40 }),
        (before, after) => {
          const parent = new History(1 << 10);
          for (const x of before) parent.push(x);
          const child = parent.clone();
          for (const x of after) child.push(x);
          parent.push(1n); // the parent goes on after the fork: never seen by the child
          const all = [...before, ...after];
          const v = child.view();
          expect(v.length).toBe(all.length);
          for (let i = 0; i < all.length; i++) {
            expect(sameResume(decodeHistoryCode(v.codes[i]!, v.others), all[i])).toBe(true);
            expect(sameResume(child.at(i), all[i])).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("a limit above 2^30 - 1 is taken as 2^30 - 1 (the reserved codes index that many values)", () => {
    expect(new History(2 ** 40).limit).toBe(2 ** 30 - 1);
    expect(new History(100).limit).toBe(100);
  });
});
