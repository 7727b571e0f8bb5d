// The channel (examples/src/jsix/lib/channel/channel.ts): framing and the non-blocking forms on a
// plain Uint8Array, then a producer and a consumer thread streaming messages of random sizes
// through one area under a real simulated kernel (the POSIX personality and runtime's pthreads:
// the futex port is futex(2); the jsix kernel runs the same code with j6_futex_*). Every byte the
// consumer reads must be the producer's, in order, whatever the CPUs, tick and seed.
import { compute, Kernel, libc, ProgramRegistry, type UserCode } from "@osbricks/kernel";
import { type Pthread, pthreadMain } from "@osbricks/runtime";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { J6Status } from "../src/jsix/abi.js";
import { bipHeader, checkBipHeader } from "../src/jsix/lib/channel/bip-buffer.js";
import {
  AREA_DATA,
  AreaField,
  channelAreaStats,
  channelInitArea,
  channelReceive,
  channelSend,
  frameBytes,
  peerDef,
  validChannelSize,
} from "../src/jsix/lib/channel/channel.js";
import { ChannelArgumentError } from "../src/jsix/lib/channel/errors.js";
import { posixSync, type SyncPort } from "../src/jsix/lib/channel/futex.js";
import { ArrayMemory, runSync } from "../src/jsix/lib/channel/memory.js";

/** The byte `i` of message `j`: varies with both, so a misplaced or stale byte shows. */
const byteOf = (j: number, i: number): number => (j * 131 + i * 7 + 1) & 0xff;
const message = (j: number, length: number): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => byteOf(j, i));

// biome-ignore lint/correctness/useYield: a futex that must never be reached
function* unreachable(): UserCode<number> {
  throw new Error("futex reached: a non-blocking call with nobody waiting must not enter the kernel");
}

function plainArea(size = 4096): { s: SyncPort; area: number; m: ArrayMemory } {
  const m = new ArrayMemory(new Uint8Array(size), 0x10_0000);
  const s: SyncPort = { mem: m, futex: { wait: unreachable, wake: unreachable } };
  runSync(channelInitArea(s, 0x10_0000, size));
  return { s, area: 0x10_0000, m };
}

describe("channel rules", () => {
  it("sizes: powers of two from one page to 1 MiB (libj6's check_channel_size)", () => {
    expect([4096, 8192, 65536, 1 << 20].every(validChannelSize)).toBe(true);
    expect([0, 2048, 6144, 4097, 1 << 21].some(validChannelSize)).toBe(false);
    const m = new ArrayMemory(new Uint8Array(8192));
    const s: SyncPort = { mem: m, futex: { wait: unreachable, wake: unreachable } };
    expect(() => runSync(channelInitArea(s, 0, 6144))).toThrow(ChannelArgumentError);
  });

  it("worked numbers: a 4096-byte area has 4032 data bytes; frames are 4 + the length rounded to 4", () => {
    const { m, area } = plainArea();
    expect(AREA_DATA).toBe(64);
    expect(runSync(bipHeader(m, area + AreaField.BIP)).capacity).toBe(4032);
    expect([frameBytes(0), frameBytes(10), frameBytes(100), frameBytes(101)]).toEqual([4, 16, 104, 108]);
  });

  it("a message longer than capacity − 4 is refused with err_insufficient and changes nothing", () => {
    const { s, area, m } = plainArea();
    const before = runSync(m.read(area, 64));
    expect(runSync(channelSend(s, { tx: area, rx: area }, new Uint8Array(4029), true))).toBe(
      -J6Status.err_insufficient,
    );
    expect(runSync(m.read(area, 64))).toEqual(before); // the mutex was released too
    expect(runSync(channelSend(s, { tx: area, rx: area }, new Uint8Array(4028), false))).toBe(0);
  });

  it("non-blocking forms: would_block when full or empty, never entering the kernel", () => {
    const { s, area } = plainArea();
    const ends = { tx: area, rx: area };
    let sent = 0;
    while (runSync(channelSend(s, ends, message(sent, 100), false)) === 0) sent++;
    expect(sent).toBe(Math.floor(4032 / 104)); // 38 frames of 104 bytes
    expect(runSync(channelSend(s, ends, message(99, 100), false))).toBe(-J6Status.would_block);
    for (let j = 0; j < sent; j++) expect(runSync(channelReceive(s, ends, false))).toEqual(message(j, 100));
    expect(runSync(channelReceive(s, ends, false))).toBe(-J6Status.would_block);
    expect(runSync(channelAreaStats(s, area))).toMatchObject({
      messages: sent,
      futexWakes: 0,
      futexSleeps: 0,
    });
  });

  it("messages come out whole and in order across the wrap; the header's invariants hold", () => {
    const { s, area, m } = plainArea();
    const ends = { tx: area, rx: area };
    const lengths = [1000, 3000, 0, 17, 2500, 999, 4028];
    let next = 0;
    for (let j = 0; j < lengths.length; j++) {
      while (runSync(channelSend(s, ends, message(j, lengths[j] as number), false)) !== 0) {
        expect(runSync(channelReceive(s, ends, false))).toEqual(message(next, lengths[next] as number));
        next++;
      }
      checkBipHeader(runSync(bipHeader(m, area + AreaField.BIP)));
    }
    while (next < lengths.length) {
      expect(runSync(channelReceive(s, ends, false))).toEqual(message(next, lengths[next] as number));
      next++;
    }
  });

  it("peerDef swaps the directions", () => {
    expect(peerDef({ tx: 3, rx: 4 })).toEqual({ tx: 4, rx: 3 });
  });
});

// ---- producer and consumer under a simulated kernel -----------------------------------------------

interface Stream {
  readonly lengths: readonly number[];
  readonly areaBytes: number;
  readonly cpus: number;
  readonly tick: number;
  readonly seed: number;
  /** Cycles the consumer works per message (a slow reader fills the buffer). */
  readonly readerWork: number;
}

interface StreamRun {
  outcome: string;
  received: number[];
  mismatches: number;
  writerWaits: number;
  readerWaits: number;
  futexSleeps: number;
  messages: number;
  crashes: string[];
}

function runStream(st: Stream): StreamRun {
  const out: StreamRun = {
    outcome: "",
    received: [],
    mismatches: 0,
    writerWaits: 0,
    readerWaits: 0,
    futexSleeps: 0,
    messages: 0,
    crashes: [],
  };
  const main = function* (self: Pthread): UserCode<number> {
    const raw = yield* libc.sbrk(st.areaBytes + 8);
    const area = (raw + 7) & ~7;
    yield* channelInitArea(posixSync, area, st.areaBytes);
    const ends = { tx: area, rx: area };
    const producer = function* (_t: Pthread): UserCode<number> {
      for (let j = 0; j < st.lengths.length; j++)
        if ((yield* channelSend(posixSync, ends, message(j, st.lengths[j] as number), true)) !== 0) return 1;
      return 0;
    };
    const consumer = function* (_t: Pthread): UserCode<number> {
      for (let j = 0; j < st.lengths.length; j++) {
        const m = yield* channelReceive(posixSync, ends, true);
        if (typeof m === "number") return 1;
        out.received.push(m.length);
        for (let i = 0; i < m.length; i++) if (m[i] !== byteOf(j, i)) out.mismatches++;
        if (st.readerWork > 0) yield* compute(st.readerWork);
      }
      return 0;
    };
    const c = yield* self.create(consumer, 0);
    const p = yield* self.create(producer, 0);
    yield* self.join(p.thread);
    yield* self.join(c.thread);
    const stats = yield* channelAreaStats(posixSync, area);
    out.writerWaits = stats.writerWaits;
    out.readerWaits = stats.readerWaits;
    out.futexSleeps = stats.futexSleeps;
    out.messages = stats.messages;
    return 0;
  };
  const programs = new ProgramRegistry().register({ name: "stream", main: pthreadMain(main) });
  const k = new Kernel({ programs, cpus: st.cpus, tick: st.tick, seed: st.seed });
  k.boot("stream");
  out.outcome = k.run({ maxSteps: 2_000_000 }).outcome;
  out.crashes = k.crashes.map((c) => c.message);
  return out;
}

describe("a producer and a consumer thread through one area", () => {
  const lengths = Array.from({ length: 60 }, (_, j) => (j * 373) % 1500);
  const total = lengths.length;

  it("a slow reader: every byte arrives in order, and the writer waits for room", () => {
    const r = runStream({ lengths, areaBytes: 4096, cpus: 2, tick: 1000, seed: 7, readerWork: 5000 });
    expect(r).toMatchObject({ outcome: "all-exited", mismatches: 0, messages: total, crashes: [] });
    expect(r.received).toEqual(lengths);
    expect(r.writerWaits).toBeGreaterThan(0);
    expect(r.futexSleeps).toBeGreaterThan(0);
  });

  it("a fast reader on an idle channel: the reader waits for data", () => {
    const r = runStream({ lengths, areaBytes: 65536, cpus: 2, tick: 1000, seed: 7, readerWork: 0 });
    expect(r).toMatchObject({ outcome: "all-exited", mismatches: 0, messages: total, crashes: [] });
    expect(r.readerWaits).toBeGreaterThan(0);
  });

  it("any sizes, CPUs, tick and seed: whole messages, in order, byte for byte, and the run ends", () => {
    fc.assert(
      fc.property(
        fc.record({
          lengths: fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 40 }),
          areaBytes: fc.constantFrom(4096, 8192),
          cpus: fc.integer({ min: 1, max: 3 }),
          tick: fc.integer({ min: 30, max: 3000 }),
          seed: fc.nat(1_000_000),
          readerWork: fc.constantFrom(0, 10, 500, 4000),
        }),
        (st) => {
          const r = runStream(st);
          expect(r.crashes).toEqual([]);
          expect(r.outcome).toBe("all-exited");
          expect(r.received).toEqual(st.lengths);
          expect(r.mismatches).toBe(0);
          expect(r.messages).toBe(st.lengths.length);
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});

describe("several senders and receivers on one area", () => {
  /** Message j of sender p: its first two bytes name it, the rest follow byteOf. */
  const tagged = (p: number, j: number, length: number): Uint8Array => {
    const m = message(p * 1000 + j, Math.max(2, length));
    m[0] = p;
    m[1] = j;
    return m;
  };

  function runMany(senders: number, receivers: number, perSender: number, cpus: number, seed: number) {
    const seen: Array<[number, number, boolean]> = []; // sender, index, bytes right
    const orderBroken: string[] = [];
    const main = function* (self: Pthread): UserCode<number> {
      const raw = yield* libc.sbrk(4096 + 8);
      const area = (raw + 7) & ~7;
      yield* channelInitArea(posixSync, area, 4096);
      const ends = { tx: area, rx: area };
      const total = senders * perSender;
      let taken = 0; // host-side ticket: each receiver takes messages until all are taken
      const receiver = function* (_t: Pthread): UserCode<number> {
        const last = new Map<number, number>();
        while (taken < total) {
          taken++;
          const m = yield* channelReceive(posixSync, ends, true);
          if (typeof m === "number") return 1;
          const p = m[0] as number;
          const j = m[1] as number;
          const want = tagged(p, j, m.length);
          seen.push([p, j, m.every((b, i) => b === want[i])]);
          // One receiver sees each sender's messages in the order they were sent.
          if ((last.get(p) ?? -1) >= j) orderBroken.push(`sender ${p}: ${j} after ${last.get(p)}`);
          last.set(p, j);
        }
        return 0;
      };
      const sender = function* (_t: Pthread, p: number): UserCode<number> {
        for (let j = 0; j < perSender; j++)
          if ((yield* channelSend(posixSync, ends, tagged(p, j, (p * 577 + j * 389) % 1800), true)) !== 0)
            return 1;
        return 0;
      };
      const threads = [];
      for (let r = 0; r < receivers; r++) threads.push((yield* self.create(receiver, r)).thread);
      for (let p = 0; p < senders; p++) threads.push((yield* self.create(sender, p)).thread);
      for (const t of threads) yield* self.join(t);
      return 0;
    };
    const programs = new ProgramRegistry().register({ name: "many", main: pthreadMain(main) });
    const k = new Kernel({ programs, cpus, tick: 300, seed });
    k.boot("many");
    const outcome = k.run({ maxSteps: 3_000_000 }).outcome;
    return { outcome, seen, orderBroken, crashes: k.crashes.map((c) => c.message) };
  }

  it("every message arrives once, whole, and each sender's messages stay in order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(1_000_000),
        (senders, receivers, perSender, cpus, seed) => {
          const r = runMany(senders, receivers, perSender, cpus, seed);
          expect(r.crashes).toEqual([]);
          expect(r.outcome).toBe("all-exited");
          expect(r.orderBroken).toEqual([]);
          expect(r.seen.every(([, , ok]) => ok)).toBe(true);
          const ids = r.seen.map(([p, j]) => p * 1000 + j).sort((a, b) => a - b);
          const want = [];
          for (let p = 0; p < senders; p++) for (let j = 0; j < perSender; j++) want.push(p * 1000 + j);
          expect(ids).toEqual(want);
        },
      ),
      { numRuns: 50 },
    );
  }, 60_000);
});
