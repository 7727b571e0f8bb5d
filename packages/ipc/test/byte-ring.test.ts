import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteRing, IpcArgumentError, MessageQueue } from "../src/index.js";

describe("ByteRing", () => {
  it("the TSDoc example: a partial write and a partial read", () => {
    const r = new ByteRing(4);
    expect(r.write(Uint8Array.of(1, 2, 3, 4, 5))).toBe(4);
    const out = new Uint8Array(3);
    expect(r.read(out)).toBe(3);
    expect([...out]).toEqual([1, 2, 3]);
    expect(r.length).toBe(1);
  });

  it("wraps around the end of its buffer (the banner's head 6, length 4 case)", () => {
    const r = new ByteRing(8);
    r.write(new Uint8Array(6));
    r.read(new Uint8Array(6));
    r.write(Uint8Array.of(97, 98, 99, 100));
    expect(r.write(Uint8Array.of(1, 2, 3, 4, 5, 6))).toBe(4);
    const out = new Uint8Array(8);
    expect(r.read(out)).toBe(8);
    expect([...out]).toEqual([97, 98, 99, 100, 1, 2, 3, 4]);
  });

  it("behaves as a bounded array FIFO (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.nat(20)), { maxLength: 50 }),
        (cap, ops) => {
          const r = new ByteRing(cap);
          const model: number[] = [];
          for (const op of ops) {
            if (typeof op === "number") {
              const out = new Uint8Array(op);
              const n = r.read(out);
              expect(n).toBe(Math.min(op, model.length));
              expect([...out.subarray(0, n)]).toEqual(model.splice(0, n));
            } else {
              const n = r.write(op);
              expect(n).toBe(Math.min(op.length, cap - model.length));
              model.push(...op.subarray(0, n));
            }
            r.checkInvariants();
            expect(r.length).toBe(model.length);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("rejects a non-positive capacity", () => {
    expect(() => new ByteRing(0)).toThrow(IpcArgumentError);
  });
});

describe("MessageQueue", () => {
  it("is bounded by count and by bytes, and refuses whole messages only", () => {
    const q = new MessageQueue<number>({ maxMessages: 2, maxBytes: 8 });
    expect(q.push({ bytes: new Uint8Array(5), handles: [1] })).toBe(true);
    expect(q.fits(4)).toBe(false);
    expect(q.push({ bytes: new Uint8Array(4), handles: [] })).toBe(false);
    expect(q.push({ bytes: new Uint8Array(3), handles: [] })).toBe(true);
    expect(q.push({ bytes: new Uint8Array(0), handles: [] })).toBe(false);
    expect(q.shift()!.handles).toEqual([1]);
    expect(q.bytes).toBe(3);
    expect(q.couldFit(9)).toBe(false);
    q.checkInvariants();
  });

  it("keeps FIFO order over many pushes and shifts (compaction included)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(10), fc.constant(-1)), { maxLength: 200 }), (ops) => {
        const q = new MessageQueue<number>({ maxMessages: 50, maxBytes: 200 });
        const model: number[] = [];
        let seq = 0;
        for (const op of ops) {
          if (op < 0) expect(q.shift()?.handles[0]).toBe(model.shift());
          else if (q.push({ bytes: new Uint8Array(op), handles: [seq] })) model.push(seq++);
          else seq++;
          q.checkInvariants();
          expect(q.count).toBe(model.length);
        }
        expect(q.drain().map((m) => m.handles[0])).toEqual(model);
      }),
      { numRuns: 80 },
    );
  });
});
