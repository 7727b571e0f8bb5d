// Memory traps (src/trap/memory.ts). Byte-range traps (`rep movsb`) and the kernel's word copies
// against a plain byte array: every copy lands where a byte-by-byte copy would, across page
// boundaries, into pages never touched before, and reads of untouched pages give zeros without
// backing them. 64-bit accesses: numbers and bigints store the same bytes, `loadI64` reads them
// back as `Number(BigInt.asIntN(64, v))` would.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Kernel,
  libc,
  mem,
  memTrap,
  ProgramRegistry,
  posixStubs as sys,
  type UserCode,
} from "../src/index.js";

const PAGE = 4096;
const SPAN = 3 * PAGE;

type Op =
  | { kind: "write"; at: number; bytes: Uint8Array }
  | { kind: "read"; at: number; length: number }
  | { kind: "load8"; at: number };

const opArb = (span: number): fc.Arbitrary<Op> =>
  fc.oneof(
    fc
      .record({ at: fc.nat(span - 1), len: fc.oneof(fc.nat(70), fc.nat(span)) })
      .chain(({ at, len }) =>
        fc
          .uint8Array({ minLength: Math.min(len, span - at), maxLength: Math.min(len, span - at) })
          .map((bytes): Op => ({ kind: "write", at, bytes })),
      ),
    fc
      .record({ at: fc.nat(span - 1), len: fc.oneof(fc.nat(70), fc.nat(span)) })
      .map(({ at, len }): Op => ({ kind: "read", at, length: Math.min(len, span - at) })),
    fc.nat(span - 1).map((at): Op => ({ kind: "load8", at })),
  );

/** Run `body(kernel)` as init; returns its exit code (a crash or a signal fails the test). */
function runProgram(body: (k: Kernel) => UserCode<number>): number {
  let kernel: Kernel | null = null;
  const programs = new ProgramRegistry().register({ name: "init", main: () => body(kernel!) });
  kernel = new Kernel({ programs, memoryFrames: 1024 });
  const p = kernel.boot("init");
  expect(kernel.run().outcome).toBe("all-exited");
  expect(kernel.crashes).toEqual([]);
  const status = kernel.life.reapedByKernel.find((x) => x.pid === p.pid)?.status ?? -1;
  expect(status & 0x7f).toBe(0); // exited, not killed
  return status >> 8;
}

describe("byte-range traps", () => {
  it("read-bytes and write-bytes agree with a byte array, across pages and at any length", () => {
    fc.assert(
      fc.property(fc.array(opArb(SPAN), { maxLength: 25 }), (ops) => {
        const model = new Uint8Array(SPAN);
        const status = runProgram(function* () {
          const base = yield* libc.mmapAnon(SPAN);
          for (const op of ops) {
            if (op.kind === "write") {
              yield* mem.write(base + op.at, op.bytes);
              model.set(op.bytes, op.at);
            } else if (op.kind === "read") {
              const got = yield* mem.read(base + op.at, op.length);
              if (got.length !== op.length) return 1;
              for (let i = 0; i < op.length; i++) if (got[i] !== model[op.at + i]) return 2;
            } else if ((yield* mem.load8(base + op.at)) !== model[op.at]) return 3;
          }
          return 0;
        });
        expect(status).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it("reading a page never stored into gives zeros and leaves it unbacked", () => {
    let before = -1;
    let after = -1;
    const status = runProgram(function* (k) {
      const base = yield* libc.mmapAnon(4 * PAGE);
      // The page is mapped on the read fault (the shared zero page or a fresh frame, as vm decides);
      // the copy itself must not back frames in physical memory.
      yield* mem.load8(base + 2 * PAGE);
      before = k.memory.backedFrames;
      const got = yield* mem.read(base + 2 * PAGE + 100, 3000);
      after = k.memory.backedFrames;
      return got.every((b) => b === 0) ? 0 : 1;
    });
    expect(status).toBe(0);
    expect(after).toBe(before);
  });

  it("a byte-range copy costs copyPage cycles per 4 KiB pro rata: 12 bytes 1 cycle, a page 256", () => {
    const spent: number[] = [];
    runProgram(function* () {
      const base = yield* libc.mmapAnon(2 * PAGE);
      yield* mem.write(base, new Uint8Array(2 * PAGE)); // fault both pages in first
      for (const n of [12, PAGE, 0]) {
        const t0 = yield* sys.clock_gettime(1);
        yield* mem.write(base, new Uint8Array(n));
        spent.push((yield* sys.clock_gettime(1)) - t0);
      }
      return 0;
    });
    // Each interval is one trap (2 cycles) and one clock_gettime (100), plus the copy.
    expect(spent.map((c) => c - spent[2]!)).toEqual([1, 256, 0]);
  });

  it("a word the kernel writes at an unaligned address (pipe's fds) is the little-endian value", () => {
    const status = runProgram(function* () {
      const buf = yield* libc.sbrk(64);
      const fds = buf + 6; // not 4-byte aligned: the kernel copies byte by byte
      if ((yield* sys.pipe(fds)) !== 0) return 1;
      const r = yield* mem.load32(fds);
      const w = yield* mem.load32(fds + 4);
      return r === 3 && w === 4 ? 0 : 2;
    });
    expect(status).toBe(0);
  });
});

describe("64-bit loads and stores", () => {
  // Offsets 0 (aligned) and PAGE - 4 (straddles two pages: done byte by byte).
  const at = fc.constantFrom(0, 8, PAGE - 4, PAGE - 1);

  it("store64 of a bigint, loadI64 gives Number(BigInt.asIntN(64, v)) and load64 the unsigned word", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), at, (v, off) => {
        const status = runProgram(function* () {
          const base = yield* libc.mmapAnon(2 * PAGE);
          yield* mem.store64(base + off, v);
          if ((yield* mem.load64(base + off)) !== BigInt.asUintN(64, v)) return 1;
          if (!Object.is(yield* mem.loadI64(base + off), Number(BigInt.asIntN(64, v)))) return 2;
          return 0;
        });
        expect(status).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it("store64 of a number writes the same bytes as of the same integer as a bigint (two's complement)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.maxSafeInteger(),
          fc.integer(),
          fc.constantFrom(-1, -(2 ** 32), 2 ** 53 - 1, -(2 ** 53) + 1),
        ),
        at,
        (v, off) => {
          const status = runProgram(function* () {
            const base = yield* libc.mmapAnon(2 * PAGE);
            yield* mem.store64(base + off, v);
            if ((yield* mem.load64(base + off)) !== BigInt.asUintN(64, BigInt(v))) return 1;
            if ((yield* mem.loadI64(base + off)) !== v) return 2; // safe integers round-trip exactly
            return 0;
          });
          expect(status).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a 64-bit store of a number that is not an integer truncates it (NaN and Infinity store 0) instead of failing the kernel", () => {
    const status = runProgram(function* () {
      const base = yield* libc.sbrk(64);
      const cases: [number, bigint][] = [
        [1.75, 1n],
        [-1.75, 2n ** 64n - 1n],
        [2 ** 60, 2n ** 60n],
        [Number.NaN, 0n],
        [Number.POSITIVE_INFINITY, 0n],
      ];
      for (const [i, [v, want]] of cases.entries()) {
        yield* mem.store64(base + 8 * i, v);
        if ((yield* mem.load64(base + 8 * i)) !== want) return 1 + i;
      }
      return 0;
    });
    expect(status).toBe(0);
  });
});

describe("memTrap", () => {
  it("builds exactly the trap records the mem stubs yield", () => {
    const first = (g: UserCode<unknown>) => g.next().value;
    const bytes = new Uint8Array(3);
    expect(memTrap.load32(64)).toEqual(first(mem.load32(64)));
    expect(memTrap.loadI64(64)).toEqual(first(mem.loadI64(64)));
    expect(memTrap.store32(64, 5)).toEqual(first(mem.store32(64, 5)));
    expect(memTrap.store64(64, -5)).toEqual(first(mem.store64(64, -5)));
    expect(memTrap.write(64, bytes)).toEqual(first(mem.write(64, bytes)));
    expect(memTrap.cas32(64, 1, 2)).toEqual(first(mem.cas32(64, 1, 2)));
    expect(memTrap.xchg32(64, 7)).toEqual(first(mem.xchg32(64, 7)));
    expect(memTrap.xadd32(64, -1)).toEqual(first(mem.xadd32(64, -1)));
  });
});
