// The seeded stress test: many threads, random interleavings chosen by a seed (CPUs, tick, and
// per-thread random work drawn from a xorshift stream), a mutex-protected counter that must end
// exact, and a run that is the same, trap for trap, whenever the seed is the same.
import { compute, type KernelEvent, libc, mem } from "@osbricks/kernel";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  condBroadcast,
  condWait,
  MutexKind,
  mutexInit,
  mutexLock,
  mutexUnlock,
  type Pthread,
} from "../src/index.js";
import { boot } from "./boot.js";

const THREADS = 12;
const ROUNDS = 25;

/** xorshift32 (Marsaglia 2003): the same stream for the same seed, in user code. */
function next(x: number): number {
  let y = x >>> 0 || 1;
  y ^= y << 13;
  y ^= y >>> 17;
  y ^= y << 5;
  return y >>> 0;
}

interface StressResult {
  readonly counter: number;
  readonly status: number;
  readonly outcome: string;
  /** FNV-1a over every syscall and context switch: a fingerprint of the interleaving. */
  readonly fingerprint: number;
  readonly steps: number;
}

function stress(seed: number, paranoid = false, threads = THREADS, rounds = ROUNDS): StressResult {
  let counter = -1;
  let h = 0x811c9dc5;
  const mix = (v: number): void => {
    h = Math.imul(h ^ (v & 0xffff), 16777619) >>> 0;
    h = Math.imul(h ^ (v >>> 16), 16777619) >>> 0;
  };
  const tracer = {
    emit(e: KernelEvent) {
      if (e.type === "kernel.syscall") {
        mix(e.tid);
        mix(e.nr);
        mix(e.cycle);
      } else if (e.type === "kernel.switch") {
        mix(e.cpu);
        mix(e.to ?? 0);
      }
    },
  };
  const cpus = 1 + (seed % 3);
  const tick = 200 + ((seed * 7919) % 1800);
  const b = boot(
    function* (self) {
      const base = yield* libc.sbrk(128);
      const m = base;
      const count = base + 16;
      const started = base + 20;
      const go = base + 32; // a condition variable: everyone starts together
      yield* mutexInit(m, seed % 2 === 0 ? MutexKind.NORMAL : MutexKind.ERRORCHECK);
      // A start gate: the last of the threads + 1 to arrive releases everyone.
      const arrive = function* (t: Pthread) {
        yield* mutexLock(t, m);
        const n = (yield* mem.load32(started)) + 1;
        yield* mem.store32(started, n);
        if (n === threads + 1) yield* condBroadcast(go);
        while ((yield* mem.load32(started)) < threads + 1) yield* condWait(t, go, m);
        yield* mutexUnlock(t, m);
      };
      const worker = function* (t: Pthread, id: number) {
        let r = next(seed * 2654435761 + id);
        yield* arrive(t);
        for (let i = 0; i < rounds; i++) {
          r = next(r);
          yield* mutexLock(t, m);
          const v = yield* mem.load32(count);
          yield* compute(r % 97);
          yield* mem.store32(count, v + 1);
          yield* mutexUnlock(t, m);
          r = next(r);
          if (r % 5 === 0) yield* t.yield();
          else yield* compute(r % 151);
        }
        return 0;
      };
      const ts: number[] = [];
      for (let i = 0; i < threads; i++) ts.push((yield* self.create(worker, i)).thread);
      yield* arrive(self);
      for (const t of ts) yield* self.join(t);
      counter = yield* mem.load32(count);
      return 0;
    },
    { cpus, tick, seed, tracer, paranoid },
  );
  expect(b.kernel.crashes).toEqual([]);
  return { counter, status: b.status, outcome: b.run.outcome, fingerprint: h, steps: b.run.steps };
}

describe("seeded stress", () => {
  it(`${THREADS} threads × ${ROUNDS} locked increments end exact, for 30 seeds`, () => {
    const prints = new Set<number>();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const r = stress(seed);
        expect(r.outcome).toBe("all-exited");
        expect(r.status).toBe(0);
        expect(r.counter).toBe(THREADS * ROUNDS);
        prints.add(r.fingerprint);
      }),
      { numRuns: 30, seed: 0x5eed },
    );
    // Different seeds really interleave differently.
    expect(prints.size).toBeGreaterThan(20);
  });

  it("the same seed gives the same run, trap for trap (3 seeds, each run twice)", () => {
    for (const seed of [1, 42, 99_991]) {
      const a = stress(seed);
      const b = stress(seed);
      expect(b.fingerprint).toBe(a.fingerprint);
      expect(b.steps).toBe(a.steps);
    }
  });

  it("paranoid mode: every kernel invariant holds after every trap of a seeded run", () => {
    const r = stress(7, true, 4, 8); // smaller: every trap runs every checkInvariants()
    expect(r.outcome).toBe("all-exited");
    expect(r.counter).toBe(4 * 8);
  });
});
