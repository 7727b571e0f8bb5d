// The bip buffer (examples/src/jsix/lib/channel/bip-buffer.ts) on a plain Uint8Array: one unit
// test per rule with the banner's worked numbers, then a model-based test against a naive FIFO of
// bytes — every byte read must be the model's, and the header's invariants hold after every step.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BIP_FULL,
  BIP_HEADER_BYTES,
  BipField,
  type BipHeader,
  bipCommit,
  bipConsume,
  bipGetBlock,
  bipHeader,
  bipInit,
  bipPlace,
  bipReserve,
  checkBipHeader,
} from "../src/jsix/lib/channel/bip-buffer.js";
import {
  ChannelArgumentError,
  ChannelInvariantError,
  ChannelStateError,
} from "../src/jsix/lib/channel/errors.js";
import { ArrayMemory, runSync } from "../src/jsix/lib/channel/memory.js";

const ORIGIN = 0x4000;

/** A fresh buffer of `capacity` data bytes, header at ORIGIN, data right after it. */
function fresh(capacity: number): { m: ArrayMemory; base: number; data: number } {
  const m = new ArrayMemory(new Uint8Array(BIP_HEADER_BYTES + capacity), ORIGIN);
  runSync(bipInit(m, ORIGIN, capacity));
  return { m, base: ORIGIN, data: ORIGIN + BIP_HEADER_BYTES };
}

const header = (m: ArrayMemory, base: number): BipHeader => runSync(bipHeader(m, base));
const regions = (h: BipHeader) => ({
  a: [h.startA, h.sizeA],
  b: [h.startB, h.sizeB],
  r: [h.startR, h.sizeR],
});

/** Reserve, fill with `fill`, commit all of it; returns the region's address. */
function put(m: ArrayMemory, base: number, n: number, fill = 0xab): number {
  const va = runSync(bipReserve(m, base, n));
  expect(va).not.toBe(BIP_FULL);
  runSync(m.write(va, new Uint8Array(n).fill(fill)));
  runSync(bipCommit(m, base, n));
  return va;
}

describe("bip buffer rules", () => {
  it("init writes the documented header: capacity, data offset, everything else 0", () => {
    const { m, base } = fresh(100);
    expect(runSync(m.load32(base + BipField.CAPACITY))).toBe(100);
    expect(runSync(m.load32(base + BipField.DATA))).toBe(BIP_HEADER_BYTES);
    expect(regions(header(m, base))).toEqual({ a: [0, 0], b: [0, 0], r: [0, 0] });
  });

  it("init refuses a zero capacity, a misaligned base and a data area inside the header", () => {
    const m = new ArrayMemory(new Uint8Array(256), 0);
    expect(() => runSync(bipInit(m, 0, 0))).toThrow(ChannelArgumentError);
    expect(() => runSync(bipInit(m, 2, 16))).toThrow(ChannelArgumentError);
    expect(() => runSync(bipInit(m, 0, 16, 16))).toThrow(/at least 32 bytes/);
  });

  it("the first reservation starts at 0 and its commit makes A", () => {
    const { m, base, data } = fresh(100);
    expect(runSync(bipReserve(m, base, 60))).toBe(data);
    expect(regions(header(m, base)).r).toEqual([0, 60]);
    runSync(bipCommit(m, base, 60));
    expect(regions(header(m, base))).toEqual({ a: [0, 60], b: [0, 0], r: [0, 0] });
  });

  it("a write that fits after A goes after A and grows it", () => {
    const { m, base, data } = fresh(100);
    put(m, base, 60);
    expect(put(m, base, 40)).toBe(data + 60);
    expect(regions(header(m, base)).a).toEqual([0, 100]);
  });

  it("worked numbers: 40 free after A=[50,60) is too few for 45, so it goes to 0 and makes B", () => {
    const { m, base, data } = fresh(100);
    put(m, base, 60);
    runSync(bipConsume(m, base, 50));
    expect(regions(header(m, base)).a).toEqual([50, 10]);
    expect(put(m, base, 45)).toBe(data);
    expect(regions(header(m, base))).toEqual({ a: [50, 10], b: [0, 45], r: [0, 0] });
    // Reads still come from A, and consuming A to its end promotes B.
    expect(runSync(bipGetBlock(m, base))).toEqual({ va: data + 50, length: 10 });
    runSync(bipConsume(m, base, 10));
    expect(regions(header(m, base))).toEqual({ a: [0, 45], b: [0, 0], r: [0, 0] });
  });

  it("a request never splits: 51 bytes are refused when only 40 + 50 are free, in two runs", () => {
    const { m, base } = fresh(100);
    put(m, base, 60);
    runSync(bipConsume(m, base, 50));
    const before = header(m, base);
    expect(runSync(bipReserve(m, base, 51))).toBe(BIP_FULL);
    expect(header(m, base)).toEqual(before); // a refusal changes nothing
  });

  it("while B exists, writes go right after B and must end by A's start", () => {
    const { m, base, data } = fresh(100);
    put(m, base, 60);
    runSync(bipConsume(m, base, 50)); // A=[50,60)
    put(m, base, 45); // B=[0,45)
    expect(runSync(bipReserve(m, base, 6))).toBe(BIP_FULL); // 45..50 holds 5
    expect(put(m, base, 5)).toBe(data + 45);
    expect(regions(header(m, base)).b).toEqual([0, 50]);
  });

  it("bipPlace's worked numbers (capacity 100, A=[50,60), no B)", () => {
    const h: BipHeader = {
      capacity: 100,
      data: 32,
      startA: 50,
      sizeA: 10,
      startB: 0,
      sizeB: 0,
      startR: 0,
      sizeR: 0,
    };
    expect(bipPlace(h, 40)).toBe(60);
    expect(bipPlace(h, 45)).toBe(0);
    expect(bipPlace(h, 51)).toBe(BIP_FULL);
  });

  it("consuming everything restarts A at 0, so the whole capacity is one free run again", () => {
    const { m, base, data } = fresh(100);
    put(m, base, 70);
    runSync(bipConsume(m, base, 70));
    expect(regions(header(m, base)).a).toEqual([0, 0]);
    expect(put(m, base, 100)).toBe(data);
  });

  it("get_block of an empty buffer is null", () => {
    const { m, base } = fresh(64);
    expect(runSync(bipGetBlock(m, base))).toBeNull();
  });

  it("a reservation larger than the buffer is refused, and changes nothing (jsix: j6_err_insufficient)", () => {
    const { m, base } = fresh(100);
    expect(() => runSync(bipReserve(m, base, 101))).toThrow(ChannelArgumentError);
    expect(() => runSync(bipReserve(m, base, 0))).toThrow(ChannelArgumentError);
    expect(regions(header(m, base)).r).toEqual([0, 0]);
  });

  it("a second reservation while one is outstanding throws and keeps the first", () => {
    const { m, base } = fresh(100);
    runSync(bipReserve(m, base, 10));
    expect(() => runSync(bipReserve(m, base, 5))).toThrow(ChannelStateError);
    expect(regions(header(m, base)).r).toEqual([0, 10]);
  });

  it("commit publishes a prefix and drops the rest; commit(0) cancels", () => {
    const { m, base } = fresh(100);
    runSync(bipReserve(m, base, 10));
    runSync(bipCommit(m, base, 4));
    expect(regions(header(m, base))).toEqual({ a: [0, 4], b: [0, 0], r: [0, 0] });
    runSync(bipReserve(m, base, 10));
    runSync(bipCommit(m, base, 0));
    expect(regions(header(m, base))).toEqual({ a: [0, 4], b: [0, 0], r: [0, 0] });
  });

  it("commit beyond the reservation, or without one, throws and changes nothing", () => {
    const { m, base } = fresh(100);
    expect(() => runSync(bipCommit(m, base, 1))).toThrow(ChannelStateError);
    runSync(bipReserve(m, base, 10));
    expect(() => runSync(bipCommit(m, base, 11))).toThrow(ChannelArgumentError);
    expect(regions(header(m, base)).r).toEqual([0, 10]);
  });

  it("consume beyond the readable block throws and changes nothing", () => {
    const { m, base } = fresh(100);
    put(m, base, 10);
    expect(() => runSync(bipConsume(m, base, 11))).toThrow(ChannelArgumentError);
    expect(regions(header(m, base)).a).toEqual([0, 10]);
  });

  it("A drained under an outstanding reservation: the commit starts A at the reservation", () => {
    const { m, base } = fresh(100);
    put(m, base, 30);
    runSync(bipReserve(m, base, 20)); // R=[30,50)
    runSync(bipConsume(m, base, 30)); // A empty, restarts at 0
    checkBipHeader(header(m, base));
    runSync(bipCommit(m, base, 20));
    expect(regions(header(m, base)).a).toEqual([30, 20]);
  });

  it("checkBipHeader names a B that overlaps A", () => {
    const h: BipHeader = {
      capacity: 100,
      data: 32,
      startA: 10,
      sizeA: 10,
      startB: 0,
      sizeB: 15,
      startR: 0,
      sizeR: 0,
    };
    expect(() => checkBipHeader(h)).toThrow(ChannelInvariantError);
    expect(() => checkBipHeader(h)).toThrow(/B must end at or before A's start/);
  });

  it("checkBipHeader names a reservation overlapping committed bytes", () => {
    const h: BipHeader = {
      capacity: 100,
      data: 32,
      startA: 10,
      sizeA: 10,
      startB: 0,
      sizeB: 0,
      startR: 5,
      sizeR: 10,
    };
    expect(() => checkBipHeader(h)).toThrow(/reservation must follow A/);
  });
});

// ---- model-based test ---------------------------------------------------------------------------

interface Model {
  fifo: number[]; // committed, unread bytes in order
  reserved: Uint8Array | null; // what the writer put in its open reservation
  capacity: number;
}
interface Real {
  m: ArrayMemory;
  base: number;
  stamp: number; // varies the bytes written so a misplaced region shows
}

const check = (r: Real): void => checkBipHeader(header(r.m, r.base));

class Reserve implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>): boolean => m.reserved === null;
  run(model: Model, r: Real): void {
    const n = 1 + (this.pick % model.capacity);
    const va = runSync(bipReserve(r.m, r.base, n));
    if (va === BIP_FULL) {
      // Refusing is only allowed when the request cannot fit: an empty buffer takes anything.
      expect(model.fifo.length).toBeGreaterThan(0);
      expect(header(r.m, r.base).sizeR).toBe(0);
    } else {
      expect(n).toBeLessThanOrEqual(model.capacity - model.fifo.length);
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = (r.stamp * 31 + i * 7) & 0xff;
      r.stamp++;
      runSync(r.m.write(va, bytes));
      model.reserved = bytes;
    }
    check(r);
  }
  toString = (): string => `reserve(#${this.pick})`;
}

class ReserveWhileOpenErr implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>): boolean => m.reserved !== null;
  run(model: Model, r: Real): void {
    const before = header(r.m, r.base);
    expect(() => runSync(bipReserve(r.m, r.base, 1 + (this.pick % model.capacity)))).toThrow(
      ChannelStateError,
    );
    expect(header(r.m, r.base)).toEqual(before);
  }
  toString = (): string => `reserve-while-open(#${this.pick})`;
}

class ReserveTooLargeErr implements fc.Command<Model, Real> {
  constructor(readonly extra: number) {}
  check = (): boolean => true;
  run(model: Model, r: Real): void {
    const before = header(r.m, r.base);
    expect(() => runSync(bipReserve(r.m, r.base, model.capacity + 1 + this.extra))).toThrow(
      ChannelArgumentError,
    );
    expect(header(r.m, r.base)).toEqual(before);
  }
  toString = (): string => `reserve-too-large(+${this.extra})`;
}

class Commit implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>): boolean => m.reserved !== null;
  run(model: Model, r: Real): void {
    const reserved = model.reserved as Uint8Array;
    const k = this.pick % (reserved.length + 1);
    runSync(bipCommit(r.m, r.base, k));
    for (let i = 0; i < k; i++) model.fifo.push(reserved[i] as number);
    model.reserved = null;
    expect(header(r.m, r.base).sizeR).toBe(0);
    check(r);
  }
  toString = (): string => `commit(#${this.pick})`;
}

class CommitWithoutReservationErr implements fc.Command<Model, Real> {
  check = (m: Readonly<Model>): boolean => m.reserved === null;
  run(_model: Model, r: Real): void {
    const before = header(r.m, r.base);
    expect(() => runSync(bipCommit(r.m, r.base, 1))).toThrow(ChannelStateError);
    expect(header(r.m, r.base)).toEqual(before);
  }
  toString = (): string => "commit-without-reservation";
}

class ReadConsume implements fc.Command<Model, Real> {
  constructor(readonly pick: number) {}
  check = (): boolean => true;
  run(model: Model, r: Real): void {
    const block = runSync(bipGetBlock(r.m, r.base));
    if (model.fifo.length === 0) {
      expect(block).toBeNull();
      return;
    }
    expect(block).not.toBeNull();
    const b = block as { va: number; length: number };
    expect(b.length).toBeLessThanOrEqual(model.fifo.length);
    const bytes = runSync(r.m.read(b.va, b.length));
    expect(Array.from(bytes)).toEqual(model.fifo.slice(0, b.length));
    const k = this.pick % (b.length + 1);
    runSync(bipConsume(r.m, r.base, k));
    model.fifo.splice(0, k);
    const h = header(r.m, r.base);
    expect(h.sizeA + h.sizeB).toBe(model.fifo.length);
    check(r);
  }
  toString = (): string => `read-consume(#${this.pick})`;
}

class ConsumeTooMuchErr implements fc.Command<Model, Real> {
  check = (): boolean => true;
  run(_model: Model, r: Real): void {
    const before = header(r.m, r.base);
    expect(() => runSync(bipConsume(r.m, r.base, before.sizeA + 1))).toThrow(ChannelArgumentError);
    expect(header(r.m, r.base)).toEqual(before);
  }
  toString = (): string => "consume-too-much";
}

describe("bip buffer against a FIFO of bytes", () => {
  it("every byte read is the model's; the header's invariants hold after every step", () => {
    const pick = fc.nat(1_000);
    const commands = [
      pick.map((p) => new Reserve(p)),
      pick.map((p) => new Reserve(p)),
      pick.map((p) => new ReserveWhileOpenErr(p)),
      fc.nat(50).map((e) => new ReserveTooLargeErr(e)),
      pick.map((p) => new Commit(p)),
      pick.map((p) => new Commit(p)),
      fc.constant(new CommitWithoutReservationErr()),
      pick.map((p) => new ReadConsume(p)),
      pick.map((p) => new ReadConsume(p)),
      fc.constant(new ConsumeTooMuchErr()),
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 48 }),
        fc.commands(commands, { maxCommands: 120 }),
        (capacity, cmds) => {
          const { m, base } = fresh(capacity);
          fc.modelRun(
            () => ({ model: { fifo: [], reserved: null, capacity }, real: { m, base, stamp: 1 } }),
            cmds,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
